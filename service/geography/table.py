"""The organisation -> area table, per method, over time: what a roll-up engine joins to.

Rows are (method, source, area_type, org_code, area_code, share, valid_from, valid_to, coverage,
evidence), written from the organisations' timelines (service/geography/timeline.py: each
organisation evaluated on the dates its own facts change: a membership, an operation of one of
its or its predecessors' sites, its ODS vintages, a succession in its lineage, its opening);
consecutive periods with the same answer are one row. Shares of one (method, source, area_type,
org_code) on a date sum to its coverage (1 for HEADQUARTERS and ODS_STATED when found).

`materialise` builds it when the reference graphs have changed since the last build (the graph
IRIs name their content), and writes it to DuckDB.
"""

from __future__ import annotations

import csv
import hashlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from service.geography.assign import Placer, label
from service.geography.carrying_on import CarryingOn
from service.geography.methods import Placement
from service.geography.millionths import rounded
from service.geography.site_placement import site_timeline
from service.geography.sites import is_site
from service.geography.timeline import Timeline, Timelines, shares_key
from service.rdf.store import GraphStore

COLUMNS = (
    "method",
    "source",
    "area_type",
    "org_code",
    "area_code",
    "share",
    "valid_from",
    "valid_to",
    "coverage",
    "evidence",
    "unlocated",
)
DAY = timedelta(days=1)
# Part of the table's fingerprint: raise it when what a row means changes (a new column, a new
# placement policy), so a table built by older code is built again rather than read.
# 3: shares in whole millionths (millionths.py); 4: a later unitary lies in its county before
# its creation (service/geography/rollup.py).
TABLE_VERSION = "4"


TABLE_COLUMNS = (
    "method VARCHAR, source VARCHAR, area_type VARCHAR, org_code VARCHAR, area_code VARCHAR, "
    "share DOUBLE, valid_from DATE, valid_to DATE, coverage DOUBLE, evidence VARCHAR, "
    "unlocated DOUBLE"
)


@dataclass
class OrgAreaRow:
    method: str
    source: str
    area_type: str
    org_code: str
    area_code: str
    share: float
    valid_from: date
    valid_to: date | None
    coverage: float
    evidence: str
    unlocated: float = 0.0  # the share at sites with no known location (SITES)

    def as_tuple(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in COLUMNS)


def org_area_rows(
    placer: Placer,
    *,
    area_types: list[str] | None = None,
    organisations: list[str] | None = None,
    timelines: Timelines | None = None,
) -> list[OrgAreaRow]:
    """Every organisation's (or the named ones') placement by every method in every area type,
    over time, from their timelines (each organisation evaluated only on its own change dates);
    timelines already built (the lookup's) may be passed in."""
    timelines = timelines or Timelines(placer)
    ref = placer.reference
    types = area_types or ref.api_names()
    wanted = set(organisations) if organisations is not None else None
    out: list[OrgAreaRow] = []
    for org in sorted(ref.organisations):
        if wanted is not None and org not in wanted:
            continue
        for area_type in types:
            out.extend(_runs(timelines.get(org, area_type)))
    # Sites that report values (a per-site supplies return): placed by the site policy
    # (service/geography/site_placement.py). Only when named: every site nationally is not asked.
    for site in sorted((wanted or set()) - set(ref.organisations)):
        if is_site(placer.ctx, site):
            for area_type in types:
                out.extend(_runs(site_timeline(timelines, site, area_type)))
    return out


def _runs(timeline: Timeline) -> Iterator[OrgAreaRow]:
    """One row per area per run of days on which a method (and table) gives the same shares."""
    current: dict[str, tuple[tuple[Any, ...], Placement, date]] = {}  # method:source -> run
    for start, answer in zip(timeline.starts, timeline.answers, strict=True):
        for p in answer.placements:
            run = current.get(label(p))
            key = (shares_key(p), round(p.unlocated, 6))
            if run is not None and run[0] == key:
                continue
            if run is not None:
                yield from _rows(run[1], run[2], start - DAY)
            current[label(p)] = (key, p, start)
    for _, p, begun in current.values():
        yield from _rows(p, begun, timeline.last_day)


def _rows(p: Placement, start: date, end: date | None) -> Iterator[OrgAreaRow]:
    evidence = json.dumps(p.evidence, default=str)
    for area, share in sorted(rounded(p.shares).items()):
        yield OrgAreaRow(
            p.method,
            p.source or "",
            p.area_type,
            p.org_code,
            area,
            share,  # in whole millionths (millionths.py): their sum is exact
            start,
            end,
            p.coverage,
            evidence,
            round(p.unlocated, 6),
        )


def reference_fingerprint(store: GraphStore) -> str:
    """A digest of the current graphs' names (each names its content's SHA-256)."""
    return hashlib.sha256("\n".join(store.current_graphs()).encode()).hexdigest()


def write_duckdb(rows: list[OrgAreaRow], path: Path, *, fingerprint: str = "") -> None:
    """Replace the org_area table (and its fingerprint) in a DuckDB file, in one transaction."""
    con = duckdb.connect(str(path))
    try:
        con.execute("BEGIN")
        con.execute(f"CREATE OR REPLACE TABLE org_area ({TABLE_COLUMNS})")
        if rows:
            bulk_insert(con, rows, path.parent)
        con.execute("CREATE OR REPLACE TABLE org_area_meta (fingerprint VARCHAR)")
        con.execute("INSERT INTO org_area_meta VALUES (?)", [fingerprint])
        con.execute("COMMIT")
    finally:
        con.close()


NULL = "\\N"


def bulk_insert(
    con: duckdb.DuckDBPyConnection, rows: list[OrgAreaRow], scratch: Path, table: str = "org_area"
) -> None:
    """Insert into org_area (or `table`, of its columns) through a CSV file DuckDB reads
    natively: row-by-row `executemany` takes about a millisecond a row, minutes for the national
    table."""
    with tempfile.NamedTemporaryFile(
        "w", suffix=".csv", dir=scratch, newline="", encoding="utf-8", delete=False
    ) as fh:
        writer = csv.writer(fh)
        for r in rows:
            writer.writerow(NULL if v is None else v for v in r.as_tuple())
        name = fh.name
    try:
        con.execute(
            f"INSERT INTO {table} BY NAME SELECT * FROM read_csv('{_sql_text(name)}', "
            "header = false, "
            f"nullstr = '{NULL}', quote = '\"', escape = '\"', columns = {_CSV_COLUMNS})"
        )
    finally:
        Path(name).unlink(missing_ok=True)


def _sql_text(value: str) -> str:
    return value.replace("'", "''")


_CSV_COLUMNS = (
    "{'method': 'VARCHAR', 'source': 'VARCHAR', 'area_type': 'VARCHAR', 'org_code': 'VARCHAR', "
    "'area_code': 'VARCHAR', 'share': 'DOUBLE', 'valid_from': 'DATE', 'valid_to': 'DATE', "
    "'coverage': 'DOUBLE', 'evidence': 'VARCHAR', 'unlocated': 'DOUBLE'}"
)


def stored_fingerprint(path: Path) -> str | None:
    if not path.exists():
        return None
    con = duckdb.connect(str(path), read_only=True)
    try:
        found = con.execute("SELECT fingerprint FROM org_area_meta LIMIT 1").fetchone()
    except duckdb.CatalogException:
        return None
    finally:
        con.close()
    return str(found[0]) if found else None


def materialise(
    store: GraphStore,
    path: Path,
    *,
    force: bool = False,
    area_types: list[str] | None = None,
    carrying_on: CarryingOn | None = None,
    placer: Placer | None = None,
    organisations: list[str] | None = None,
    timelines: Timelines | None = None,
) -> int | None:
    """Rebuild the DuckDB org_area table if the reference graphs changed; the number of rows
    written, or None when the table was already current. A placer already read from the same
    store (or the lookup's timelines over it) may be passed in to save reading the reference
    again."""
    fingerprint = (
        TABLE_VERSION
        + ":"
        + reference_fingerprint(store)
        + ":"
        + ",".join(area_types or ["*"])
        + ":"
        + ",".join(organisations or ["*"])
    )
    if not force and stored_fingerprint(path) == fingerprint:
        return None
    if timelines is not None:
        placer = timelines.placer
    placer = placer or Placer.from_store(store, carrying_on)
    rows = org_area_rows(
        placer, area_types=area_types, organisations=organisations, timelines=timelines
    )
    write_duckdb(rows, path, fingerprint=fingerprint)
    return len(rows)
