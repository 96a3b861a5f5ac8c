"""Placements as the reference was known at a date, for roll-ups asked `asKnownAt`.

A roll-up places organisations by the org_area table, built from the current reference graph. As
known at a past date (service/reference/known.py) it places them as that reference did: the
org_area rows of one area type are built from the snapshot's own timelines into an in-memory
database attached to the numbers store's connection (`known_places`, writable even beside a
read-only numbers file), once per (snapshot, area type), and kept in a bounded LRU; an evicted
table is dropped. The table has org_area's columns, so the engine reads it in its place
(`NumbersStore.placed_by`).
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.geography.table import TABLE_COLUMNS, bulk_insert, org_area_rows
from service.returns.numbers import NumbersStore

if TYPE_CHECKING:
    from service.reference import ReferenceData

DATABASE = "known_places"
CAPACITY = 8  # (snapshot, area type) tables kept per process
_lock = threading.Lock()
_tables: OrderedDict[tuple[int, int, str], tuple[Any, str]] = OrderedDict()
stats = {"builds": 0, "hits": 0}


def placements_known(numbers: NumbersStore, reference: ReferenceData, area_type: str) -> str:
    """The table roll-ups by `area_type` place organisations by as `reference` knew them:
    org_area for the current reference, else a table built (once) from its timelines."""
    if reference.serial == 0:
        return numbers.placement_table
    key = (id(numbers.con), reference.serial, area_type)
    with _lock:
        found = _tables.get(key)
        if found is not None and found[0] is numbers.con:
            _tables.move_to_end(key)
            stats["hits"] += 1
            return found[1]
        table = f"{DATABASE}.org_area_{reference.serial}_{area_type.lower()}"
        _build(numbers, reference, area_type, table)
        stats["builds"] += 1
        _tables[key] = (numbers.con, table)
        while len(_tables) > CAPACITY:
            _, (con, old) = _tables.popitem(last=False)
            _drop(con, old)
        return table


def _build(numbers: NumbersStore, reference: ReferenceData, area_type: str, table: str) -> None:
    lookup = reference.lookup
    rows = org_area_rows(lookup.placer, area_types=[area_type], timelines=lookup.timelines)
    con = numbers.con.cursor()
    try:
        attached = con.execute(
            "SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [DATABASE]
        ).fetchone()
        if not attached or not attached[0]:
            con.execute(f"ATTACH ':memory:' AS {DATABASE} (READ_ONLY false)")
        con.execute(f"CREATE OR REPLACE TABLE {table} ({TABLE_COLUMNS})")
        if rows:
            scratch = numbers.path.parent if numbers.path else Path(tempfile.gettempdir())
            bulk_insert(con, rows, scratch, table=table)
    finally:
        con.close()


def _drop(con: Any, table: str) -> None:
    with contextlib.suppress(Exception):  # a closed connection took its tables with it
        con.execute(f"DROP TABLE IF EXISTS {table}")
