"""The reporting area -> area table (area_area): where each area that reports values lies, in every
geography type its memberships reach, over the days its values cover.

Areas are placed by the graph's dated memberships through the geography roll-up
(service/geography/rollup.py: MSOA -> LAD -> LRF, LAD -> UTLA, LAD -> ICB -> NHS region ...,
shares multiplying along a path); an area is in its own type with share 1. One row per (area,
type, area reached, share) and run of days with the same answer, as org_area holds organisations'
placements, so the roll-up engine joins the one or the other (method AREA_MEMBERSHIP).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import numpy as np

from service.geography.millionths import rounded
from service.geography.rollup import Reached, RollUp
from service.reference.placement import AREA, Reference
from service.returns.area_spec import NATION
from service.returns.numbers import NumbersStore
from service.rollup.model import AREA_MEMBERSHIP

DAY = timedelta(days=1)
ENGLAND = "E92000001"  # the ONS code of England, the one area of type NATION
COLUMNS = ("method", "area_type", "org_code", "area_code", "share", "valid_from", "valid_to")
Row = tuple[Any, ...]  # method, area_type, org_code, area_code, share, valid_from, valid_to


def _days(rollup: RollUp, first: date, last: date) -> list[date]:
    """`first` and every day in (first, last] on which some membership starts or stops."""
    return [first, *(b for b in rollup.boundaries() if first < b <= last)]


def placement_rows(
    reference: Reference, rollup: RollUp, ranges: dict[str, tuple[date, date]]
) -> list[Row]:
    """Rows for each area code with the first and last day of its values; codes the graph does
    not hold get none (the roll-up lists their values as unmapped)."""
    rows: list[Row] = []
    types = reference.api_names()
    for code, (first, last) in sorted(ranges.items()):
        iri = AREA + code
        if iri not in reference.areas:
            continue
        days = _days(rollup, first, last)
        for target in types:
            runs: list[tuple[date, date | None, tuple[tuple[str, float], ...]]] = []
            for i, day in enumerate(days):
                reached = _reached(reference, rollup.resolve(iri, target, day))
                until = days[i + 1] - DAY if i + 1 < len(days) else None
                if runs and runs[-1][2] == reached:
                    runs[-1] = (runs[-1][0], until, reached)
                else:
                    runs.append((day, until, reached))
            for start, end, reached in runs:
                # The first run holds from the start of time: a value of an earlier day (a later
                # release) is placed as the earliest day known, until the table is rebuilt.
                since = None if start == days[0] else start
                rows += [
                    (AREA_MEMBERSHIP.value, target, code, area, share, since, end)
                    for area, share in reached
                ]
    return rows + _nation_rows(reference, ranges)


def _reached(reference: Reference, found: Iterable[Reached]) -> tuple[tuple[str, float], ...]:
    """The areas reached, by code, with their shares in whole millionths (as org_area's)."""
    shares: dict[str, float] = {}
    for r in found:
        if r.area in reference.areas:
            code = reference.areas[r.area].code
            shares[code] = shares.get(code, 0.0) + r.share
    return tuple(rounded(shares).items())


def _nation_rows(reference: Reference, ranges: dict[str, tuple[date, date]]) -> list[Row]:
    """NATION (England): every English area the graph holds, and England itself."""
    method = AREA_MEMBERSHIP.value
    return [
        (method, NATION, code, ENGLAND, 1.0, None, None)
        for code in sorted(ranges)
        if code == ENGLAND or (code.startswith("E") and AREA + code in reference.areas)
    ]


def value_ranges(numbers: NumbersStore, codes: Iterable[str]) -> dict[str, tuple[date, date]]:
    """The first and last period start of the values (any release) of each area code given."""
    found = numbers.con.execute(
        "SELECT org_code, min(period_start), max(period_start) FROM release_value "
        "WHERE area_type IS NOT NULL AND list_contains(?, org_code) GROUP BY org_code",
        [sorted(set(codes))],
    ).fetchall()
    return {str(code): (first, last) for code, first, last in found}


def place_areas(
    numbers: NumbersStore, reference: Reference, codes: Iterable[str], rollup: RollUp | None = None
) -> int:
    """Replace the area_area rows of the codes given (one transaction); the rows written."""
    wanted = sorted(set(codes))
    rows = placement_rows(reference, rollup or RollUp(reference), value_ranges(numbers, wanted))
    con = numbers.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM area_area WHERE list_contains(?, org_code)", [wanted])
        if rows:
            frame = {  # noqa: F841 (read by DuckDB's replacement scan below)
                name: np.array([r[i] for r in rows], dtype=np.float64 if i == 4 else object)
                for i, name in enumerate(COLUMNS)
            }
            con.execute(
                f"INSERT INTO area_area ({', '.join(COLUMNS)}) SELECT * REPLACE ("
                "CAST(valid_from AS DATE) AS valid_from, CAST(valid_to AS DATE) AS valid_to) "
                "FROM frame"
            )
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return len(rows)


def reporting_codes(numbers: NumbersStore) -> list[str]:
    """Every area code with values (for rebuilding the whole table)."""
    found = numbers.con.execute(
        "SELECT DISTINCT org_code FROM release_value WHERE area_type IS NOT NULL"
    ).fetchall()
    return sorted(str(r[0]) for r in found)
