"""What a dashboard page shows: its choices (kept in the URL) and its panels, each a chart with the
table of exactly the figures it draws (the panel's CSV download is that table)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from service.api.graphql.context import Context
from service.api.graphql.errors import UserError
from service.api.graphql.numbers_resolvers import held_range, require_metric, run_rollup
from service.reference.vocabulary import rollup_area_types
from service.rollup.model import AS_REPORTED, Method, RollupResult, to_organisations_at

AREA_TYPES = rollup_area_types()  # the materialised ones (nhskg:rollUpTarget)
AS_REPORTED_KEY = "asReported"


@dataclass(frozen=True)
class Choices:
    """A dashboard's question; every field is a URL parameter (a link reproduces the view)."""

    metric: str = "BedsOccupiedCovid"
    by: str = "LRF"
    date: dt.date | None = None  # the day the map and headline show; default the last held
    start: dt.date | None = None  # the trend's range; default what is held
    end: dt.date | None = None
    method: str = "SITES"
    restate: str = "today"  # a date, "today" (default) or asReported
    area: str = ""  # operational: an area code (region, ICB, LRF) or a trust's ODS code

    def query(self, **changes: Any) -> str:
        chosen = replace(self, **changes)
        params = {
            "metric": chosen.metric,
            "by": chosen.by,
            "date": chosen.date.isoformat() if chosen.date else "",
            "from": chosen.start.isoformat() if chosen.start else "",
            "to": chosen.end.isoformat() if chosen.end else "",
            "method": chosen.method,
            "restate": chosen.restate,
            "area": chosen.area,
        }
        return urlencode({k: v for k, v in params.items() if v})

    def restatement(self) -> Any:
        if self.restate == AS_REPORTED_KEY:
            return AS_REPORTED
        day = dt.date.today() if self.restate == "today" else dt.date.fromisoformat(self.restate)
        return to_organisations_at(day)

    def restated_to(self) -> str:
        """The restateTo parameter of the data API for the same question ("" as reported)."""
        at = self.restatement().at
        return at.isoformat() if at else ""


def parse_choices(params: Mapping[str, str], defaults: Choices) -> Choices:
    """Choices from URL parameters; a malformed one is a UserError saying which and why."""

    def day(name: str) -> dt.date | None:
        value = params.get(name, "")
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise UserError(f"{name} {value!r} is not a date", "Use YYYY-MM-DD.") from exc

    method = params.get("method", defaults.method).upper()
    if method not in Method.__members__:
        raise UserError(
            f"unknown method {method!r}", f"Use one of {', '.join(Method.__members__)}."
        )
    restate = params.get("restate", defaults.restate) or defaults.restate
    if restate not in ("today", AS_REPORTED_KEY):
        day_of = restate
        try:
            dt.date.fromisoformat(day_of)
        except ValueError as exc:
            raise UserError(
                f"restate {restate!r} is not a date", "Use YYYY-MM-DD, today or asReported."
            ) from exc
    return Choices(
        metric=params.get("metric", defaults.metric) or defaults.metric,
        by=(params.get("by", defaults.by) or defaults.by).upper(),
        date=day("date"),
        start=day("from"),
        end=day("to"),
        method=method,
        restate=restate,
        area=(params.get("area", defaults.area) or "").strip().upper(),
    )


def with_held_dates(context: Context, choices: Choices, recent_days: int | None = None) -> Choices:
    """Missing dates filled from what the numbers store holds for the metric: the last day for
    `date`, the whole range (or its last `recent_days`) for the trend."""
    term = require_metric(context, choices.metric)
    if context.numbers is None:
        raise UserError("no numbers store is configured", "Load a return first.")
    held = held_range(context.numbers, term)
    if held is None:
        raise UserError(f"no values of {term.key} are loaded", "Load a return that reports it.")
    first, last = held
    end = choices.end or last
    start = choices.start or (
        max(first, end - dt.timedelta(days=recent_days - 1)) if recent_days else first
    )
    return replace(choices, date=choices.date or last, start=start, end=end)


@dataclass
class Panel:
    """A chart and the table of the figures it draws. `rows` hold plain values (the CSV);
    `show_rows` False for long series, whose table is the CSV only."""

    id: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    chart: str = ""
    caption: str = ""
    data_link: str = ""  # the same figures from /api/v1/data, when the panel is one roll-up
    error: str = ""
    show_rows: bool = True
    # PERTURBED when the panel's figures are protected against disclosing small numbers (the
    # metric's disclosure policy): the page says so, and the CSV has a protection column.
    protection: str = ""
    # Drawn by its own request after the page (/dashboards/{name}/{id}.html): a slow panel (the
    # early-warning forecasts) never holds up the first view of the others.
    deferred: bool = False

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        extra = [self.protection] if self.protection else []
        writer.writerow(self.columns + (["protection"] if extra else []))
        writer.writerows([[plain(v) for v in row] + extra for row in self.rows])
        return buffer.getvalue()


def plain(value: Any) -> str:
    """How a figure is written in tables and CSV alike."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.2f}"
    return str(value)


@dataclass
class View:
    name: str
    title: str
    summary: str
    choices: Choices
    panels: list[Panel] = field(default_factory=list)
    error: str = ""
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def guarded(panel: Panel, build: Callable[[Panel], None]) -> Panel:
    """Run a panel's builder; a user error becomes the panel's message, in words."""
    try:
        build(panel)
    except UserError as exc:
        panel.error = str(exc)
    return panel


# Panels each dashboard draws by their own request after the page: the forecasts behind the
# early warning take 0.5 to 1.5 s on the national data the first time a question is asked.
DEFERRED = frozenset({"strain"})


def assemble(
    specs: list[tuple[Panel, Callable[[Panel], Panel]]],
    *,
    only: str | None = None,
    defer: frozenset[str] = frozenset(),
) -> list[Panel]:
    """The panels of a view, each built by its function: `only` one panel (its own request, or
    its CSV), else every panel, those in `defer` left to be drawn after the page."""
    panels = []
    for panel, build in specs:
        if only is not None and panel.id != only:
            continue
        if only is None and panel.id in defer:
            panel.deferred = True
            panels.append(panel)
            continue
        panels.append(build(panel))
    return panels


def rollup_of(
    context: Context,
    choices: Choices,
    by: str,
    when: dt.date | tuple[dt.date, dt.date],
    *,
    metric: str | None = None,
    series: bool = False,
    detail: bool = False,
) -> RollupResult:
    """One roll-up through the service's one path (run_rollup: GraphQL's checks and limits)."""
    day, start, end = (when, None, None) if isinstance(when, dt.date) else (None, *when)
    result, _ = run_rollup(
        context, metric or choices.metric, by, day, start, end, choices.restatement(),
        Method(choices.method), series, detail,
    )  # fmt: skip
    return result


class Rollups:
    """rollup_of, each distinct question asked once per page (a page's panels share some: the
    map's day is the headline's first metric, the trend and the small multiples one series)."""

    def __init__(self, context: Context, choices: Choices) -> None:
        self.context, self.choices = context, choices
        self._done: dict[tuple[Any, ...], RollupResult | UserError] = {}
        self.protection: set[str] = set()  # of the answers given since the last panel began

    def __call__(
        self,
        by: str,
        when: dt.date | tuple[dt.date, dt.date],
        *,
        metric: str | None = None,
        series: bool = False,
    ) -> RollupResult:
        key = (by, when, metric, series)
        if key not in self._done:
            try:
                self._done[key] = rollup_of(
                    self.context, self.choices, by, when, metric=metric, series=series
                )
            except UserError as exc:
                self._done[key] = exc
        found = self._done[key]
        if isinstance(found, UserError):
            raise found
        if found.protection:
            self.protection.add(found.protection)
        return found

    def panel(self, panel: Panel, build: Callable[[Panel], None]) -> Panel:
        """guarded(panel, build), the panel marked with how the figures it drew are protected."""
        self.protection = set()
        guarded(panel, build)
        panel.protection = ", ".join(sorted(self.protection))
        return panel


def data_link(choices: Choices, by: str, **when: str) -> str:
    params = {
        "areaType": by,
        "metric": choices.metric,
        **when,
        "method": choices.method,
        "format": "csv",
    }
    if choices.restated_to():
        params["restateTo"] = choices.restated_to()
    return "/api/v1/data?" + urlencode(params)
