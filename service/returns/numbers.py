"""The numbers store: reported values in DuckDB, keyed by organisation, metric, period and batch.

One row per value of the current batch of each publication. A batch is written in three steps so
that the graph and the numbers change together or not at all, even if the process is killed
between them: its values are staged (committed, never read), the graph is written (the commit
point), then the staged values replace the earlier batch's. After a crash, `reconcile`
(service/returns/load.py) finalises a staged batch whose graph is current and discards any other.
A re-loaded publication replaces the earlier batch's values; the batch
table (and the graph's provenance) keeps a record of both versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np

from service.cancellation import register_interrupt
from service.returns.candidate import CandidateValues
from service.returns.codes import Resolution
from service.returns.periods import day_array

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
-- Values of a batch staged but not yet current (see NumbersStore.stage): never read.
CREATE TABLE IF NOT EXISTS pending_value AS SELECT * FROM reported_value LIMIT 0;
CREATE TABLE IF NOT EXISTS reporter (
    metric VARCHAR NOT NULL, org_code VARCHAR NOT NULL, region_code VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS org_area (
    method VARCHAR NOT NULL, area_type VARCHAR NOT NULL, org_code VARCHAR NOT NULL,
    area_code VARCHAR NOT NULL, share DOUBLE NOT NULL, valid_from DATE, valid_to DATE
);
-- The catchment table a CATCHMENT row comes from (service/geography/table.py writes it too);
-- added to stores made before the column.
ALTER TABLE org_area ADD COLUMN IF NOT EXISTS source VARCHAR;
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


class NumbersStore:
    """DuckDB file beside the graph store (`NumbersStore(None)` is in memory, for tests)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else None
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(self.path) if self.path else ":memory:")
        self.con.execute(SCHEMA)
        if self.value_count() and not self._count("reporter"):  # a store from before the table
            self.refresh_reporters()

    def reader(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for one reader (concurrent requests never share one), registered
        with the current worker job so a request past its time budget interrupts its query."""
        cursor = self.con.cursor()
        register_interrupt(cursor.interrupt)
        return cursor

    def _count(self, table: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    def refresh_reporters(self) -> None:
        """Rebuild the reporter table: which organisation has ever returned which metric, under
        which region. The roll-up reads it for coverage (a scan of every value per request would
        cost more than the roll-up); batch writes keep it current."""
        self.con.execute("DELETE FROM reporter")
        self.con.execute(
            "INSERT INTO reporter SELECT DISTINCT metric, org_code, region_code FROM reported_value"
        )

    def current_batch(self, publication: str) -> tuple[str, str] | None:
        """(batch id, sha256) of the publication's current batch, if any."""
        row = self.con.execute(
            "SELECT batch_id, sha256 FROM batch WHERE publication = ? AND status = 'current'",
            [publication],
        ).fetchone()
        return (row[0], row[1]) if row else None

    def value_count(self, batch_id: str | None = None) -> int:
        if batch_id is None:
            row = self.con.execute("SELECT count(*) FROM reported_value").fetchone()
        else:
            row = self.con.execute(
                "SELECT count(*) FROM reported_value WHERE batch_id = ?", [batch_id]
            ).fetchone()
        return int(row[0]) if row else 0

    def batches(self) -> list[tuple[str, str, str]]:
        return [
            (r[0], r[1], r[2])
            for r in self.con.execute(
                "SELECT batch_id, publication, status FROM batch ORDER BY loaded_at, batch_id"
            ).fetchall()
        ]

    def stage(
        self,
        record: BatchRecord,
        values: CandidateValues,
        resolution: Resolution,
        regions: dict[str, str],
    ) -> None:
        """Step 1 of a batch write: its values into `pending_value` and its record as 'pending',
        committed. Readers never see pending values; the graph write that follows is the commit
        point, then `finalise` (or, after a crash, `reconcile` in service/returns/load.py)."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            self._insert_values("pending_value", record.batch_id, values, resolution, regions)
            con.execute(
                "INSERT INTO batch VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', NULL)",
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
                ],
            )
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def pending(self) -> list[tuple[str, str, str]]:
        """(batch id, publication, graph) of batches staged but not finalised or discarded."""
        rows = self.con.execute(
            "SELECT batch_id, publication, graph FROM batch WHERE status = 'pending'"
        ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def finalise(self, batch_id: str) -> None:
        """Step 3: the staged batch becomes its publication's current one, replacing the earlier
        batch's values, in one transaction (idempotent: a finalised batch is left alone)."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            row = con.execute(
                "SELECT publication FROM batch WHERE batch_id = ? AND status = 'pending'",
                [batch_id],
            ).fetchone()
            if row is not None:
                old = self.current_batch(row[0])
                if old:
                    con.execute("DELETE FROM reported_value WHERE batch_id = ?", [old[0]])
                    con.execute(
                        "UPDATE batch SET status = 'superseded', superseded_by = ? "
                        "WHERE batch_id = ?",
                        [batch_id, old[0]],
                    )
                con.execute(
                    "INSERT INTO reported_value SELECT * FROM pending_value WHERE batch_id = ?",
                    [batch_id],
                )
                con.execute("DELETE FROM pending_value WHERE batch_id = ?", [batch_id])
                con.execute("UPDATE batch SET status = 'current' WHERE batch_id = ?", [batch_id])
                if old:  # the earlier batch's reporters may be gone
                    self.refresh_reporters()
                else:
                    con.execute(
                        "INSERT INTO reporter SELECT DISTINCT metric, org_code, region_code "
                        "FROM reported_value WHERE batch_id = ? "
                        "EXCEPT SELECT metric, org_code, region_code FROM reporter",
                        [batch_id],
                    )
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def discard(self, batch_id: str) -> None:
        """A staged batch whose graph was never written: gone, as if never staged."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM pending_value WHERE batch_id = ?", [batch_id])
        con.execute("DELETE FROM batch WHERE batch_id = ? AND status = 'pending'", [batch_id])
        con.execute("COMMIT")

    def _insert_values(
        self,
        table: str,
        batch_id: str,
        v: CandidateValues,
        r: Resolution,
        regions: dict[str, str],
    ) -> None:
        n = len(v)
        region_codes = [regions.get(x, x) for x in v.region]
        columns = {  # noqa: F841 (read by DuckDB's replacement scan below)
            "batch_id": np.full(n, batch_id, dtype=object),
            "org_code": np.array(r.org_code, dtype=object),
            "org_iri": np.array(r.org_iri, dtype=object),
            "reported_code": np.array(v.reported_codes(), dtype=object),
            "stated_region": np.array(v.region, dtype=object),
            "region_code": np.array(region_codes, dtype=object),
            "metric": np.array(v.metric, dtype=object),
            "period_start": day_array(v.period_start),
            "period_end": day_array(v.period_end),
            "value": np.array(v.value, dtype=np.float64),
            "sheet": np.array(v.sheet, dtype=object),
            "cell": np.array(v.cell, dtype=object),
        }
        self.con.execute(
            f"INSERT INTO {table} SELECT * REPLACE ("
            "CAST(period_start AS DATE) AS period_start, CAST(period_end AS DATE) AS period_end) "
            "FROM columns"
        )

    def close(self) -> None:
        self.con.close()
