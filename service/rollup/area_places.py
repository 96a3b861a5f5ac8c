"""The reporting area -> area table (area_area): where each area that reports values lies, in every
geography type its memberships reach, over the days its values cover.

An area the graph stops placing (a district abolished in a merger) is succeeded by the areas of
its type that hold its building blocks (its members on its last day: MSOAs of a district) from
the next day, each with the share of the blocks it holds (area_succession): a roll-up restated
to the areas of a later date moves its values there (service/rollup/areas.py). Its successors
are placed too, whether or not they report.

Areas are placed by the graph's dated memberships through the geography roll-up
(service/geography/rollup.py: MSOA -> LAD -> LRF, LAD -> UTLA, LAD -> ICB -> NHS region ...,
shares multiplying along a path); an area is in its own type with share 1. One row per (area,
type, area reached, share) and run of days with the same answer, as org_area holds organisations'
placements, so the roll-up engine joins the one or the other (method AREA_MEMBERSHIP).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import numpy as np

from service.geography.millionths import rounded
from service.geography.rollup import Reached, RollUp
from service.reference.placement import AREA, Membership, Reference
from service.returns.numbers import NumbersStore
from service.rollup.model import AREA_MEMBERSHIP

DAY = timedelta(days=1)
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
    return rows


def _reached(reference: Reference, found: Iterable[Reached]) -> tuple[tuple[str, float], ...]:
    """The areas reached, by code, with their shares in whole millionths (as org_area's)."""
    shares: dict[str, float] = {}
    for r in found:
        if r.area in reference.areas:
            code = reference.areas[r.area].code
            shares[code] = shares.get(code, 0.0) + r.share
    return tuple(rounded(shares).items())


def value_ranges(con: Any, codes: Iterable[str]) -> dict[str, tuple[date, date]]:
    """The first and last period start of the values (any release) of each area code given
    (`con`: a connection or cursor of the numbers store)."""
    found = con.execute(
        "SELECT org_code, min(period_start), max(period_start) FROM release_value "
        "WHERE area_type IS NOT NULL AND list_contains(?, org_code) GROUP BY org_code",
        [sorted(set(codes))],
    ).fetchall()
    return {str(code): (first, last) for code, first, last in found}


Succession = tuple[str, date, str, float]  # code, first day of its successors, successor, share


def successions(reference: Reference, codes: Iterable[str]) -> list[Succession]:
    """For each area code given that the graph stops placing (every membership of it ends): the
    areas of its type holding its members (building blocks) the day after, with their shares."""
    children: dict[str, list[Membership]] = defaultdict(list)
    for held in reference.memberships.values():
        for m in held:
            children[m.parent].append(m)
    out: list[Succession] = []
    for code in sorted(set(codes)):
        area = reference.areas.get(AREA + code)
        ups = reference.memberships.get(AREA + code, [])
        if area is None or not area.types or not ups or any(m.end is None for m in ups):
            continue
        last = max(m.end for m in ups if m.end is not None)
        day = last + DAY
        blocks: Counter[str] = Counter()
        for child in children.get(area.iri, []):
            if not child.holds_on(last):
                continue
            for m in reference.memberships.get(child.member, []):
                parent = reference.areas.get(m.parent)
                if m.holds_on(day) and parent is not None and parent.types & area.types:
                    blocks[parent.code] += 1
        total = sum(blocks.values())
        out += [(code, day, successor, n / total) for successor, n in sorted(blocks.items())]
    return out


def area_rows(
    con: Any, reference: Reference, codes: Iterable[str], rollup: RollUp | None = None
) -> tuple[list[Row], list[Succession], list[str]]:
    """The area_area rows and area_succession rows of the codes given (over the days of their
    values in the numbers store `con` reads), and the codes placed: those and their
    successors."""
    wanted = sorted(set(codes))
    succeeded = successions(reference, wanted)
    ranges = value_ranges(con, wanted)
    for _, day, successor, _ in succeeded:  # placed from the day it takes over, if not already
        ranges.setdefault(successor, (day, day))
    rows = placement_rows(reference, rollup or RollUp(reference), ranges)
    return rows, succeeded, sorted(set(wanted) | set(ranges))


def place_areas(
    numbers: NumbersStore, reference: Reference, codes: Iterable[str], rollup: RollUp | None = None
) -> int:
    """Replace the area_area and area_succession rows of the codes given (and the area_area rows
    of their successors), in one transaction each; the area_area rows written."""
    wanted = sorted(set(codes))
    rows, succeeded, placed = area_rows(numbers.con, reference, wanted, rollup)

    def insert() -> None:
        insert_rows(numbers.con, rows)

    def insert_successions() -> None:
        insert_succession_rows(numbers.con, succeeded)

    numbers.replace_rows("area_area", placed, insert)
    numbers.replace_rows("area_succession", wanted, insert_successions)
    return len(rows)


def insert_rows(con: Any, rows: list[Row], table: str = "area_area") -> None:
    """Insert area_area rows into `table` (area_area, or a table of its columns)."""
    if not rows:
        return
    frame = {  # noqa: F841 (read by DuckDB's replacement scan below)
        name: np.array([r[i] for r in rows], dtype=np.float64 if i == 4 else object)
        for i, name in enumerate(COLUMNS)
    }
    con.execute(
        f"INSERT INTO {table} ({', '.join(COLUMNS)}) SELECT * REPLACE ("
        "CAST(valid_from AS DATE) AS valid_from, CAST(valid_to AS DATE) AS valid_to) "
        "FROM frame"
    )


def insert_succession_rows(
    con: Any, succeeded: list[Succession], table: str = "area_succession"
) -> None:
    """Insert area_succession rows into `table` (area_succession, or a table of its columns)."""
    if succeeded:
        con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", succeeded)


def reporting_codes(numbers: NumbersStore, con: Any = None) -> list[str]:
    """Every area code with values (for rebuilding the whole table); `con`: a cursor of the
    store to read with (default: its connection)."""
    found = (
        (con or numbers.con)
        .execute("SELECT DISTINCT org_code FROM release_value WHERE area_type IS NOT NULL")
        .fetchall()
    )
    return sorted(str(r[0]) for r in found)
