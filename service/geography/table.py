"""The organisation -> area table, per method, over time: what a roll-up engine joins to.

Rows are (method, source, area_type, org_code, area_code, share, valid_from, valid_to, coverage,
evidence). Each method is evaluated at every date on which a fact it depends on changes (a
membership, a site operation, an ODS vintage, a succession, the organisation opening or closing);
consecutive periods with the same answer are one row. Shares of one (method, source, area_type,
org_code) on a date sum to its coverage (1 for HEADQUARTERS and ODS_STATED when found).

`materialise` builds it when the reference graphs have changed since the last build (the graph
IRIs name their content), and writes it to DuckDB.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from service.geography.assign import Placer
from service.geography.carrying_on import CarryingOn, SuccessionTable
from service.geography.methods import METHODS, Placement
from service.store import GraphStore

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
)
DAY = timedelta(days=1)


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

    def as_tuple(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in COLUMNS)


def change_dates(placer: Placer) -> list[date]:
    """Dates on which some fact a method depends on starts or stops holding."""
    ref = placer.reference
    dates: set[date] = set()
    for memberships in ref.memberships.values():
        for m in memberships:
            dates.add(m.start)
            if m.end:
                dates.add(m.end + DAY)
    for op in ref.site_operations:
        dates.add(op.start)
        if op.end:
            dates.add(op.end + DAY)
    for records in ref.ods_records.values():
        dates.update(r.vintage for r in records)
    carrying_on = placer.ctx.carrying_on
    if isinstance(carrying_on, SuccessionTable):
        dates.update(d for after in carrying_on.after.values() for d, _ in after)
    return sorted(dates)


def _periods(dates: list[date], opened: date | None, closed: date | None) -> Iterator[date]:
    """Starts of the periods within an organisation's open life."""
    starts = set(dates)
    if opened:
        starts.add(opened)
    for start in sorted(starts):
        is_open = (opened is None or start >= opened) and (closed is None or start <= closed)
        if is_open and start >= dates[0]:
            yield start


def _key(p: Placement) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((a, round(s, 6)) for a, s in p.shares.items()))


def org_area_rows(
    placer: Placer, *, area_types: list[str] | None = None, organisations: list[str] | None = None
) -> list[OrgAreaRow]:
    """Every organisation's (or the named ones') placement by every method in every area type,
    over time."""
    ref = placer.reference
    types = area_types or ref.api_names()
    dates = change_dates(placer)
    out: list[OrgAreaRow] = []
    wanted = set(organisations) if organisations is not None else None
    for org in sorted(ref.organisations.values(), key=lambda o: o.code):
        if wanted is not None and org.code not in wanted:
            continue
        starts = list(_periods(dates, org.opened, org.closed))
        for area_type in types:
            for method in METHODS:
                out.extend(_runs(placer, method, org.code, area_type, starts, org.closed))
    return out


def _runs(
    placer: Placer, method: str, org: str, area_type: str, starts: list[date], closed: date | None
) -> Iterator[OrgAreaRow]:
    current: dict[str, tuple[tuple[Any, ...], Placement, date]] = {}  # source -> run
    for start in starts:
        for p in placer.place_by(method, org, area_type, start):
            source = p.source or ""
            run = current.get(source)
            if run is not None and run[0] == _key(p):
                continue
            if run is not None:
                yield from _rows(run[1], run[2], start - DAY)
            current[source] = (_key(p), p, start)
    for _, p, begun in current.values():
        yield from _rows(p, begun, closed)


def _rows(p: Placement, start: date, end: date | None) -> Iterator[OrgAreaRow]:
    evidence = json.dumps(p.evidence, default=str)
    for area, share in sorted(p.shares.items()):
        yield OrgAreaRow(
            p.method,
            p.source or "",
            p.area_type,
            p.org_code,
            area,
            round(share, 6),
            start,
            end,
            round(p.coverage, 6),
            evidence,
        )


def reference_fingerprint(store: GraphStore) -> str:
    """A digest of the current graphs' names (each names its content's SHA-256)."""
    return hashlib.sha256("\n".join(store.current_graphs()).encode()).hexdigest()


def write_duckdb(rows: list[OrgAreaRow], path: Path, *, fingerprint: str = "") -> None:
    """Replace the org_area table (and its fingerprint) in a DuckDB file, in one transaction."""
    con = duckdb.connect(str(path))
    try:
        con.execute("BEGIN")
        con.execute(
            """CREATE OR REPLACE TABLE org_area (method VARCHAR, source VARCHAR,
               area_type VARCHAR, org_code VARCHAR, area_code VARCHAR, share DOUBLE,
               valid_from DATE, valid_to DATE, coverage DOUBLE, evidence VARCHAR)"""
        )
        if rows:
            con.executemany(
                "INSERT INTO org_area VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [r.as_tuple() for r in rows],
            )
        con.execute("CREATE OR REPLACE TABLE org_area_meta (fingerprint VARCHAR)")
        con.execute("INSERT INTO org_area_meta VALUES (?)", [fingerprint])
        con.execute("COMMIT")
    finally:
        con.close()


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
) -> int | None:
    """Rebuild the DuckDB org_area table if the reference graphs changed; the number of rows
    written, or None when the table was already current. A placer already read from the same
    store may be passed in to save reading the reference again."""
    fingerprint = (
        reference_fingerprint(store)
        + ":"
        + ",".join(area_types or ["*"])
        + ":"
        + ",".join(organisations or ["*"])
    )
    if not force and stored_fingerprint(path) == fingerprint:
        return None
    placer = placer or Placer.from_store(store, carrying_on)
    rows = org_area_rows(placer, area_types=area_types, organisations=organisations)
    write_duckdb(rows, path, fingerprint=fingerprint)
    return len(rows)
