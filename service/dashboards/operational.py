"""The NHS Operational dashboard: for a region, an ICB, an LRF or one trust, each trust's recent
series, the returns missing day by day, and the values restated or left unmapped, with why.

All from one detailed roll-up through the service's one path: an area's row lists every
contributor (the trust counted, the trust that reported, the share) and its coverage; a trust is
the engine's organisation scope."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from html import escape

from service.access.policy import AccessDenied
from service.api.graphql.context import Context
from service.api.graphql.errors import UserError, denied
from service.api.graphql.numbers_resolvers import require_metric
from service.dashboards import charts
from service.dashboards.early_warning import strain_panel
from service.dashboards.view import (
    AREA_TYPES,
    Choices,
    Panel,
    View,
    assemble,
    guarded,
    rollup_of,
    with_held_dates,
)
from service.returns.lateness import LateReturn, late_returns
from service.rollup.engine import placed_method
from service.rollup.model import DEFAULT_METHOD, RollupResult, RollupRow

RECENT_DAYS = 28
DEFAULTS = Choices(area="E40000006", method=DEFAULT_METHOD.value)  # South West


def build(
    context: Context,
    choices: Choices,
    *,
    only: str | None = None,
    defer: frozenset[str] = frozenset(),
) -> View:
    """The view's panels (view.assemble: `only` one of them; those in `defer` drawn later)."""
    view = View(
        "operational",
        "Operational dashboard",
        "Each trust's recent returns in an area, who is missing, and values restated or "
        "not placed, with the reason.",
        choices,
    )
    try:  # each trust's figures: organisation-level data (the one policy), not for the public
        context.access.require_organisation_level()
    except AccessDenied as exc:
        sign_in = " Sign in with a token (Sign in, at the top of the page)."
        view.error = exc.message + ("." + sign_in if exc.status == 401 else ".")
        return view
    try:
        view.choices = choices = with_held_dates(context, choices, RECENT_DAYS)
        rows, result, label = _scoped(context, choices)
    except UserError as exc:
        view.error = str(exc)
        return view
    view.title = f"Operational dashboard: {label}"
    names = _organisation_names(context, rows)
    specs: list[tuple[Panel, Callable[[Panel], Panel]]] = [
        (Panel("trusts", "Trusts", []), lambda p: guarded(p, lambda q: _trusts(rows, names, q))),
        (
            Panel("lateness", "Late and missing returns, by trust", []),
            lambda p: guarded(p, lambda q: _lateness(context, choices, rows, names, q)),
        ),
        (
            Panel("missing", "Missing returns", []),
            lambda p: guarded(p, lambda q: _missing(rows, names, q)),
        ),
        (
            Panel("restated", "Restated values", []),
            lambda p: guarded(p, lambda q: _restated(rows, names, q)),
        ),
        (
            Panel("unmapped", "Values not placed", []),
            lambda p: guarded(p, lambda q: _unmapped(result, rows, names, q)),
        ),
        (
            Panel("strain", "Early warning", []),
            lambda p: guarded(p, lambda q: _strain(context, choices, q)),
        ),
    ]
    view.panels = assemble(specs, only=only, defer=defer)
    for panel in view.panels:
        panel.protection = result.protection or ""
    return view


def _strain(context: Context, choices: Choices, panel: Panel) -> None:
    """The early-warning panel for the chosen area (a region, ICB or LRF)."""
    areas = context.reference.areas
    area = areas.find(choices.area) if choices.area else None
    if area is None:
        raise UserError("early warning is by area", "Choose a region, ICB or LRF.")
    kinds = [k for k in areas.type_keys(area) if k in AREA_TYPES]
    if not kinds:
        raise UserError(f"{choices.area} is not a region, ICB or LRF", "Choose one of those.")
    names = {area.code: area.name} | ({area.ods_code: area.name} if area.ods_code else {})
    # By the area's type, placed as the view's other panels are (the same policy: _placed_in).
    strain_panel(context, _placed_in(context, choices, kinds[0]), kinds[0], panel, names,
                 only=set(names))  # fmt: skip


def _scoped(context: Context, choices: Choices) -> tuple[list[RollupRow], RollupResult, str]:
    """The rows of the chosen area (or the trust's, by region), detailed, over the range."""
    assert choices.start is not None and choices.end is not None
    code = choices.area
    areas = context.reference.areas
    area = areas.find(code) if code else None
    span = (choices.start, choices.end)
    if area is not None:
        kinds = [k for k in areas.type_keys(area) if k in AREA_TYPES]
        if not kinds:
            raise UserError(f"{code} is not a region, ICB or LRF", "Give one of those, or a trust.")
        by = kinds[0]
        if by != "NHS_REGION" and choices.method == "RETURN_STATED":
            choices = replace(choices, method="SITES")
        choices = _placed_in(context, choices, by)
        result = rollup_of(context, choices, by, span, series=True, detail=True)
        wanted = {area.code, area.ods_code}
        return [r for r in result.rows if r.area in wanted], result, f"{area.name} ({by})"
    organisation = context.reference.organisations.find(code) if code else None
    if organisation is None:
        raise UserError(
            f"no region, ICB, LRF or trust has the code {code!r}",
            "Give an area's GSS code (E40000006), a region's ODS code (Y58) or a trust's (RA7).",
        )
    try:  # the one policy: the trust must be in the caller's scope
        context.access.require_organisation(organisation.code)
    except AccessDenied as exc:
        raise denied(exc) from exc
    scoped = replace(context, access=context.access.narrowed_to(organisation.code))
    choices = _placed_in(context, choices, "NHS_REGION")
    result = rollup_of(scoped, choices, "NHS_REGION", span, series=True, detail=True)
    return result.rows, result, f"{organisation.name} ({organisation.code})"


def _placed_in(context: Context, choices: Choices, by: str) -> Choices:
    """The view's method, or where the store holds no placements by it in `by` (the area asked
    for is of another type than the view's: the embedded sample places regions by ODS_STATED
    alone) the first it holds there, as the view's default is chosen (placed_method)."""
    if context.numbers is None or choices.method == "RETURN_STATED":
        return choices
    method = placed_method(context.numbers.placements(), by, choices.method)
    return choices if method == choices.method else replace(choices, method=method)


def _organisation_names(context: Context, rows: list[RollupRow]) -> dict[str, str]:
    codes = {c.organisation for r in rows for c in r.contributors}
    codes |= {c.reported_by for r in rows for c in r.contributors if c.reported_by}
    codes |= {m for r in rows for m in r.coverage.missing}
    index = context.reference.organisations
    out = {}
    for code in codes:
        found = index.find(code)
        out[code] = found.name if found else code
    return out


def _trusts(rows: list[RollupRow], names: dict[str, str], panel: Panel) -> None:
    """Each trust's counted value per day (its value x share, summed over what it reported and
    what it carries on), and the days it reported."""
    series: dict[str, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        for c in row.contributors:
            series[c.organisation][row.period_start] += c.value * c.share
    days = sorted({r.period_start for r in rows})
    panel.title = f"Trusts: counted values, {days[0] if days else ''} to {days[-1] if days else ''}"
    panel.columns = ["Trust code", "Trust", "Date", "Counted value"]
    cells = []
    for code in sorted(series, key=lambda c: names.get(c, c)):
        points = sorted(series[code].items())
        for day, value in points:
            panel.rows.append([code, names.get(code, code), day.isoformat(), value])
        chart = charts.line_chart(
            points, title=names.get(code, code), width=220, height=90, compact=True
        )
        cells.append(
            f'<figure class="nhskg-multiple"><figcaption><strong>{escape(names.get(code, code))}'
            f"</strong> <span>{escape(code)}: reported {len(points)} of {len(days)} days"
            f"</span></figcaption>{chart}</figure>"
        )
    panel.chart = f'<div class="nhskg-multiples" id="chart-{panel.id}">{"".join(cells)}</div>'
    panel.show_rows = False
    panel.caption = "A trust placed in several areas counts here with its share in this one."


def _lateness(
    context: Context,
    choices: Choices,
    rows: list[RollupRow],
    names: dict[str, str],
    panel: Panel,
) -> None:
    """Per reporter: days whose value came in a later release than the day's first (late), and
    days with no value in any release so far (missing, the roll-up's coverage)."""
    assert choices.start is not None and choices.end is not None and context.numbers is not None
    ours = {c.reported_by or c.organisation for r in rows for c in r.contributors}
    missing: dict[str, int] = defaultdict(int)
    for row in rows:
        for code in row.coverage.missing:
            missing[code] += 1
    metric = require_metric(context, choices.metric).iri
    late_by: dict[str, list[LateReturn]] = defaultdict(list)
    for late in late_returns(context.numbers, metric, choices.start, choices.end, ours):
        late_by[late.organisation].append(late)
    panel.columns = ["Trust code", "Trust", "Late", "Missing", "Most days late", "Late dates"]
    for code in sorted(set(late_by) | set(missing), key=lambda c: (names.get(c, c), c)):
        found = late_by.get(code, [])
        dates = " ".join(f"{x.period_start} (+{x.days_late} d)" for x in found)
        most = max((x.days_late for x in found), default=None)
        panel.rows.append([code, names.get(code, code), len(found), missing[code], most, dates])
    panel.caption = (
        "Late: the value first came in a release after the day's first release. Missing: no "
        "release so far has a value for the day."
        if panel.rows
        else "Every expected trust's value came in the day's first release."
    )


def _missing(rows: list[RollupRow], names: dict[str, str], panel: Panel) -> None:
    panel.columns = ["Date", "Trust code", "Trust", "Reported", "Expected"]
    for row in sorted(rows, key=lambda r: r.period_start):
        for code in row.coverage.missing:
            panel.rows.append(
                [row.period_start.isoformat(), code, names.get(code, code),
                 row.coverage.reported, row.coverage.expected]
            )  # fmt: skip
    panel.caption = (
        "Trusts that report this metric and are placed in the area, without a value on the day."
        if panel.rows
        else "Every expected trust returned a value on every day of the range."
    )


def _restated(rows: list[RollupRow], names: dict[str, str], panel: Panel) -> None:
    """Values reported under one code and counted for another (a merger or a split's share)."""
    moved: dict[tuple[str, str, float], list[float]] = defaultdict(list)
    for row in rows:
        for c in row.contributors:
            if c.reported_by:
                moved[(c.reported_by, c.organisation, c.restatement_share)].append(c.value)
    panel.columns = ["Reported by", "Reporter", "Counted for", "Trust", "Share", "Values", "Total"]
    for (by, to, share), values in sorted(moved.items()):
        panel.rows.append(
            [by, names.get(by, by), to, names.get(to, to), share, len(values), sum(values)]
        )
    panel.caption = (
        "Returns made under a code that has since been carried on by another organisation "
        "(a merger, or a split with stated shares) count for the organisation of today."
        if panel.rows
        else "No value in the range was reported under a code that has been carried on since."
    )


def _unmapped(
    result: RollupResult, rows: list[RollupRow], names: dict[str, str], panel: Panel
) -> None:
    """Unmapped values of the trusts in scope: counted or expected here, or their reporters."""
    ours = {c.organisation for r in rows for c in r.contributors}
    ours |= {c.reported_by for r in rows for c in r.contributors if c.reported_by}
    ours |= {m for r in rows for m in r.coverage.missing}
    grouped: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for u in result.unmapped:
        if u.organisation in ours or (u.reported_by or "") in ours or not rows:
            grouped[(u.organisation, u.reported_by or "", u.reason)].append(u.value)
    panel.columns = ["Trust code", "Trust", "Reported by", "Reason", "Values", "Total"]
    for (code, by, reason), values in sorted(grouped.items()):
        panel.rows.append([code, names.get(code, code), by, reason, len(values), sum(values)])
    panel.caption = (
        "What no area takes, and why (no placement, a partial placement, or a split without "
        "stated shares)."
        if panel.rows
        else "Every value of these trusts is placed in an area."
    )
