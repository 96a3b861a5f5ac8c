"""The roll-up engine: sum a metric's values into areas, by a placement method, at a date or over a
range, with every contributor, its share and the coverage of each area.

Counts and flows are summed across organisations, and over time when a range is asked for; stocks
are summed across organisations only: a range gives a time series per area (the metric scheme
says which a metric is). Organisations are placed in areas by the materialised `org_area` table of
the numbers store (one row per method, area type, organisation, area, share and validity), or,
for RETURN_STATED, by the NHS England region the return itself states (no graph needed).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
from rdflib import URIRef

from service.returns.codes import Successions, successor_on
from service.returns.numbers import NumbersStore
from service.rollup.model import (
    AS_REPORTED,
    NATIONAL,
    Contributor,
    Coverage,
    Method,
    Restate,
    RollupResult,
    RollupRow,
    Scope,
    Unmapped,
)
from service.validation.shacl import ontology_graph
from service.vocab import NHSKG


class RollupError(ValueError):
    """A roll-up that cannot be answered as asked (the message says what to change)."""


@lru_cache(maxsize=256)
def metric_kind(metric: str) -> str:
    kind = ontology_graph().value(URIRef(metric), NHSKG.measureKind)
    if kind is None:
        raise RollupError(f"{metric} is not a metric of the metric scheme")
    return str(kind).rsplit("#", 1)[-1]


def rollup(
    numbers: NumbersStore,
    metric: str,
    area_type: str,
    when: date | tuple[date, date],
    method: Method = Method.RETURN_STATED,
    restate: Restate = AS_REPORTED,
    scope: Scope = NATIONAL,
    *,
    successions: Successions | None = None,
    series: bool = False,
) -> RollupResult:
    kind = metric_kind(metric)
    start, end = when if isinstance(when, tuple) else (when, when)
    if method == Method.RETURN_STATED and area_type != "NHS_REGION":
        raise RollupError("RETURN_STATED places organisations in NHS England regions only")
    con = numbers.con.cursor()
    _restate_map(con, metric, start, end, restate, successions)
    rows = con.execute(
        *_placed_query(metric, area_type, start, end, method, restate, scope)
    ).fetchall()
    expected = _expected(con, metric, area_type, method, restate.at or end)
    con.close()
    by_time = kind == "Flow" and not series and start != end
    return RollupResult(
        metric, area_type, method, restate, kind, *_aggregate(rows, expected, by_time, start, end)
    )


def _restate_map(
    con: Any, metric: str, start: date, end: date, restate: Restate, successions: Successions | None
) -> None:
    """Reporting code -> (target code or NULL for a split without shares, share), as a relation."""
    codes = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT org_code FROM reported_value WHERE metric = ? "
            "AND period_start BETWEEN ? AND ?",
            [metric, start, end],
        ).fetchall()
    ]
    pairs: list[tuple[str, str | None]] = []
    for code in codes:
        if restate.kind == "AS_REPORTED" or restate.at is None or successions is None:
            pairs.append((code, code))
            continue
        targets = successor_on(code, restate.at, successions)
        pairs.append((code, targets[0] if len(targets) == 1 else None))
    restate_columns = {  # noqa: F841 (read by DuckDB's replacement scan)
        "org_code": np.array([p[0] for p in pairs] or [""], dtype=object),
        "target": np.array([p[1] for p in pairs] or [None], dtype=object),
    }
    con.execute("CREATE OR REPLACE TEMP TABLE restate_map AS SELECT * FROM restate_columns")


def _placed_query(
    metric: str,
    area_type: str,
    start: date,
    end: date,
    method: Method,
    restate: Restate,
    scope: Scope,
) -> tuple[str, list[Any]]:
    day = "v.period_start" if restate.at is None else f"DATE '{restate.at.isoformat()}'"
    params: list[Any] = [metric, start, end]
    if method == Method.RETURN_STATED:
        placed = "SELECT v.*, v.region_code AS area, CAST(1.0 AS DOUBLE) AS share FROM v"
    else:
        placed = (
            "SELECT v.*, a.area_code AS area, "
            "CAST(coalesce(a.share, 1.0) AS DOUBLE) AS share FROM v "
            "LEFT JOIN org_area a ON a.method = ? AND a.area_type = ? AND a.org_code = v.target "
            f"AND (a.valid_from IS NULL OR a.valid_from <= {day}) "
            f"AND (a.valid_to IS NULL OR {day} <= a.valid_to)"
        )
        params += [method.value, area_type]
    where, scope_params = _scope(scope, method, day)
    sql = f"""
        WITH v AS (
            SELECT rv.org_code, m.target, rv.region_code, rv.period_start, rv.period_end, rv.value
            FROM reported_value rv JOIN restate_map m USING (org_code)
            WHERE rv.metric = ? AND rv.period_start BETWEEN ? AND ?
        ), placed AS ({placed})
        SELECT area, period_start, period_end, coalesce(target, org_code), share, value,
               target IS NULL
        FROM placed WHERE {where}
        ORDER BY area NULLS LAST, period_start, 4"""
    return sql, params + scope_params


def _scope(scope: Scope, method: Method, day: str) -> tuple[str, list[Any]]:
    if scope.kind == "national":
        return "TRUE", []
    if scope.kind == "organisation":
        return "coalesce(target, org_code) = ?", [scope.code]
    if method == Method.RETURN_STATED:
        return "region_code = ?", [scope.code]
    return (
        "target IN (SELECT r.org_code FROM org_area r WHERE r.method = ? "
        "AND r.area_type = 'NHS_REGION' AND r.area_code = ? "
        f"AND (r.valid_from IS NULL OR r.valid_from <= {day}) "
        f"AND (r.valid_to IS NULL OR {day} <= r.valid_to))",
        [method.value, scope.code],
    )


def _expected(
    con: Any, metric: str, area_type: str, method: Method, day: date
) -> dict[str, set[str]]:
    """Area -> organisations that report this metric at all (in any loaded period) and that the
    method places in the area at `day` (RETURN_STATED: that ever stated the region)."""
    if method == Method.RETURN_STATED:
        rows = con.execute(
            "SELECT DISTINCT region_code, org_code FROM reported_value WHERE metric = ?", [metric]
        ).fetchall()
    else:
        rows = con.execute(
            "SELECT DISTINCT a.area_code, a.org_code FROM org_area a JOIN "
            "(SELECT DISTINCT org_code FROM reported_value WHERE metric = ?) r USING (org_code) "
            "WHERE a.method = ? AND a.area_type = ? "
            "AND (a.valid_from IS NULL OR a.valid_from <= ?) "
            "AND (a.valid_to IS NULL OR ? <= a.valid_to)",
            [metric, method.value, area_type, day, day],
        ).fetchall()
    out: dict[str, set[str]] = defaultdict(set)
    for area, org in rows:
        out[area].add(org)
    return out


def _aggregate(
    rows: list[tuple[Any, ...]],
    expected: dict[str, set[str]],
    over_time: bool,
    start: date,
    end: date,
) -> tuple[list[RollupRow], list[Unmapped]]:
    groups: dict[tuple[str, date], RollupRow] = {}
    unmapped: list[Unmapped] = []
    for area, p_start, p_end, org, share, value, split in rows:
        if area is None or split:
            unmapped.append(Unmapped(org, p_start, value))
            continue
        key = (area, start) if over_time else (area, p_start)
        row = groups.get(key)
        if row is None:
            row = groups[key] = RollupRow(
                area, key[1], end if over_time else p_end, 0.0, [], Coverage(0, 0)
            )
        row.value += value * share
        row.contributors.append(Contributor(org, share, value))
    for (area, _), row in groups.items():
        reported = {c.organisation for c in row.contributors}
        want = expected.get(area, set())
        row.coverage = Coverage(len(reported), len(want | reported), sorted(want - reported))
    return list(groups.values()), unmapped


def materialise_org_areas(
    numbers: NumbersStore, rows: list[tuple[Any, ...]], method: Method
) -> int:
    """Replace one method's organisation -> area rows: (area_type, org_code, area_code, share,
    valid_from, valid_to). Called when reference data changes, never per request. Columns are
    named, so the wider table service/geography/table.py writes (source, coverage...) also fits."""
    con = numbers.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM org_area WHERE method = ?", [method.value])
        con.executemany(
            "INSERT INTO org_area (method, area_type, org_code, area_code, share, valid_from, "
            "valid_to) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(method.value, *r) for r in rows],
        )
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return len(rows)
