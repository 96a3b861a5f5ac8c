"""Placements as the reference was known at a date, for roll-ups asked `asKnownAt`.

A roll-up places organisations by the org_area table, built from the current reference graph. As
known at a past date (service/reference/known.py) it places them as that reference did: the
org_area rows of one area type are built from the snapshot's own timelines into an in-memory
database attached to the numbers store's connection (`known_places`, writable even beside a
read-only numbers file), once per (snapshot, area type), and kept in a bounded LRU; an evicted
table is dropped. The table has org_area's columns, so the engine reads it in its place
(`NumbersStore.placed_by`). Values reported by area are placed likewise: area_area and
area_succession rows for every reporting area, from the snapshot's memberships, once per
snapshot (`NumbersStore.areas_placed_by`).
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.geography.table import TABLE_COLUMNS, bulk_insert, org_area_rows
from service.returns.numbers import NumbersStore

if TYPE_CHECKING:
    from service.reference import ReferenceData

DATABASE = "known_places"
CAPACITY = 8  # (snapshot, area type) tables kept per process
_lock = threading.Lock()
_tables: OrderedDict[tuple[int, int, str], tuple[Any, tuple[str, ...]]] = OrderedDict()
stats = {"builds": 0, "hits": 0}
AREAS = "areas"  # the key of the reporting areas' tables (area_area and area_succession)


def placements_known(numbers: NumbersStore, reference: ReferenceData, area_type: str) -> str:
    """The table roll-ups by `area_type` place organisations by as `reference` knew them:
    org_area for the current reference, else a table built (once) from its timelines."""
    if reference.serial == 0:
        return numbers.placement_table
    table = f"{DATABASE}.org_area_{reference.serial}_{area_type.lower()}"
    (found,) = _cached(numbers, reference, area_type, (table,), _build)
    return found


def area_placements_known(numbers: NumbersStore, reference: ReferenceData) -> tuple[str, str]:
    """The tables roll-ups of values reported by area place and restate them by as `reference`
    knew the areas' memberships: area_area and area_succession for the current reference, else
    tables of their columns built (once) for every reporting area from its snapshot."""
    if reference.serial == 0:
        return numbers.area_placement_table, numbers.area_succession_table
    tables = (
        f"{DATABASE}.area_area_{reference.serial}",
        f"{DATABASE}.area_succession_{reference.serial}",
    )
    placements, successions = _cached(numbers, reference, AREAS, tables, _build_areas)
    return placements, successions


def _cached(
    numbers: NumbersStore,
    reference: ReferenceData,
    kind: str,
    tables: tuple[str, ...],
    build: Callable[[NumbersStore, ReferenceData, str, tuple[str, ...], Any], None],
) -> tuple[str, ...]:
    key = (id(numbers.con), reference.serial, kind)
    with _lock:
        found = _tables.get(key)
        if found is not None and found[0] is numbers.con:
            _tables.move_to_end(key)
            stats["hits"] += 1
            return found[1]
        con = numbers.con.cursor()
        try:
            _attach(con)
            build(numbers, reference, kind, tables, con)
        finally:
            con.close()
        stats["builds"] += 1
        _tables[key] = (numbers.con, tables)
        while len(_tables) > CAPACITY:
            _, (owner, old) = _tables.popitem(last=False)
            for table in old:
                _drop(owner, table)
        return tables


def _attach(con: Any) -> None:
    attached = con.execute(
        "SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [DATABASE]
    ).fetchone()
    if not attached or not attached[0]:
        con.execute(f"ATTACH ':memory:' AS {DATABASE} (READ_ONLY false)")


def _build(
    numbers: NumbersStore,
    reference: ReferenceData,
    area_type: str,
    tables: tuple[str, ...],
    con: Any,
) -> None:
    lookup = reference.lookup
    rows = org_area_rows(lookup.placer, area_types=[area_type], timelines=lookup.timelines)
    (table,) = tables
    con.execute(f"CREATE OR REPLACE TABLE {table} ({TABLE_COLUMNS})")
    if rows:
        scratch = numbers.path.parent if numbers.path else Path(tempfile.gettempdir())
        bulk_insert(con, rows, scratch, table=table)


def _build_areas(
    numbers: NumbersStore, reference: ReferenceData, kind: str, tables: tuple[str, ...], con: Any
) -> None:
    from service.rollup.area_places import (
        area_rows,
        insert_rows,
        insert_succession_rows,
        reporting_codes,
    )

    placements, successions = tables
    facts = reference.lookup.placer.reference
    rows, succeeded, _ = area_rows(con, facts, reporting_codes(numbers, con))
    con.execute(f"CREATE OR REPLACE TABLE {placements} AS FROM main.area_area LIMIT 0")
    con.execute(f"CREATE OR REPLACE TABLE {successions} AS FROM main.area_succession LIMIT 0")
    insert_rows(con, rows, placements)
    insert_succession_rows(con, succeeded, successions)


def _drop(con: Any, table: str) -> None:
    with contextlib.suppress(Exception):  # a closed connection took its tables with it
        con.execute(f"DROP TABLE IF EXISTS {table}")
