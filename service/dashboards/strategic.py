"""The Strategic Decision Makers dashboard (and the public one, a subset): the national picture on
a date, the trend, and the same metric by NHS region, ICB or LRF as a map and small multiples,
restated to today's organisations by default, with coverage beside every figure."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from html import escape
from pathlib import Path

from service.access.policy import Need
from service.api.graphql.context import Context
from service.api.graphql.errors import UserError
from service.dashboards import boundaries, charts
from service.dashboards.capacity import capacity
from service.dashboards.early_warning import strain_panel
from service.dashboards.view import (
    AREA_TYPES,
    Choices,
    Panel,
    Rollups,
    View,
    assemble,
    data_link,
    guarded,
    with_held_dates,
)
from service.rollup.model import DEFAULT_METHOD, Method, RollupResult
from service.rollup.records import area_of

HEADLINE_METRICS = (
    "BedsOccupiedCovid",
    "MechanicalVentilationBedsOccupiedCovid",
    "CovidAdmissions",
    "BedsOccupied",
)
# Placed by the service's default method (service/rollup/model.py DEFAULT_METHOD).
DEFAULTS = Choices(method=DEFAULT_METHOD.value)
# The public dashboard: today's NHS England regions, as ODS places today's organisations in them.
PUBLIC_DEFAULTS = Choices(by="NHS_REGION", method="ODS_STATED", restate="today")


def area_names(context: Context) -> dict[str, str]:
    return {a.code: a.name for a in context.reference.areas.by_iri.values()} | {
        a.ods_code: a.name for a in context.reference.areas.by_iri.values() if a.ods_code
    }


def build(
    context: Context,
    choices: Choices,
    data_dir: Path,
    *,
    public: bool = False,
    only: str | None = None,
    defer: frozenset[str] = frozenset(),
) -> View:
    """The view's panels (view.assemble: `only` one of them; those in `defer` drawn later)."""
    if public:  # fixed: only the metric and dates are chosen
        fixed = PUBLIC_DEFAULTS
        choices = replace(choices, by=fixed.by, method=fixed.method, restate=fixed.restate)
    name, title = ("public", "Public information") if public else ("strategic", "Strategic")
    lead = (
        "The national picture on a date and its trend, by NHS region, with how many "
        "organisations have not reported (which ones is shown to signed-in analysts)."
        if public
        else "The national picture on a date and its trend, by area, with who has not reported."
    )
    view = View(name, f"{title} dashboard", lead, choices)
    try:
        view.choices = choices = with_held_dates(context, choices)
    except UserError as exc:
        view.error = str(exc)
        return view
    names = area_names(context)
    asked = Rollups(context, choices)

    def rolled(build: Callable[[Panel], None]) -> Callable[[Panel], Panel]:
        return lambda p: asked.panel(p, build)

    specs: list[tuple[Panel, Callable[[Panel], Panel]]] = [
        (Panel("headline", "National picture", []), rolled(lambda p: _headline(asked, p))),
        (Panel("map", "By area", []), rolled(lambda p: _map(asked, p, names, data_dir))),
        (Panel("capacity", "Occupancy against capacity", []), rolled(lambda p: capacity(asked, p))),
        (Panel("trend", "National trend", []), rolled(lambda p: _trend(asked, p))),
        (Panel("multiples", "Trend by area", []), rolled(lambda p: _multiples(asked, p, names))),
    ]
    if not public:
        specs.append(
            (
                Panel("strain", "Early warning", []),
                lambda p: guarded(
                    p, lambda q: strain_panel(context, choices, choices.by, q, names)
                ),
            )
        )
    view.panels = assemble(specs, only=only, defer=defer)
    return view


def _headline(asked: Rollups, panel: Panel) -> None:
    """Each headline metric on the date: total in areas, not placed, and who is missing."""
    context, choices = asked.context, asked.choices
    assert choices.date is not None
    panel.title = f"National picture on {choices.date}"
    panel.columns = ["Metric", "Date", "In areas", "Not placed", "Organisations missing"]
    known = context.reference.metrics
    for key in (choices.metric, *(m for m in HEADLINE_METRICS if m != choices.metric)):
        if known.find(key) is None:
            continue
        try:
            result = asked(choices.by, choices.date, metric=None if key == choices.metric else key)
        except UserError:
            continue  # a headline metric not held on the date: left out, not an error
        missing = sorted({code for r in result.rows for code in r.coverage.missing})
        label = known.find(key)
        panel.rows.append(
            [
                label.label if label else key,
                choices.date.isoformat(),
                sum(r.value for r in result.rows),
                result.unmapped_summary.total,
                len(missing),
            ]
        )
    panel.caption = (
        f"Summed over {choices.by} areas by {choices.method}; 'not placed' is what no area takes "
        "(independent providers, splits without stated shares). Organisations missing: expected "
        "in an area but without a value on the date."
    )


def _map(asked: Rollups, panel: Panel, names: dict[str, str], data_dir: Path) -> None:
    # Who has not reported names organisations: organisation-level detail the public role may
    # not see (service/access/policy.py, as GraphQL's coverage.missing); it sees the counts.
    names_organisations = asked.context.access.may(Need.RECORDS)
    _drawn_map(asked, panel, names, data_dir, names_organisations)
    if not names_organisations:
        panel.caption += " Which organisations have not reported is shown to signed-in analysts."


def _drawn_map(
    asked: Rollups,
    panel: Panel,
    names: dict[str, str],
    data_dir: Path,
    names_organisations: bool,
) -> None:
    context, choices = asked.context, asked.choices
    assert choices.date is not None
    result = asked(choices.by, choices.date)
    panel.title = f"{choices.metric} by {choices.by} on {choices.date}"
    panel.columns = ["Area code", "Area", "Value", "Reported", "Expected"] + (
        ["Missing"] if names_organisations else []
    )
    areas = context.reference.areas
    named = area_of(areas)  # codes and names as GraphQL and the data API give them
    values: dict[str, float] = {}
    labels: dict[str, str] = {}
    for (code, name), row in sorted(((named(r.area), r) for r in result.rows), key=lambda p: p[0]):
        c = row.coverage
        who = [" ".join(c.missing)] if names_organisations else []
        panel.rows.append([code, name, row.value, c.reported, c.expected, *who])
        values[code] = row.value
        labels[code] = f"{name}: {charts.number(row.value)} ({c.reported} of {c.expected} reported)"
    panel.data_link = data_link(choices, choices.by, date=choices.date.isoformat())
    if not result.rows:
        summary = result.unmapped_summary
        panel.caption = (
            f"No value is placed in any {choices.by} area on {choices.date} by {choices.method} "
            f"({charts.number(summary.total)} not placed, {len(summary.organisations)} "
            f"organisations): the organisations as reported may not be placed in areas of this "
            "type on that day. Choose today's organisations (restated) to count them in "
            "today's areas."
        )
        return
    on = choices.restatement().at or choices.date
    found = boundaries.drawn(areas, choices.by, on, data_dir)
    if found is None:
        panel.caption = f"No boundary file draws {choices.by} areas; the table has the figures."
        return
    outlines, paths, box = found
    for code in paths:
        labels.setdefault(code, f"{names.get(code, code)}: no figure")
    panel.chart = charts.choropleth(
        paths, values, labels, title=panel.title, box=box, chart_id=f"chart-{panel.id}"
    )
    panel.caption = f"Outlines: {outlines.source}. Grey: no figure for the area."


def _series_result(asked: Rollups) -> RollupResult:
    choices = asked.choices
    assert choices.start is not None and choices.end is not None
    return asked(choices.by, (choices.start, choices.end), series=True)


def _trend(asked: Rollups, panel: Panel) -> None:
    choices = asked.choices
    result = _series_result(asked)
    totals: dict[dt.date, float] = defaultdict(float)
    missing: dict[dt.date, set[str]] = defaultdict(set)
    for row in result.rows:
        totals[row.period_start] += row.value
        missing[row.period_start].update(row.coverage.missing)
    panel.title = f"{choices.metric}, England, {choices.start} to {choices.end}"
    panel.columns = ["Date", "In areas", "Organisations missing"]
    panel.rows = [[d.isoformat(), totals[d], len(missing[d])] for d in sorted(totals)]
    points = [(d, totals[d]) for d in sorted(totals)]
    panel.chart = charts.line_chart(points, title=panel.title, chart_id=f"chart-{panel.id}")
    panel.caption = f"The sum of the {choices.by} areas each day (not placed values excluded)."
    panel.show_rows = False


def _multiples(asked: Rollups, panel: Panel, names: dict[str, str]) -> None:
    context, choices = asked.context, asked.choices
    result = _series_result(asked)
    panel.title = f"{choices.metric} by {choices.by}, {choices.start} to {choices.end}"
    panel.columns = ["Area code", "Area", "Date", "Value", "Reported", "Expected"]
    by_area: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
    latest: dict[str, tuple[int, int]] = {}
    named = area_of(context.reference.areas)
    for (code, name), row in sorted(
        ((named(r.area), r) for r in result.rows), key=lambda p: (p[0], p[1].period_start)
    ):
        c = row.coverage
        panel.rows.append(
            [code, name, row.period_start.isoformat(), row.value, c.reported, c.expected]
        )
        names[code] = name
        by_area[code].append((row.period_start, row.value))
        latest[code] = (c.reported, c.expected)
    cells = []
    for code in sorted(by_area, key=lambda c: names.get(c, c)):
        name = names.get(code, code)
        reported, expected = latest[code]
        chart = charts.line_chart(
            by_area[code],
            title=f"{name}",
            width=220,
            height=90,
            compact=True,
        )
        cells.append(
            f'<figure class="nhskg-multiple"><figcaption><strong>{escape(name)}</strong> '
            f"<span>latest {charts.number(by_area[code][-1][1])}; {reported} of {expected} "
            f"reported</span></figcaption>{chart}</figure>"
        )
    panel.chart = f'<div class="nhskg-multiples" id="chart-{panel.id}">{"".join(cells)}</div>'
    panel.data_link = data_link(
        choices, choices.by, **{"from": str(choices.start), "to": str(choices.end)}
    ) + ("&series=true" if result.kind == "Flow" else "")
    panel.show_rows = False
    panel.caption = "One chart per area; each shows its latest value and coverage."


def options(context: Context) -> dict[str, list[tuple[str, str]]]:
    """The choices the page offers: metrics with values, the map's area types, the methods."""
    held = context.numbers.reported_metrics() if context.numbers is not None else set()
    types = context.reference.areas.types
    return {
        "metric": [
            (m.key, m.label) for m in context.reference.metrics.by_key.values() if m.iri in held
        ],
        "by": [(k, types[k].label) for k in AREA_TYPES if k in types],
        "method": [(m.value, m.value.replace("_", " ").lower()) for m in Method],
    }
