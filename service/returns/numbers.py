"""The numbers store: reported values in DuckDB, keyed by organisation, metric, period and batch.

`release_value` keeps every value of every batch ever loaded; `reported_value` holds the values
that answer questions: per reporter, metric and period, the latest release's
(service/returns/releases.py). A batch is written in one DuckDB transaction with a journal
row, committed before the loader writes the graph; a failure or a crash in either store leaves
both old or both new (service/returns/journal.py). A
re-loaded publication supersedes the earlier batch; the batch table (and the graph's provenance)
keeps a record of both versions, and `release_value` both sets of values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np

from service.cancellation import register_interrupt
from service.faults import pause_point
from service.returns.candidate import CandidateValues
from service.returns.codes import Resolution
from service.returns.periods import day_array
from service.returns.releases import (
    VALUE_COLUMNS,
    batch_extent,
    extent_filter,
    known_at_relation,
    re_resolve,
    reporters_known_at,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS batch (
    batch_id VARCHAR PRIMARY KEY, publication VARCHAR NOT NULL, dataset VARCHAR NOT NULL,
    mapping VARCHAR NOT NULL, file VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
    graph VARCHAR NOT NULL, loaded_at TIMESTAMP NOT NULL, value_count BIGINT NOT NULL,
    status VARCHAR NOT NULL, superseded_by VARCHAR
);
CREATE TABLE IF NOT EXISTS reported_value (
    batch_id VARCHAR NOT NULL, org_code VARCHAR NOT NULL, org_iri VARCHAR NOT NULL,
    reported_code VARCHAR NOT NULL, stated_region VARCHAR NOT NULL, region_code VARCHAR NOT NULL,
    metric VARCHAR NOT NULL, period_start DATE NOT NULL, period_end DATE NOT NULL,
    value DOUBLE NOT NULL, sheet VARCHAR, cell VARCHAR
);
CREATE TABLE IF NOT EXISTS reporter (
    metric VARCHAR NOT NULL, org_code VARCHAR NOT NULL, region_code VARCHAR NOT NULL
);
-- The reporting area's type, for values reported by area (NULL: an organisation).
ALTER TABLE reporter ADD COLUMN IF NOT EXISTS area_type VARCHAR;
CREATE TABLE IF NOT EXISTS org_area (
    method VARCHAR NOT NULL, area_type VARCHAR NOT NULL, org_code VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL, share DOUBLE NOT NULL, valid_from DATE, valid_to DATE
);
-- The catchment table a CATCHMENT row comes from (service/geography/table.py writes it too);
-- added to stores made before the column.
ALTER TABLE org_area ADD COLUMN IF NOT EXISTS source VARCHAR;
-- The share of the organisation at sites with no known location (SITES), for the roll-up's
-- unmapped reason; NULL in stores made before the column.
ALTER TABLE org_area ADD COLUMN IF NOT EXISTS unlocated DOUBLE;
ALTER TABLE org_area ADD COLUMN IF NOT EXISTS coverage DOUBLE;
ALTER TABLE org_area ADD COLUMN IF NOT EXISTS evidence VARCHAR;
-- Every value of every batch (reported_value: the ones answering questions, releases.py).
CREATE TABLE IF NOT EXISTS release_value AS SELECT * FROM reported_value LIMIT 0;
-- The publication's release date (from the file name or the mapping; the load day otherwise),
-- and when and why a steward retired or restored the batch.
ALTER TABLE batch ADD COLUMN IF NOT EXISTS release_date DATE;
ALTER TABLE batch ADD COLUMN IF NOT EXISTS release_source VARCHAR;
ALTER TABLE batch ADD COLUMN IF NOT EXISTS changed_at TIMESTAMP;
ALTER TABLE batch ADD COLUMN IF NOT EXISTS change_note VARCHAR;
-- The digest of the mapping file that read the batch: the same file read by a changed mapping
-- is new content, not "unchanged" (NULL in stores made before the column: read again).
ALTER TABLE batch ADD COLUMN IF NOT EXISTS mapping_sha256 VARCHAR;
-- Loads whose graph write may not have happened yet (service/returns/journal.py).
CREATE TABLE IF NOT EXISTS load_journal (
    batch_id VARCHAR PRIMARY KEY, graph VARCHAR NOT NULL, old_batch VARCHAR,
    started_at TIMESTAMP NOT NULL
);
-- Values reported by area (service/returns/area_load.py): the reporting area's type (LAD, MSOA,
-- NATION ...; NULL for an organisation's value) is part of a value's identity, and a value the
-- source suppresses has no number (value NULL) and a marker ('suppressed').
ALTER TABLE reported_value ADD COLUMN IF NOT EXISTS area_type VARCHAR;
ALTER TABLE reported_value ADD COLUMN IF NOT EXISTS marker VARCHAR;
ALTER TABLE release_value ADD COLUMN IF NOT EXISTS area_type VARCHAR;
ALTER TABLE release_value ADD COLUMN IF NOT EXISTS marker VARCHAR;
ALTER TABLE reported_value ALTER COLUMN value DROP NOT NULL;
ALTER TABLE release_value ALTER COLUMN value DROP NOT NULL;
-- Reporting area -> area of another type, from the graph's dated memberships (shares multiply
-- along a path): what roll-ups of values reported by area join to, as org_area for
-- organisations (service/rollup/area_places.py writes it).
CREATE TABLE IF NOT EXISTS area_area (
    method VARCHAR NOT NULL, area_type VARCHAR NOT NULL, org_code VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL, share DOUBLE NOT NULL, valid_from DATE, valid_to DATE,
    source VARCHAR, unlocated DOUBLE
);
-- An area the graph stops placing (a district abolished in a merger), and the areas of its type
-- that hold its building blocks from the next day, with the share of them each holds: how values
-- reported under its code are restated to the areas of a later date (area_places.py writes it).
CREATE TABLE IF NOT EXISTS area_succession (
    org_code VARCHAR NOT NULL, day DATE NOT NULL, successor VARCHAR NOT NULL,
    share DOUBLE NOT NULL
);
"""

# Stores made before releases: every value was current; the release date is the file name's.
MIGRATE = """
INSERT INTO release_value SELECT * FROM reported_value;
UPDATE batch SET
    release_date = coalesce(
        TRY_CAST(regexp_extract(file, '(\\d{4}-\\d{2}-\\d{2})', 1) AS DATE),
        CAST(loaded_at AS DATE)),
    release_source = CASE WHEN regexp_matches(file, '\\d{4}-\\d{2}-\\d{2}')
                          THEN 'file name' ELSE 'load date' END
WHERE release_date IS NULL;
"""


@dataclass(frozen=True)
class BatchRecord:
    batch_id: str
    publication: str
    dataset: str
    mapping: str
    file: str
    sha256: str
    graph: str
    value_count: int
    release_date: date
    release_source: str = "file name"  # stated | file | mapping | file name | load date
    mapping_sha256: str = ""


class StoreBusy(RuntimeError):
    """A store another process holds (a running `nhskg serve`, a load): the message says which
    and what to do instead."""


# Writes through NumbersStore.replace_rows per database, in this process: readers that keep what
# the area placements imply (the scope index, service/access/policy.py) compare a store's count
# instead of asking the database on every request. Exact: area_area and area_succession are
# written only through replace_rows, and a store open read-only cannot change while it is open
# (DuckDB holds the file shared; no process may write it).
_PLACEMENT_WRITES: dict[str, int] = {}


def _connect(path: Path | None, read_only: bool) -> duckdb.DuckDBPyConnection:
    if path is None:
        return duckdb.connect(":memory:")
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        holder = re.search(r"PID (\d+)", str(exc))
        who = f"process {holder.group(1)}" if holder else "another process"
        raise StoreBusy(
            f"the numbers store {path} is being written by {who} (a load, or a server started "
            "with --writable-numbers): wait until it finishes, or read through its API"
            if read_only
            else f"the numbers store {path} is open in {who} (a running `nhskg serve`, or a "
            "load): stop it to write; reads (rollup, returns batches, queue) work beside a server"
        ) from exc


class NumbersStore:
    """DuckDB file beside the graph store (`NumbersStore(None)` is in memory, for tests).
    `read_only=True` shares the file with other read-only processes (a server and CLI reads).

    `known_at(day)` is the same store read as known on a day: `values` is then the table
    expression readers put where they would name reported_value."""

    known_day: date | None = None
    # The organisations' placements roll-ups read: org_area, or a table of them as the reference
    # was known at a date (service/geography/known_places.py)
    placement_table = "org_area"
    # The reporting areas' placements and successions: area_area and area_succession, or tables
    # of them as the reference was known at a date (known_places.py too)
    area_placement_table = "area_area"
    area_succession_table = "area_succession"
    shared = False  # a view (known_at) of another store's connection: closing it closes nothing

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path else None
        self.read_only = read_only and self.path is not None
        if self.path and not self.read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.read_only and self.path and not self.path.exists():
            NumbersStore(self.path).close()  # a new store: made once, with its tables
        self.con = _connect(self.path, self.read_only)
        if self.read_only:
            # made before releases, or before values by area: migrate once
            if not self._has_table("release_value") or not self._has_column(
                "release_value", "marker"
            ):
                self.con.close()
                NumbersStore(self.path).close()
                self.con = _connect(self.path, True)
            return
        self.con.execute(SCHEMA)
        if self.value_count() and not self._count("release_value"):  # from before releases
            self.con.execute(MIGRATE)
        if self.value_count() and not self._count("reporter"):  # a store from before the table
            self.refresh_reporters()

    def reader(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for one reader (concurrent requests never share one), registered
        with the current worker job so a request past its time budget interrupts its query."""
        cursor = self.con.cursor()
        register_interrupt(cursor.interrupt)
        return cursor

    @property
    def values(self) -> str:
        """The values answering questions, as a table expression named reported_value: the
        latest release's (the table), or as known on `known_day`."""
        return "reported_value" if self.known_day is None else known_at_relation(self.known_day)

    @property
    def reporters(self) -> str:
        """Who reports which metric under which region (coverage), as a table expression named
        reporter: the reporter table, or those of the releases out on `known_day`."""
        if self.known_day is None:
            return "reporter"
        return f"({reporters_known_at(self.known_day)}) AS reporter"

    def known_at(self, day: date | None) -> NumbersStore:
        """This store read as known on a day (None: as known now). Shares the connection."""
        if day is None and self.known_day is None:
            return self
        view = copy(self)
        view.known_day, view.shared = day, True
        return view

    def placed_by(self, table: str) -> NumbersStore:
        """This store with roll-ups placing organisations by another table of org_area's
        columns (shares the connection)."""
        if table == self.placement_table:
            return self
        view = copy(self)
        view.placement_table, view.shared = table, True
        return view

    def areas_placed_by(self, placements: str, successions: str) -> NumbersStore:
        """This store with roll-ups of values reported by area placing and restating them by
        other tables of area_area's and area_succession's columns (shares the connection)."""
        if (placements, successions) == (self.area_placement_table, self.area_succession_table):
            return self
        view = copy(self)
        view.area_placement_table, view.area_succession_table = placements, successions
        view.shared = True
        return view

    @cached_property
    def _database(self) -> str:
        """The database's identity in this process: its file, or the connection in memory
        (worked out once: a scoped request reads it)."""
        return str(self.path.resolve()) if self.path else f"memory:{id(self.con)}"

    def placement_writes(self) -> int:
        """How many times this process has replaced rows of the placement tables of this
        store's database (any NumbersStore on the same file counts)."""
        return _PLACEMENT_WRITES.get(self._database, 0)

    def holds_placements(self) -> bool:
        """Whether org_area has rows: a steward's change then places the organisations it
        touches again in it (service/geography/refresh.py), a write."""
        if not self._has_table("org_area"):
            return False
        return self.con.execute("SELECT 1 FROM org_area LIMIT 1").fetchone() is not None

    def replace_rows(self, table: str, codes: list[str], insert: Callable[[], None]) -> None:
        """Delete the rows of `table` (org_area, area_area, area_succession: a name of ours,
        never user input) whose org_code is one of `codes` and run `insert`, in one
        transaction; then count the write (placement_writes)."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"DELETE FROM {table} WHERE list_contains(?, org_code)", [codes])
            insert()
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        key = self._database
        _PLACEMENT_WRITES[key] = _PLACEMENT_WRITES.get(key, 0) + 1

    def _has_column(self, table: str, column: str) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = ? "
            "AND column_name = ?",
            [table, column],
        ).fetchone()
        return bool(row and row[0])

    def _has_table(self, table: str) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchone()
        return bool(row and row[0])

    def _count(self, table: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    def refresh_reporters(self) -> None:
        """Rebuild the reporter table: which organisation has ever returned which metric, under
        which region. The roll-up reads it for coverage (a scan of every value per request would
        cost more than the roll-up); batch writes keep it current."""
        self.con.execute("DELETE FROM reporter")
        self.con.execute(
            "INSERT INTO reporter (metric, org_code, region_code, area_type) "
            "SELECT DISTINCT metric, org_code, region_code, area_type FROM reported_value"
        )

    def current_batch(self, publication: str) -> tuple[str, str, str] | None:
        """(batch id, file sha256, mapping sha256) of the publication's current batch, if any."""
        row = self.con.execute(
            "SELECT batch_id, sha256, coalesce(mapping_sha256, '') FROM batch "
            "WHERE publication = ? AND status = 'current'",
            [publication],
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def value_count(self, batch_id: str | None = None) -> int:
        if batch_id is None:
            row = self.con.execute("SELECT count(*) FROM reported_value").fetchone()
        else:
            row = self.con.execute(
                "SELECT count(*) FROM reported_value WHERE batch_id = ?", [batch_id]
            ).fetchone()
        return int(row[0]) if row else 0

    def release_key(self) -> tuple[object, ...]:
        """What the answers depend on, in a few numbers: the batches (each id with its status:
        a load, a supersession, a retirement, a withdrawal or an undo changes it) and the
        placements (org_area). Readers that keep answers (service/strain/cache.py) key them by
        it, so a new release is never answered from before it."""
        row = (
            self.con.cursor()
            .execute(
                "SELECT count(*), max(loaded_at), bit_xor(hash(batch_id || ':' || status)), "
                "(SELECT count(*) FROM org_area), "
                "(SELECT bit_xor(hash(method || area_type || org_code || area_code || share)) "
                "FROM org_area) FROM batch"
            )
            .fetchone()
        )
        return tuple(row) if row else ()

    def reported_metrics(self) -> set[str]:
        """IRIs of the metrics some organisation reports (the reporter table)."""
        rows = self.con.cursor().execute("SELECT DISTINCT metric FROM reporter").fetchall()
        return {str(r[0]) for r in rows}

    def publications(self) -> list[dict[str, object]]:
        """The current batches: publication, dataset, file, loaded at, values, first and last
        period (for the front page)."""
        rows = (
            self.con.cursor()
            .execute(
                "SELECT b.publication, b.dataset, b.file, b.loaded_at, b.value_count, "
                "min(v.period_start), max(v.period_end), count(DISTINCT v.org_code) "
                "FROM batch b LEFT JOIN reported_value v USING (batch_id) "
                "WHERE b.status = 'current' GROUP BY ALL ORDER BY b.publication"
            )
            .fetchall()
        )
        keys = ("publication", "dataset", "file", "loaded_at", "values", "first", "last", "orgs")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def placements(self) -> list[tuple[str, str, int]]:
        """(method, area type, organisations placed) materialised in org_area."""
        rows = (
            self.con.cursor()
            .execute(
                "SELECT method, area_type, count(DISTINCT org_code) FROM org_area "
                "GROUP BY ALL ORDER BY 1, 2"
            )
            .fetchall()
        )
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    def batches(self) -> list[tuple[str, str, str]]:
        return [
            (r[0], r[1], r[2])
            for r in self.con.execute(
                "SELECT batch_id, publication, status FROM batch ORDER BY loaded_at, batch_id"
            ).fetchall()
        ]

    @contextmanager
    def replacing(
        self,
        record: BatchRecord,
        values: CandidateValues,
        resolution: Resolution,
        regions: dict[str, str],
    ) -> Iterator[None]:
        """Write a batch, retire the publication's earlier one and journal both, in one DuckDB
        transaction committed before the body (the graph write) runs; then close the journal.
        If the body fails the batch is undone and the error re-raised; if the process dies,
        `journal.recover` finishes or undoes it by whether the graph was recorded."""
        with self.replacing_columns(record, _columns(values, resolution, regions)):
            yield

    @contextmanager
    def replacing_columns(
        self, record: BatchRecord, columns: dict[str, np.ndarray]
    ) -> Iterator[None]:
        """`replacing` for values already in columns of release_value (by name; the batch id is
        added): the values reported by area (service/returns/area_load.py) come this way."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            old = self.current_batch(record.publication)
            extents = [batch_extent(con, old[0])] if old else []
            if old:
                con.execute(
                    "UPDATE batch SET status = 'superseded', superseded_by = ? WHERE batch_id = ?",
                    [record.batch_id, old[0]],
                )
            con.execute(
                "INSERT INTO batch (batch_id, publication, dataset, mapping, file, sha256, graph, "
                "loaded_at, value_count, status, release_date, release_source, mapping_sha256) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', ?, ?, ?)",
                [
                    record.batch_id,
                    record.publication,
                    record.dataset,
                    record.mapping,
                    record.file,
                    record.sha256,
                    record.graph,
                    datetime.now(),
                    record.value_count,
                    record.release_date,
                    record.release_source,
                    record.mapping_sha256,
                ],
            )
            self._insert_values(record.batch_id, columns)
            extents.append(batch_extent(con, record.batch_id))
            self._answer(record.batch_id, extents, overlap_checked=not old)
            con.execute(
                "INSERT INTO load_journal VALUES (?, ?, ?, ?)",
                [record.batch_id, record.graph, old[0] if old else None, datetime.now()],
            )
            pause_point("numbers-staged")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        pause_point("numbers-committed")
        try:
            yield
        except BaseException:
            self.undo_batch(record.batch_id, old[0] if old else None)
            raise
        pause_point("graph-recorded")
        self.close_journal(record.batch_id)

    def journal(self) -> list[tuple[str, str, str | None]]:
        """(batch, graph, superseded batch) of each load not known to have finished."""
        if self.read_only and not self._has_table("load_journal"):
            return []
        rows = self.con.execute(
            "SELECT batch_id, graph, old_batch FROM load_journal ORDER BY started_at"
        ).fetchall()
        return [(str(r[0]), str(r[1]), None if r[2] is None else str(r[2])) for r in rows]

    def close_journal(self, batch_id: str) -> None:
        """The load of a batch finished in both stores: its journal row goes."""
        self.con.execute("DELETE FROM load_journal WHERE batch_id = ?", [batch_id])

    def undo_batch(self, batch_id: str, old_batch: str | None) -> None:
        """Undo a journalled batch whose graph was never recorded: its values and record go, the
        batch it superseded is current again, the answering values are chosen again; one
        transaction, with the journal row's removal. Idempotent."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            extents = [batch_extent(con, batch_id)]
            if old_batch:
                extents.append(batch_extent(con, old_batch))
                con.execute(
                    "UPDATE batch SET status = 'current', superseded_by = NULL "
                    "WHERE batch_id = ? AND superseded_by = ?",
                    [old_batch, batch_id],
                )
            con.execute("DELETE FROM release_value WHERE batch_id = ?", [batch_id])
            con.execute("DELETE FROM reported_value WHERE batch_id = ?", [batch_id])
            con.execute("DELETE FROM batch WHERE batch_id = ?", [batch_id])
            re_resolve(con, extents)
            self.refresh_reporters()
            con.execute("DELETE FROM load_journal WHERE batch_id = ?", [batch_id])
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def _insert_values(self, batch_id: str, columns: dict[str, np.ndarray]) -> None:
        n = len(next(iter(columns.values()))) if columns else 0
        frame = {"batch_id": np.full(n, batch_id, dtype=object), **columns}  # noqa: F841
        self.con.execute(
            "INSERT INTO release_value BY NAME SELECT * REPLACE ("
            "CAST(period_start AS DATE) AS period_start, CAST(period_end AS DATE) AS period_end) "
            "FROM frame"
        )

    def _answer(
        self, batch_id: str, extents: list[list[tuple[str, date, date]]], overlap_checked: bool
    ) -> None:
        """Bring reported_value up to date after a batch was written: its values answer at once
        if nothing answers for its metrics and periods yet (the usual new period or first
        load); otherwise the latest release is chosen again for every value concerned."""
        con = self.con
        where, params = extent_filter(extents[-1])
        held = con.execute(f"SELECT count(*) FROM reported_value v WHERE {where}", params)
        row = held.fetchone()
        if overlap_checked and row is not None and row[0] == 0:
            con.execute(
                f"INSERT INTO reported_value SELECT {VALUE_COLUMNS} FROM release_value "
                "WHERE batch_id = ?",
                [batch_id],
            )
            con.execute(
                "INSERT INTO reporter (metric, org_code, region_code, area_type) "
                "SELECT DISTINCT metric, org_code, region_code, area_type "
                "FROM release_value WHERE batch_id = ? "
                "EXCEPT SELECT metric, org_code, region_code, area_type FROM reporter",
                [batch_id],
            )
            return
        re_resolve(con, extents)
        self.refresh_reporters()  # reporters of values no longer answering may be gone

    def set_status(self, batch_id: str, status: str, note: str) -> None:
        """Retire ('retired') or restore ('current') a batch, and choose again the values that
        answer for its metrics and periods; one transaction."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "UPDATE batch SET status = ?, changed_at = ?, change_note = ? WHERE batch_id = ?",
                [status, datetime.now(), note, batch_id],
            )
            re_resolve(con, [batch_extent(con, batch_id)])
            self.refresh_reporters()
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def answering_count(self, batch_id: str) -> int:
        """How many of a batch's values answer questions now (the rest are history)."""
        row = self.con.execute(
            "SELECT count(*) FROM reported_value WHERE batch_id = ?", [batch_id]
        ).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        if not self.shared:  # a view as known on a day shares its store's connection
            self.con.close()


def _columns(v: CandidateValues, r: Resolution, regions: dict[str, str]) -> dict[str, np.ndarray]:
    """An organisation batch's values as columns of release_value."""
    return {
        "org_code": np.array(r.org_code, dtype=object),
        "org_iri": np.array(r.org_iri, dtype=object),
        "reported_code": np.array(v.reported_codes(), dtype=object),
        "stated_region": np.array(v.region, dtype=object),
        "region_code": np.array([regions.get(x, x) for x in v.region], dtype=object),
        "metric": np.array(v.metric, dtype=object),
        "period_start": day_array(v.period_start),
        "period_end": day_array(v.period_end),
        "value": np.array(v.value, dtype=np.float64),
        "sheet": np.array(v.sheet, dtype=object),
        "cell": np.array(v.cell, dtype=object),
    }
