"""Roll-ups of values reported by area: the organisation roll-up engine, placing areas by the
graph's dated memberships (area_area, service/rollup/area_places.py) instead of organisations.

A metric may be reported at several area types in one file (UKHSA cases: LTLAs, UTLAs, regions
and England): a roll-up sums the areas of one type only, by default the type with the most areas
that lies within the type asked for (LAD for cases), so no case is counted twice. Asking for a
type finer than any the metric is reported at (admissions by NHS region, asked by LAD) is an
error that says which types can be asked for. An area code the graph does not hold is listed
unmapped with that reason, never dropped. NATION is England (nhskg:Nation), reached through the
memberships of its regions, local resilience forums and upper-tier authorities.

Restated to the areas of a date (`restate`, as organisations' roll-ups are), each value is placed
by the memberships of that date, and a value of an area the graph no longer places then (a
district abolished in a merger) moves to the areas holding its building blocks
(area_succession, service/rollup/area_places.py), with their shares; the answer says the date.

`published_totals` compares the sum of the parts with the totals the same publication gives for
the larger areas (its region and England rows), per area and period, with the difference.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from service.returns.area_spec import is_area_metric
from service.returns.codes import Step, Successions
from service.rollup.engine import RollupError, rollup
from service.rollup.model import (
    AREA_MEMBERSHIP,
    AS_REPORTED,
    NATIONAL,
    Restate,
    RollupResult,
    Scope,
)
from service.rollup.source import NumbersSource

if TYPE_CHECKING:
    from service.access.disclosure import Protection

UNKNOWN = "unknown area code: the graph holds no such area (kept as reported, not placed)"


@dataclass(frozen=True)
class ReportedType:
    area_type: str  # the type of the reporting areas (LAD, MSOA, NHS_REGION, NATION ...)
    areas: int  # how many areas of it report the metric
    reaches: tuple[str, ...]  # the types its areas are placed in (area_area)


def _placements(numbers: NumbersSource) -> str:
    """area_area, or a table of its columns as the reference was known at a date."""
    return str(getattr(numbers, "area_placement_table", "area_area"))


def _successions(numbers: NumbersSource) -> str:
    """area_succession, or a table of its columns as the reference was known at a date."""
    return str(getattr(numbers, "area_succession_table", "area_succession"))


def reported_types(numbers: NumbersSource, metric: str) -> list[ReportedType]:
    """The area types a metric is reported at, most areas first, and what each reaches."""
    con = numbers.reader()
    try:
        rows = con.execute(
            f"""SELECT reporter.area_type, count(DISTINCT reporter.org_code),
                       list(DISTINCT a.area_type)
                FROM {numbers.reporters} LEFT JOIN {_placements(numbers)} a
                    ON a.org_code = reporter.org_code
                WHERE reporter.metric = ? AND reporter.area_type IS NOT NULL
                GROUP BY reporter.area_type ORDER BY 2 DESC, 1""",
            [metric],
        ).fetchall()
    finally:
        con.close()
    # Sorted here: SQLGlot drops an ORDER BY inside list() when it writes Spark SQL.
    return [
        ReportedType(str(t), int(n), tuple(sorted(x for x in reach if x))) for t, n, reach in rows
    ]


def choose_type(
    numbers: NumbersSource, metric: str, area_type: str, reported_type: str | None = None
) -> str:
    """The reporting type to roll up from: the one given (checked), or the type with the most
    areas that reaches `area_type`."""
    if not is_area_metric(metric):
        raise RollupError(f"{metric} is reported by organisations: use a placement method")
    types = reported_types(numbers, metric)
    if not types:
        raise RollupError(f"no values of {metric} are loaded")
    given = [t for t in types if reported_type in (None, t.area_type)]
    if not given:
        known = ", ".join(t.area_type for t in types)
        raise RollupError(f"{metric} is not reported by {reported_type}; it is by {known}")
    for t in given:
        if area_type in t.reaches:
            return t.area_type
    reachable = sorted({x for t in given for x in t.reaches})
    stated = ", ".join(t.area_type for t in given)
    raise RollupError(
        f"{metric} is reported by {stated}; no such area lies within a {area_type} (the type "
        f"asked for is finer than the areas reported, or does not nest in them): ask for one "
        f"of {', '.join(reachable) or 'none'}"
    )


def unknown_areas(numbers: NumbersSource, metric: str, among: set[str]) -> set[str]:
    """Of the codes `among`, those of areas reporting the metric that the graph did not hold
    when their values were loaded."""
    rows = (
        numbers.reader()
        .execute(
            "SELECT DISTINCT org_code FROM release_value WHERE metric = ? AND org_iri = '' "
            "AND area_type IS NOT NULL AND list_contains(?, org_code)",
            [metric, sorted(among)],
        )
        .fetchall()
    )
    return {str(r[0]) for r in rows}


def area_rollup(
    numbers: NumbersSource,
    metric: str,
    area_type: str,
    when: date | tuple[date, date],
    *,
    reported_type: str | None = None,
    scope: Scope = NATIONAL,
    series: bool = False,
    detail: bool = True,
    protection: Protection | None = None,
    restate: Restate = AS_REPORTED,
) -> RollupResult:
    """Values reported by area summed into the areas of `area_type` (method AREA_MEMBERSHIP);
    `protection`: each area's value perturbed first (service/access/disclosure.py); `restate`:
    to the areas of a date."""
    chosen = choose_type(numbers, metric, area_type, reported_type)
    result = rollup(
        numbers,
        metric,
        area_type,
        when,
        AREA_MEMBERSHIP,
        restate,
        scope=scope,
        successions=area_successions(numbers) if restate.at else None,
        series=series,
        detail=detail,
        reported_type=chosen,
        protection=protection,
    )
    result.reported_type = chosen
    if not result.unmapped:  # no reasons to give (or asked without detail)
        return result
    unmapped = {u.organisation for u in result.unmapped}
    unknown = unknown_areas(numbers, metric, unmapped)
    ended = _ended(numbers, area_type, unmapped - unknown)
    result.unmapped = [
        replace(u, reason=UNKNOWN)
        if u.organisation in unknown
        else replace(u, reason=_ended_reason(area_type, ended[u.organisation]))
        if u.organisation in ended and ended[u.organisation] < u.period_start
        else u
        for u in result.unmapped
    ]
    return result


def area_successions(numbers: NumbersSource) -> Successions:
    """The successions of areas the graph stops placing, as the roll-up engine restates
    organisations' values by (one step per area: the day its successors take over)."""
    con = numbers.reader()
    try:
        rows = con.execute(
            "SELECT org_code, day, list(successor ORDER BY successor), "
            f"list(share ORDER BY successor) FROM {_successions(numbers)} GROUP BY org_code, day"
        ).fetchall()
    except duckdb.CatalogException:  # a store written before area successions: none
        rows = []
    finally:
        con.close()
    steps = {str(code): [Step(day, tuple(to), tuple(shares))] for code, day, to, shares in rows}
    return lambda code: steps.get(code, [])


def _ended(numbers: NumbersSource, area_type: str, codes: set[str]) -> dict[str, date]:
    """The last day the graph places each area in an area of `area_type` (codes placed for a
    while only: a district abolished in a merger that a file still reports)."""
    if not codes:
        return {}
    rows = (
        numbers.reader()
        .execute(
            f"SELECT org_code, max(valid_to) FROM {_placements(numbers)} WHERE area_type = ? "
            "AND list_contains(?, org_code) GROUP BY org_code "
            "HAVING count(*) FILTER (WHERE valid_to IS NULL) = 0",
            [area_type, sorted(codes)],
        )
        .fetchall()
    )
    return {str(code): day for code, day in rows if day is not None}


def _ended_reason(area_type: str, day: date) -> str:
    return (
        f"the graph places this area in no {area_type} after {day} (abolished or recoded then; "
        "restate the roll-up to a later date to count its values in its successor)"
    )


@dataclass(frozen=True)
class PublishedTotal:
    """A total the publication gives for a larger area, beside the sum of its parts."""

    area: str
    period_start: date
    published: float | None  # None: the publication gives no total for it
    parts: float  # the sum of the parts placed in the area
    parts_suppressed: int

    @property
    def difference(self) -> float | None:
        return None if self.published is None else self.published - self.parts


def published_totals(
    numbers: NumbersSource,
    metric: str,
    parts_type: str,
    total_type: str,
    when: date | tuple[date, date],
    *,
    protection: Protection | None = None,
) -> tuple[list[PublishedTotal], dict[date, float]]:
    """Per area of `total_type` and period: its published value and the sum of its parts (areas
    of `parts_type`); and per period the parts' unmapped total (unknown or unplaced areas, in no
    area of `total_type`), which a national total includes."""
    start, end = when if isinstance(when, tuple) else (when, when)
    summed = area_rollup(
        numbers, metric, total_type, (start, end), reported_type=parts_type, series=True,
        protection=protection,
    )  # fmt: skip
    values = protection.relation(numbers.values) if protection else numbers.values
    unmapped: dict[date, float] = defaultdict(float)
    for u in summed.unmapped:
        unmapped[u.period_start] += u.value
    con = numbers.reader()
    try:
        published = {
            (str(code), day): value
            for code, day, value in con.execute(
                f"SELECT org_code, period_start, value FROM {values} "
                "WHERE metric = ? AND area_type = ? AND period_start BETWEEN ? AND ?",
                [metric, total_type, start, end],
            ).fetchall()
        }
    finally:
        con.close()
    out = [
        PublishedTotal(
            r.area, r.period_start, published.pop((r.area, r.period_start), None), r.value,
            r.suppressed,
        )
        for r in summed.rows
    ]  # fmt: skip
    out += [PublishedTotal(a, d, v, 0.0, 0) for (a, d), v in published.items()]
    return sorted(out, key=lambda t: (t.period_start, t.area)), dict(unmapped)


__all__ = ["PublishedTotal", "area_rollup", "published_totals", "reported_types"]
