"""The numbers store: reported values in DuckDB, keyed by organisation, metric, period and batch.

One row per value of the current batch of each publication. A batch is written in one DuckDB
transaction, which the loader keeps open while it writes the graph, so a failure in either store
leaves both as they were. A re-loaded publication replaces the earlier batch's values; the batch
table (and the graph's provenance) keeps a record of both versions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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

    @contextmanager
    def replacing(
        self,
        record: BatchRecord,
        values: CandidateValues,
        resolution: Resolution,
        regions: dict[str, str],
    ) -> Iterator[None]:
        """Write a batch and retire the publication's earlier one; commit only if the body (the
        graph write) succeeds, otherwise roll back and re-raise."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            old = self.current_batch(record.publication)
            if old:
                con.execute("DELETE FROM reported_value WHERE batch_id = ?", [old[0]])
                con.execute(
                    "UPDATE batch SET status = 'superseded', superseded_by = ? WHERE batch_id = ?",
                    [record.batch_id, old[0]],
                )
            self._insert_values(record.batch_id, values, resolution, regions)
            if old:  # the earlier batch's reporters may be gone
                self.refresh_reporters()
            con.execute(
                "INSERT INTO batch VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', NULL)",
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
            yield
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def _insert_values(
        self, batch_id: str, v: CandidateValues, r: Resolution, regions: dict[str, str]
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
            "INSERT INTO reported_value SELECT * REPLACE ("
            "CAST(period_start AS DATE) AS period_start, CAST(period_end AS DATE) AS period_end) "
            "FROM columns"
        )
        self.con.execute(
            "INSERT INTO reporter SELECT DISTINCT metric, org_code, region_code FROM columns "
            "EXCEPT SELECT metric, org_code, region_code FROM reporter"
        )

    def close(self) -> None:
        self.con.close()
