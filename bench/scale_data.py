"""A synthetic numbers store at a multiple of national scale, written as Parquet (the one format
both engines load): `factor` 1 is the national roll-up benchmark's size (bench/rollup_data.py's
Size: 240 reporting trusts, ten daily metrics, three years: about 2.6 M values); 10 is about
26 M, 100 about 263 M (the issue's "every MSOA reporting ten metrics daily for three years",
about 75 M, is factor 28.5).

The same synthetic system as bench/rollup_data.py (its metrics, last day and national size are
read from there, not copied), without the real geography: that generator builds each value in
numpy from the real LADs and trusts, which does not reach tens of millions of values; this one has
DuckDB generate them from the organisation, metric and day numbers and a seed (values from
DuckDB's hash), so a factor and seed always give the same data. Placement (the SITES method into
42 LRFs) and successions are regular patterns that exercise every path of the roll-up: whole,
split and partial placements, organisations placed nowhere, mergers, splits with weights and a
split without them (unmapped with its reason).

The values are a folder of Parquet files, one per CHUNK_DAYS days, each sorted by day: written a
chunk at a time (no sort of the whole table, so 100x fits in memory), and read by both engines
skipping the files and row groups outside the days a roll-up asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from bench.rollup_data import LAST_DAY, METRICS, Size
from service.returns.codes import Step

NATIONAL_TRUSTS = Size().trusts
LRFS = 42
REGIONS = ("Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63")
# Every MERGE-th organisation merges into the one before it on the middle day; every SPLIT-th
# splits into the two after it (weights 0.3 / 0.7); every UNWEIGHTED-th splits with no weights.
MERGE, SPLIT, UNWEIGHTED = 40, 97, 211
CHUNK_DAYS = 30
TABLES = ("reported_value", "reporter", "org_area")


@dataclass(frozen=True)
class Scale:
    factor: float = 1.0
    days: int = Size().days
    metrics: int = Size().metrics

    @property
    def organisations(self) -> int:
        return max(8, round(NATIONAL_TRUSTS * self.factor))

    @property
    def first_day(self) -> date:
        return LAST_DAY - timedelta(days=self.days - 1)

    @property
    def event_day(self) -> date:
        return self.first_day + timedelta(days=self.days // 2)


@dataclass(frozen=True)
class Synthetic:
    scale: Scale
    paths: dict[str, str]  # table -> Parquet file
    values: int
    steps: dict[str, list[Step]]

    def successions(self, code: str) -> list[Step]:
        return self.steps.get(code, [])


def code(i: int) -> str:
    return f"S{i:06d}"


def successions_of(scale: Scale) -> dict[str, list[Step]]:
    n, day, steps = scale.organisations, scale.event_day, {}
    for i in range(n):
        if i % UNWEIGHTED == UNWEIGHTED - 1 and i + 2 < n:
            steps[code(i)] = [Step(day, (code(i + 1), code(i + 2)))]
        elif i % SPLIT == SPLIT - 1 and i + 2 < n:
            steps[code(i)] = [Step(day, (code(i + 1), code(i + 2)), (0.3, 0.7))]
        elif i % MERGE == MERGE - 1:
            steps[code(i)] = [Step(day, (code(i - 1),))]
    return steps


def paths_in(folder: Path) -> dict[str, str]:
    """Table -> Parquet path in a generated folder (the values: a folder of files)."""
    return {t: str(folder / (t if t == "reported_value" else f"{t}.parquet")) for t in TABLES}


def generate(folder: Path, scale: Scale, seed: int = 19) -> Synthetic:
    """Write reported_value (a folder of files), reporter and org_area as Parquet in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    steps = successions_of(scale)
    closing = sorted(int(c[1:]) for c in steps)
    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE TABLE closes AS SELECT unnest(?::INTEGER[]) AS i", [closing])
    con.execute("CREATE TABLE metrics AS SELECT unnest(?::VARCHAR[]) AS metric", [
        list(METRICS[: scale.metrics])
    ])  # fmt: skip
    paths = paths_in(folder)
    values = Path(paths["reported_value"])
    values.mkdir(exist_ok=True)
    for old in values.glob("*.parquet"):
        old.unlink()
    count = 0
    for n, first in enumerate(range(0, scale.days, CHUNK_DAYS)):
        start = scale.first_day + timedelta(days=first)
        end = min(start + timedelta(days=CHUNK_DAYS - 1), LAST_DAY)
        count += _write_values(con, values / f"part-{n:03d}.parquet", scale, start, end, seed)
    # Every organisation reports every metric (one that closes, until the day before).
    con.execute(
        f"""
        COPY (
            SELECT m.metric, 'S' || lpad(o.i::VARCHAR, 6, '0') AS org_code,
                   list_extract(?::VARCHAR[], o.i % 7 + 1) AS region_code,
                   CAST(NULL AS VARCHAR) AS area_type
            FROM range(?) o(i) CROSS JOIN metrics m
        ) TO '{paths["reporter"]}' (FORMAT PARQUET)""",
        [list(REGIONS), scale.organisations],
    )
    # SITES into LRFs: a third whole, a third split 0.6 / 0.4, a third partly placed (0.5 + 0.3,
    # a tenth of its sites unlocated); every 50th placed nowhere.
    con.execute(
        f"""
        COPY (
            WITH o AS (SELECT i, 'S' || lpad(i::VARCHAR, 6, '0') AS org FROM range(?) t(i)
                       WHERE i % 50 <> 49),
            p AS (
                SELECT org, i % {LRFS} AS lrf, 1.0 AS share, NULL AS unlocated FROM o
                WHERE i % 3 = 0
                UNION ALL SELECT org, i % {LRFS}, 0.6, NULL FROM o WHERE i % 3 = 1
                UNION ALL SELECT org, (i * 7 + 1) % {LRFS}, 0.4, NULL FROM o WHERE i % 3 = 1
                UNION ALL SELECT org, i % {LRFS}, 0.5, 0.1 FROM o WHERE i % 3 = 2
                UNION ALL SELECT org, (i + 5) % {LRFS}, 0.3, 0.1 FROM o WHERE i % 3 = 2
            )
            SELECT 'SITES' AS method, 'LRF' AS area_type, org AS org_code,
                   'L' || lpad(lrf::VARCHAR, 2, '0') AS area_code, CAST(share AS DOUBLE) AS share,
                   CAST(NULL AS DATE) AS valid_from, CAST(NULL AS DATE) AS valid_to,
                   CAST(NULL AS VARCHAR) AS source, CAST(unlocated AS DOUBLE) AS unlocated,
                   CAST(NULL AS DOUBLE) AS coverage, CAST(NULL AS VARCHAR) AS evidence
            FROM p
        ) TO '{paths["org_area"]}' (FORMAT PARQUET)""",
        [scale.organisations],
    )
    con.close()
    return Synthetic(scale, paths, count, steps)


def _write_values(
    con: duckdb.DuckDBPyConnection, path: Path, scale: Scale, start: date, end: date, seed: int
) -> int:
    """The values of the days start..end into one file, by day; how many."""
    row = con.execute(
        f"""
        COPY (
            SELECT 'synthetic' AS batch_id, 'S' || lpad(o.i::VARCHAR, 6, '0') AS org_code,
                   'S' || lpad(o.i::VARCHAR, 6, '0') AS org_iri,
                   'S' || lpad(o.i::VARCHAR, 6, '0') AS reported_code,
                   list_extract(?::VARCHAR[], o.i % 7 + 1) AS stated_region,
                   list_extract(?::VARCHAR[], o.i % 7 + 1) AS region_code,
                   m.metric, d.day AS period_start, d.day AS period_end,
                   CAST(hash(o.i, m.metric, d.day, {int(seed)}) % 500 AS DOUBLE) AS value,
                   CAST(NULL AS VARCHAR) AS sheet, CAST(NULL AS VARCHAR) AS cell,
                   CAST(NULL AS VARCHAR) AS area_type, CAST(NULL AS VARCHAR) AS marker
            FROM range(?) o(i) CROSS JOIN metrics m
            CROSS JOIN (SELECT CAST(range AS DATE) AS day FROM range(?::DATE, ?::DATE + 1,
                        INTERVAL 1 DAY)) d
            WHERE d.day < ? OR o.i NOT IN (SELECT i FROM closes)
            ORDER BY period_start
        ) TO '{path}' (FORMAT PARQUET, ROW_GROUP_SIZE 1000000)""",
        [list(REGIONS), list(REGIONS), scale.organisations, start, end, scale.event_day],
    ).fetchone()
    return int(row[0]) if row else 0


def load_duckdb(synthetic: Synthetic, path: Path | None) -> object:
    """A NumbersStore holding the synthetic tables (DuckDB reads the Parquet files)."""
    from service.returns.numbers import NumbersStore

    numbers = NumbersStore(path)
    for table, file in synthetic.paths.items():
        files = f"{file}/*.parquet" if Path(file).is_dir() else file
        numbers.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)", [files])
    return numbers
