"""The roll-up engine: sum a metric's values into areas, by a placement method, at a date or over a
range, with every contributor, its share and the coverage of each area.

Counts and flows are summed across organisations, and over time when a range is asked for; stocks
are summed across organisations only: a range gives a time series per area (the metric scheme
says which a metric is). Organisations are placed in areas by the materialised `org_area` table of
the numbers store (one row per method, area type, organisation, area, share and validity), or,
for RETURN_STATED, by the NHS England region the return itself states (no graph needed).

Restated to the organisations of a date, a value counts for each organisation that carries its
reporter on, with that organisation's share (a split's stated weights, chains multiplied); a split
without weights is listed as unmapped with the reason, never guessed. The summing happens in
the engine, DuckDB or Spark (values summed per organisation first, then restated and placed);
Python only shapes the few aggregated rows (per area, per organisation counted and per reporter)
into the result. The SQL is written once, in DuckDB's dialect, using only what SQLGlot writes as
Spark SQL (no UNION BY NAME; only the small restatement table is bound differently, as lists
on DuckDB and a VALUES list on Spark, _restatement_relation): service/rollup/spark.py.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from rdflib import URIRef

from service.geography.millionths import ONE, rounded
from service.rdf.vocab import NHSKG
from service.returns.codes import Successions, carried_on, unweighted_split_reason
from service.returns.numbers import NumbersStore
from service.rollup.model import (
    AREA_MEMBERSHIP,
    AS_REPORTED,
    NATIONAL,
    RETURN_STATED,
    Contributor,
    Coverage,
    Method,
    Restate,
    RollupResult,
    RollupRow,
    Scope,
    Unmapped,
    UnmappedSummary,
)
from service.rollup.ratio import ratio_parts, ratio_rollup
from service.rollup.source import NumbersSource, fetched
from service.validation.shacl import ontology_graph

if TYPE_CHECKING:
    from service.access.disclosure import Protection


class RollupError(ValueError):
    """A roll-up that cannot be answered as asked (the message says what to change)."""


class PlacementsMissing(RollupError):
    """No placements of the method in the area type are materialised: the roll-up would leave
    every value unmapped. `materialised` lists what the table holds."""

    def __init__(self, method: Method, area_type: str, materialised: list[str]) -> None:
        self.method, self.area_type, self.materialised = method, area_type, materialised
        super().__init__(
            f"no placements by {method.value} in {area_type} areas are materialised "
            f"(materialised: {', '.join(materialised) or 'none'}); organisations are placed in "
            "the geography types the ontology marks nhskg:rollUpTarget"
        )


def placed_method(placed: list[tuple[str, str, int]], area_type: str, preferred: str) -> str:
    """The method a roll-up by `area_type` uses when none is asked for: `preferred` (the
    default), or where the store holds no placements by it in that type (the embedded sample
    has no site locations), the first method it holds for the type; `placed` is
    NumbersStore.placements(). A type with no placements at all keeps `preferred`, and
    require_placements then says so."""
    methods = [method for method, placed_type, _ in placed if placed_type == area_type]
    return preferred if not methods or preferred in methods else methods[0]


def require_placements(numbers: NumbersStore, method: Method, area_type: str) -> None:
    """The placement table must hold the method and type asked for (it is materialised when the
    reference data changes, never per request): every path asks this before a roll-up of
    values reported by organisations, so none answers "all unmapped" for a type never placed."""
    if method == RETURN_STATED:
        return
    reader = numbers.reader()
    found = reader.execute(
        f"SELECT count(*) FROM {numbers.placement_table} WHERE method = ? AND area_type = ?",
        [method.value, area_type],
    ).fetchone()
    if not found or not found[0]:
        have = reader.execute(
            f"SELECT DISTINCT method || ' by ' || area_type FROM {numbers.placement_table} "
            "ORDER BY 1"
        ).fetchall()
        raise PlacementsMissing(method, area_type, [str(r[0]) for r in have])


@lru_cache(maxsize=256)
def metric_kind(metric: str) -> str:
    kind = ontology_graph().value(URIRef(metric), NHSKG.measureKind)
    if kind is None:
        raise RollupError(f"{metric} is not a metric of the metric scheme")
    return str(kind).rsplit("#", 1)[-1]


def rollup(
    numbers: NumbersSource,
    metric: str,
    area_type: str,
    when: date | tuple[date, date],
    method: Method = RETURN_STATED,
    restate: Restate = AS_REPORTED,
    scope: Scope = NATIONAL,
    *,
    successions: Successions | None = None,
    series: bool = False,
    detail: bool = True,
    protection: Protection | None = None,
    reported_type: str | None = None,
) -> RollupResult:
    """`detail=False`: the same figures, coverage and unmapped totals without the contributors
    of each row or the list of unmapped values, summed by the engine (a 90-day national series
    has tens of thousands of contributors a client asking for the series alone does not read).
    `numbers`: the numbers store (DuckDB) or the same tables on Spark (service/rollup/spark.py);
    the SQL below is written once, in DuckDB's dialect, and transpiled for Spark.

    Values reported by area (method AREA_MEMBERSHIP, service/rollup/areas.py) are the values of
    the areas of `reported_type` only (a file giving LTLAs and their UTLAs and regions would
    otherwise count each case three times), placed by the area_area table.

    `protection` (service/access/disclosure.py): every value is read perturbed, so every figure,
    contributor and unmapped total is summed from perturbed values, and each row says so.

    A ratio metric is the ratio of its parts' sums over the same contributors
    (service/rollup/ratio.py)."""
    parts = ratio_parts(metric)
    if parts is not None:
        return ratio_rollup(
            rollup, numbers, metric, parts, area_type, when, method, restate, scope,
            successions=successions, series=series, detail=detail,
        )  # fmt: skip
    kind = metric_kind(metric)
    start, end = when if isinstance(when, tuple) else (when, when)
    if method == RETURN_STATED and area_type != "NHS_REGION":
        raise RollupError("RETURN_STATED places organisations in NHS England regions only")
    if (method == AREA_MEMBERSHIP) != (reported_type is not None):
        raise RollupError("AREA_MEMBERSHIP rolls up values reported by areas of one type")
    over_time = kind == "Flow" and not series and start != end
    con = numbers.reader()  # a cursor of its own: concurrent requests do not share one
    try:
        reporters = con.execute(
            f"SELECT org_code, region_code FROM {numbers.reporters} WHERE metric = ? "
            "AND area_type IS NOT DISTINCT FROM ?",
            [metric, reported_type],
        ).fetchall()
        restated = _restatement({code for code, _ in reporters}, restate, successions)
        dated = any(r[1] is not None or r[2] is not None for r in restated)
        sql, params = _contributions_query(
            metric, area_type, start, end, method, restate, scope, over_time, dated, reported_type
        )
        portable = getattr(numbers, "portable", False)  # True: Spark (service/rollup/spark.py)
        relation, restated_params = _restatement_relation(restated, portable)
        sql = sql.replace("{restatement}", relation)
        values = numbers.values  # the latest releases, or as known at
        sql = sql.replace("{values}", protection.relation(values) if protection else values)
        tables = _placement_tables(numbers)
        sql = _with_tables(sql, tables)
        period = "" if over_time else "period_start, period_end, "
        if detail:
            sql += f" ORDER BY area NULLS LAST, {period}target, org_code"
        else:
            sql = _summary_query(sql, period)
        rows = fetched(con.execute(sql, [*restated_params, *params]))
        expected = _expected(con, reporters, area_type, method, restate.at or end, tables)
    finally:
        con.close()
    withheld = _withhold(expected, scope)
    head = (metric, area_type, method, restate, kind)
    label = protection.label if protection else None
    if not detail:
        found, summary = _shape_summary(rows, expected, over_time, start, end)
        if protection:
            found, summary = _published(found, summary, protection)
        return RollupResult(
            *head, _mark(found, withheld, label), [], summary, detail=False, protection=label
        )
    found, unmapped = _shape(
        rows, expected, over_time, start, end, f"{area_type} by {method.value}"
    )
    summary = UnmappedSummary(
        sum(u.value for u in unmapped), len(unmapped), sorted({u.organisation for u in unmapped})
    )
    if protection:
        found, summary = _published(found, summary, protection)
    return RollupResult(*head, _mark(found, withheld, label), unmapped, summary, protection=label)


def _withhold(expected: dict[str, set[str]], scope: Scope) -> dict[str, int]:
    """For a set-of-organisations scope: keep only the organisations in scope among those each
    area expects (coverage never names an organisation outside it) and count the others."""
    if scope.kind != "organisations":
        return {}
    withheld: dict[str, int] = {}
    for area, orgs in expected.items():
        kept = {org for org in orgs if scope.covers(org, area)}
        withheld[area] = len(orgs) - len(kept)
        expected[area] = kept
    return withheld


def _published(
    rows: list[RollupRow], summary: UnmappedSummary, protection: Protection
) -> tuple[list[RollupRow], UnmappedSummary]:
    for row in rows:
        row.value = protection.published(row.value)
    total = protection.published(summary.total)
    return rows, UnmappedSummary(total, summary.count, summary.organisations)


def _mark(
    rows: list[RollupRow], withheld: dict[str, int], protection: str | None
) -> list[RollupRow]:
    for row in rows:
        row.withheld = withheld.get(row.area, 0)
        row.protection = protection
    return rows


def _restatement(
    codes: set[str], restate: Restate, successions: Successions | None
) -> list[tuple[Any, ...]]:
    """The restatement relation of the reporting codes as rows (org_code, reported_from,
    reported_before, target, share, reason): several rows for a split by
    weights, one row with no target and a reason for a split without weights. Only codes that
    some succession moves are listed; every other code stands for itself.

    A code that carries on in its own split (A -> A + B) is restated differently before and
    after it: its values are cut at those dates (reported_from inclusive, reported_before
    exclusive, NULL for open). Any other code's values move the same way whatever their date
    (values under a code after it closed are late returns under the old code)."""
    out: list[tuple[Any, ...]] = []
    if restate.kind == "AS_REPORTED" or restate.at is None or successions is None:
        return out
    for code in sorted(codes):
        steps = successions(code)
        if not steps:
            continue
        cuts = sorted({s.day for s in steps if code in s.successors and s.day <= restate.at})
        bounds: list[date | None] = [None, *cuts, None]
        for reported_from, reported_before in pairwise(bounds):
            shares, unweighted = carried_on(code, restate.at, successions, reported_from)
            rows: list[tuple[str | None, float, str | None]]
            if unweighted:
                rows = [(None, 1.0, unweighted_split_reason(unweighted))]
            elif shares == ((code, 1.0),):
                continue
            else:
                rows = [(target, share, None) for target, share in shares]
            out += [(code, reported_from, reported_before, *row) for row in rows]
    return out


# The restatement relation's columns and types, in the order of _restatement's rows.
_RESTATEMENT = (
    ("org_code", "VARCHAR"),
    ("reported_from", "DATE"),
    ("reported_before", "DATE"),
    ("target", "VARCHAR"),
    ("rshare", "DOUBLE"),
    ("reason", "VARCHAR"),
)


def _restatement_relation(rows: list[tuple[Any, ...]], portable: bool) -> tuple[str, list[Any]]:
    """The restatement rows as a relation of bound parameters: the one place the SQL differs by
    engine, in how a small table is bound, never in what the roll-up computes. DuckDB (not
    `portable`): six list parameters unnested side by side (binding 50 rows this way costs DuckDB
    about 1 ms of CPU, a VALUES list of 300 parameters about 12). Spark (`portable`): a VALUES
    list, each parameter cast to its column's type (an empty relation of those columns when
    nothing is restated), which SQLGlot writes as Spark SQL (service/rollup/spark.py)."""
    if not portable:
        unnested = ", ".join(f"unnest(?::{kind}[]) AS {name}" for name, kind in _RESTATEMENT)
        return f"SELECT {unnested}", [list(c) for c in zip(*rows, strict=True)] or [[]] * 6
    typed = ", ".join(f"CAST(? AS {kind})" for _, kind in _RESTATEMENT)
    if not rows:
        nulls = ", ".join(f"CAST(NULL AS {kind}) AS {name}" for name, kind in _RESTATEMENT)
        return f"SELECT {nulls} WHERE FALSE", []
    names = ", ".join(name for name, _ in _RESTATEMENT)
    values = ", ".join(f"({typed})" for _ in rows)
    return f"SELECT * FROM (VALUES {values}) AS m({names})", [v for row in rows for v in row]


def _contributions_query(
    metric: str,
    area_type: str,
    start: date,
    end: date,
    method: Method,
    restate: Restate,
    scope: Scope,
    over_time: bool,
    dated: bool = False,
    reported_type: str | None = None,
) -> tuple[str, list[Any]]:
    """One aggregate query: per area (per period, or over the whole range for a flow), per
    organisation counted, reporting organisation and shares, the sum of the reported values.
    Rows with no area or a reason are what the roll-up reports as unmapped. `dated`: some
    restatement rows hold for part of the time only (see _restatement), so values are kept
    per period until they are restated."""
    at = None if restate.at is None else f"DATE '{restate.at.isoformat()}'"
    params: list[Any] = [metric, start, end]
    of_type = ""
    if reported_type is not None:
        of_type, params = " AND area_type = ?", [*params, reported_type]
    params += [method.value, area_type]
    table = _table(method)
    # The method's placements are filtered before the join, so DuckDB joins on the code alone
    # (several times faster than with the filters in the ON clause); at a restatement date their
    # validity is filtered there too, otherwise per period in the join.
    day = at or "v.period_start"
    valid = (
        f"(a.valid_from IS NULL OR {day} >= a.valid_from) "
        f"AND (a.valid_to IS NULL OR {day} <= a.valid_to)"
    )
    places = f"SELECT * FROM {table} a WHERE a.method = ? AND a.area_type = ?"
    on = "v.reason IS NULL AND a.org_code = v.target"
    if at:
        places += f" AND {valid}"
    else:
        on += f" AND {valid}"
    if method == RETURN_STATED:
        placed = (
            f"SELECT {_VALUE}, v.region_code AS area, CAST(1.0 AS DOUBLE) AS pshare, "
            "CAST(NULL AS VARCHAR) AS source, CAST(NULL AS DOUBLE) AS unlocated FROM v"
        )
    else:
        placed = _placed(on)
    where, scope_params = _scope(scope, method, at or "period_start")
    period = "" if over_time else "period_start, period_end, "
    # Values are summed per organisation before anything is joined; over a whole range at once
    # unless the placement is read per period (AS_REPORTED through org_area) or periods are kept.
    per_period = not over_time or dated or (restate.at is None and method != RETURN_STATED)
    reported_period = (
        "period_start, period_end"
        if per_period
        else ("min(period_start) AS period_start, max(period_end) AS period_end")
    )
    sql = f"""
        WITH m AS ({{restatement}}), r AS (
            SELECT org_code, region_code, {reported_period}, coalesce(sum(value), 0.0) AS value,
                   count(*) FILTER (WHERE value IS NULL) AS suppressed
            FROM {{values}} WHERE metric = ? AND period_start BETWEEN ? AND ?{of_type}
            GROUP BY ALL
        ), v AS (
            SELECT r.org_code, coalesce(m.target, r.org_code) AS target,
                   coalesce(m.rshare, 1.0) AS rshare, m.reason, r.region_code,
                   r.period_start, r.period_end, r.value, r.suppressed
            FROM r LEFT JOIN m ON m.org_code = r.org_code
                AND (m.reported_from IS NULL OR r.period_start >= m.reported_from)
                AND (m.reported_before IS NULL OR r.period_start < m.reported_before)
        ), a AS ({places}), placed AS ({placed})
        SELECT area, {period}target, org_code, rshare, pshare, reason, source,
               CASE WHEN area IS NULL THEN unlocated END AS unlocated, sum(value) AS value,
               sum(suppressed) AS suppressed
        FROM placed WHERE {where}
        GROUP BY ALL"""
    return sql, params + scope_params


def _table(method: Method) -> str:
    """The placements a method reads, as a placeholder (`_placement_tables`): areas'
    memberships, or organisations' placements."""
    return "{area_placements}" if method == AREA_MEMBERSHIP else "{placements}"


def _placement_tables(numbers: NumbersSource) -> dict[str, str]:
    """The tables the placeholders stand for: org_area and area_area, or tables of their
    columns as the reference was known at a date (service/geography/known_places.py)."""
    return {
        "{placements}": getattr(numbers, "placement_table", "org_area"),
        "{area_placements}": getattr(numbers, "area_placement_table", "area_area"),
    }


def _with_tables(sql: str, tables: dict[str, str]) -> str:
    for placeholder, table in tables.items():
        sql = sql.replace(placeholder, table)
    return sql


def _summary_query(contributions: str, period: str) -> str:
    """The contributions summed per area (and period), with the organisations counted in each,
    and one last row of the unmapped total, count and organisations: what _shape would make of
    them, less the contributors. The two must agree (tests/test_rollup_summary.py)."""
    no_period = "NULL, NULL, " if period else ""
    return f"""
        WITH g AS ({contributions})
        SELECT area, {period}sum(value * rshare * pshare) AS value,
               list(DISTINCT target) AS organisations, count(*) AS n,
               sum(suppressed) AS suppressed
        FROM g WHERE reason IS NULL AND area IS NOT NULL
        GROUP BY ALL
        UNION ALL
        SELECT NULL, {no_period}
               coalesce(sum(CASE WHEN reason IS NULL THEN value * rshare * (1 - pshare)
                                 ELSE value END), 0.0),
               list(DISTINCT CASE WHEN reason IS NULL THEN target ELSE org_code END), count(*),
               coalesce(sum(suppressed), 0)
        FROM g WHERE reason IS NOT NULL OR area IS NULL
        ORDER BY area NULLS LAST{", period_start" if period else ""}"""


# A reported value (one row of v) is placed once: these columns name it.
_VALUE = (
    "org_code, target, rshare, reason, region_code, period_start, period_end, value, suppressed"
)
# A placement is whole when its shares, each a whole number of millionths (every writer of the
# tables rounds them so: service/geography/millionths.py), add up to ONE: summed as integers, the
# comparison is exact and the same on every engine and in any order.
_MILLIONTHS = f"CAST(round(pshare * {ONE}) AS BIGINT)"


def _placed(on: str) -> str:
    """Each value joined to its placement's areas (area NULL and share 0 when it has none), and
    for a placement whose shares sum below 1 (a partial catchment, sites not all located) a row
    with no area carrying the placed fraction: the rest of the value is reported unmapped, so
    areas + unmapped is always the total reported."""
    return f"""
        WITH joined AS (
            SELECT v.*, a.area_code AS area, CAST(coalesce(a.share, 0.0) AS DOUBLE) AS pshare,
                   a.source, a.unlocated
            FROM v LEFT JOIN a ON {on}
        )
        SELECT {_VALUE}, area, pshare, source, unlocated FROM joined
        UNION ALL
        SELECT {_VALUE}, CAST(NULL AS VARCHAR) AS area, sum(pshare) AS pshare, source,
               max(unlocated) AS unlocated
        FROM joined WHERE area IS NOT NULL
        GROUP BY {_VALUE}, source HAVING sum({_MILLIONTHS}) < {ONE}"""


def _scope(scope: Scope, method: Method, day: str) -> tuple[str, list[Any]]:
    if scope.kind == "national":
        return "TRUE", []
    if scope.kind == "organisation":
        return "target = ?", [scope.code]
    if scope.kind == "organisations":
        codes, stated, regions = sorted(scope.codes), sorted(scope.stated), sorted(scope.regions)
        return (
            f"({_among('target', codes)} OR ({_among('target', stated)} "
            f"AND {_among('region_code', regions)}))",
            [*codes, *stated, *regions],
        )
    if method == RETURN_STATED:
        return "region_code = ?", [scope.code]
    return (
        f"target IN (SELECT r.org_code FROM {_table(method)} r WHERE r.method = ? "
        "AND r.area_type = 'NHS_REGION' AND r.area_code = ? "
        f"AND (r.valid_from IS NULL OR r.valid_from <= {day}) "
        f"AND (r.valid_to IS NULL OR {day} <= r.valid_to))",
        [method.value, scope.code],
    )


def _among(column: str, values: list[str]) -> str:
    """`column IN (?, ...)` with one bound parameter per value (FALSE for none)."""
    return f"{column} IN ({', '.join('?' for _ in values)})" if values else "FALSE"


def _expected(
    con: Any,
    reporters: list[tuple[str, str]],
    area_type: str,
    method: Method,
    day: date,
    tables: dict[str, str],
) -> dict[str, set[str]]:
    """Area -> organisations that report this metric at all (`reporters`: the (org_code,
    region_code) rows of the reporter table the numbers store keeps, any loaded period) and that
    the method places in the area at `day` (RETURN_STATED: that ever stated the region).

    The placements are read whole for the day and filtered here: the tables are small, and one
    plain scan costs DuckDB a fraction of a query with a semi-join and a window."""
    out: dict[str, set[str]] = defaultdict(set)
    if method == RETURN_STATED:
        for org, region_code in reporters:
            out[region_code].add(org)
        return out
    codes = {org for org, _ in reporters}
    rows = con.execute(
        f"SELECT area_code, org_code, coalesce(source, '') "
        f"FROM {_with_tables(_table(method), tables)} "
        "WHERE method = ? AND area_type = ? AND (valid_from IS NULL OR valid_from <= ?) "
        "AND (valid_to IS NULL OR ? <= valid_to)",
        [method.value, area_type, day, day],
    )
    # One source per organisation and day (CATCHMENT: the table catchment_policy chose).
    for area, org, _ in fetched(rows):
        if org in codes:
            out[area].add(org)
    return out


def _shape(
    rows: list[tuple[Any, ...]],
    expected: dict[str, set[str]],
    over_time: bool,
    start: date,
    end: date,
    placement: str,
) -> tuple[list[RollupRow], list[Unmapped]]:
    """The aggregated rows (a few per organisation and area) as result rows with coverage."""
    groups: dict[tuple[str, date], RollupRow] = {}
    unmapped: list[Unmapped] = []
    for row in rows:
        if over_time:
            row = (row[0], start, end, *row[1:])
        area, p_start, p_end, target, org, rshare, pshare, reason, source, unlocated = row[:10]
        value, hidden = row[10:]
        reported_by = org if org != target else None
        if reason is not None:  # restatement could not say who carries the value on
            unmapped.append(
                Unmapped(org, p_start, value, p_end, reason, reported_by, suppressed=hidden)
            )
            continue
        if area is None:  # pshare is the fraction placed in some area: 0, or a partial placement
            unlocated = unlocated or 0.0
            if pshare > 0:
                table = f" of {source}" if source else ""
                why = f"outside the {placement} coverage{table} ({_partial(pshare, unlocated)})"
            else:
                why = f"not placed in any {placement}"
            gone = value * rshare * (1.0 - pshare)
            unmapped.append(
                Unmapped(
                    target,
                    p_start,
                    gone,
                    p_end,
                    why,
                    reported_by,
                    pshare,
                    unlocated if pshare else None,
                    hidden,
                )
            )
            continue
        result_row = groups.get((area, p_start))
        if result_row is None:
            result_row = groups[(area, p_start)] = RollupRow(
                area, p_start, p_end, 0.0, [], Coverage(0, 0)
            )
        share = rshare * pshare
        result_row.value += value * share
        result_row.suppressed += hidden
        result_row.contributors.append(
            Contributor(target, share, value, reported_by, rshare, source or None, hidden)
        )
    for (area, _), result_row in groups.items():
        reported = {c.organisation for c in result_row.contributors}
        want = expected.get(area, set())
        result_row.coverage = Coverage(len(reported), len(want | reported), sorted(want - reported))
    return list(groups.values()), unmapped


def _partial(placed: float, unlocated: float) -> str:
    """The placed and unlocated shares of a partly placed organisation, as the lookup says them."""
    sites = f"; {unlocated:.3g} of its sites have no known location (not counted)"
    return f"{placed:.3g} placed, {1 - placed:.3g} in no area{sites if unlocated else ''}"


def _shape_summary(
    rows: list[tuple[Any, ...]],
    expected: dict[str, set[str]],
    over_time: bool,
    start: date,
    end: date,
) -> tuple[list[RollupRow], UnmappedSummary]:
    """The rows of _summary_query as result rows with coverage, and the unmapped summary."""
    found: list[RollupRow] = []
    summary = UnmappedSummary(0.0, 0, [])
    for row in rows:
        if over_time:
            (area, value, organisations, count, hidden), p_start, p_end = row, start, end
        else:
            area, p_start, p_end, value, organisations, count, hidden = row
        if area is None:
            summary = UnmappedSummary(value, count, sorted(o for o in organisations or [] if o))
            continue
        reported, want = set(organisations), expected.get(area, set())
        coverage = Coverage(len(reported), len(want | reported), sorted(want - reported))
        found.append(RollupRow(area, p_start, p_end, value, [], coverage, suppressed=hidden))
    return found, summary


def _in_millionths(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows (area_type, org_code, area_code, share, valid_from, valid_to[, source]) with
    each placement's shares (one organisation, type, validity and source) in whole millionths."""
    placements: dict[tuple[Any, ...], dict[str, float]] = defaultdict(dict)
    for r in rows:
        r = tuple(r[:7])
        key = (r[0], r[1], *r[4:])
        placements[key][r[2]] = placements[key].get(r[2], 0.0) + r[3]
    return [
        (key[0], key[1], area, share, *key[2:])
        for key, shares in placements.items()
        for area, share in rounded(shares).items()
    ]


def materialise_org_areas(
    numbers: NumbersStore, rows: list[tuple[Any, ...]], method: Method
) -> int:
    """Replace one method's organisation -> area rows: (area_type, org_code, area_code, share,
    valid_from, valid_to[, source]), the source being the catchment table for CATCHMENT. Called
    when reference data changes, never per request. Columns are named, so the wider table
    service/geography/table.py writes (source, coverage...) also fits."""
    con = numbers.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM org_area WHERE method = ?", [method.value])
        con.executemany(
            "INSERT INTO org_area (method, area_type, org_code, area_code, share, valid_from, "
            "valid_to, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(method.value, *r, *([None] * (7 - len(r)))) for r in _in_millionths(rows)],
        )
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return len(rows)
