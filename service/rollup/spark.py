"""The numbers on Apache Spark: the numbers store's tables as Spark temporary views, answering the
roll-up's own SQL (service/rollup/engine.py, written once in DuckDB's dialect) transpiled by
SQLGlot, with the same `?` parameters bound by Spark (never pasted into the text).

    spark = spark_session()                     # local[2], or NHSKG_SPARK_MASTER / master=...
    numbers = SparkNumbers.from_numbers(spark, NumbersStore(path), folder)
    rollup(numbers, metric, "LRF", day, Method.SITES)   # the same call as on DuckDB
    area_rollup(numbers, cases, "LRF", day)             # values reported by area, the same

`from_numbers` writes the DuckDB tables as Parquet into `folder` and reads them into Spark; on a
cluster the folder must be storage every executor reads (HDFS, S3 through s3a://, a shared
mount), or `from_parquet` is given such paths directly (README: "Numbers on Spark").
"""

from __future__ import annotations

import os
import uuid
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from service.returns.numbers import NumbersStore
from service.returns.releases import known_at_relation, reporters_known_at

# The tables the roll-up and its release resolution read (area_area and area_succession: values
# reported by area, method AREA_MEMBERSHIP, and their restatement, service/rollup/areas.py).
TABLES = (
    "reported_value", "reporter", "org_area", "area_area", "area_succession", "release_value",
    "batch",
)  # fmt: skip
MASTER_ENV = "NHSKG_SPARK_MASTER"
LOCAL_MASTER = "local[2]"


def spark_session(master: str | None = None, conf: dict[str, str] | None = None) -> Any:
    """A SparkSession (the running one if there is one): `master` or $NHSKG_SPARK_MASTER or
    local[2]; no web UI or progress bar. Locally, few shuffle partitions (the default 200 is
    for a cluster's data); anything in `conf` overrides."""
    from pyspark.sql import SparkSession

    chosen = master or os.environ.get(MASTER_ENV) or LOCAL_MASTER
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
    }
    if chosen.startswith("local"):
        settings["spark.sql.shuffle.partitions"] = "4"
    settings.update(conf or {})
    builder = SparkSession.builder.appName("nhskg").master(chosen)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


@lru_cache(maxsize=512)
def to_spark(sql: str, views: tuple[tuple[str, str], ...]) -> str:
    """The DuckDB-dialect text in Spark SQL, each stored table named by its view."""
    names = dict(views)

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and not node.args.get("db") and node.name in names:
            if not node.alias:  # `reporter.org_code` still names the table by its own name
                node.set("alias", exp.TableAlias(this=exp.to_identifier(node.name)))
            node.set("this", exp.to_identifier(names[node.name]))
        return node

    tree = sqlglot.parse_one(sql, read="duckdb").transform(rename)
    return tree.sql(dialect="spark")


class SparkCursor:
    """A DuckDB-like cursor over a SparkSession: execute (transpiled, parameters bound by
    Spark), then fetchall / fetchone."""

    def __init__(self, numbers: SparkNumbers) -> None:
        self._numbers = numbers
        self._rows: list[tuple[Any, ...]] = []

    def execute(self, query: str, parameters: Any = None) -> SparkCursor:
        text = to_spark(query, self._numbers.views)
        frame = self._numbers.spark.sql(text, args=list(parameters or []) or None)
        self._rows = [tuple(r) for r in frame.collect()]
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def close(self) -> None:
        self._rows = []


class SparkNumbers:
    """The numbers tables in Spark (temporary views of one SparkSession, named uniquely so two
    stores share a session). Read like a NumbersStore by the roll-up: `values`, `reporters`,
    `known_at(day)`, `reader()`."""

    known_day: date | None = None
    portable = True  # the roll-up binds its parameter tables as VALUES lists (engine.py)

    def __init__(self, spark: Any, views: dict[str, str]) -> None:
        self.spark = spark
        self.views = tuple(sorted(views.items()))

    @classmethod
    def from_parquet(
        cls, spark: Any, paths: dict[str, str], *, cached: tuple[str, ...] | None = None
    ) -> SparkNumbers:
        """Each table from its Parquet path (a file or folder, local or a cluster's storage).
        The tables in `cached` (all when None) are cached in executor memory and counted once,
        so their load is paid here; the others are read from the files by each query."""
        tag = uuid.uuid4().hex[:8]
        views: dict[str, str] = {}
        for table, path in paths.items():
            frame = spark.read.parquet(path)
            if cached is None or table in cached:
                frame = frame.cache()
                frame.count()
            views[table] = f"nhskg_{tag}_{table}"
            frame.createOrReplaceTempView(views[table])
        return cls(spark, views)

    @classmethod
    def from_numbers(
        cls, spark: Any, numbers: NumbersStore, folder: Path, tables: tuple[str, ...] = TABLES
    ) -> SparkNumbers:
        """A numbers store's tables written as Parquet into `folder` by DuckDB, then read.
        The placement tables are the ones the store reads: a store placing by the reference as
        known at a date (`placed_by`, `areas_placed_by`: service/geography/known_places.py)
        gives Spark those tables under the usual names, so the roll-up asked `asKnownAt`
        places as DuckDB does."""
        folder.mkdir(parents=True, exist_ok=True)
        read = {
            "org_area": numbers.placement_table,
            "area_area": numbers.area_placement_table,
            "area_succession": numbers.area_succession_table,
        }
        paths = {}
        for table in tables:
            path = folder / f"{table}.parquet"
            quoted = str(path).replace("'", "''")
            source = read.get(table, table)  # names of ours, never user input
            numbers.con.execute(f"COPY (FROM {source}) TO '{quoted}' (FORMAT PARQUET)")
            paths[table] = str(path)
        return cls.from_parquet(spark, paths)

    @property
    def values(self) -> str:
        return "reported_value" if self.known_day is None else known_at_relation(self.known_day)

    @property
    def reporters(self) -> str:
        if self.known_day is None:
            return "reporter"
        return f"({reporters_known_at(self.known_day)}) AS reporter"

    def known_at(self, day: date | None) -> SparkNumbers:
        view = SparkNumbers(self.spark, dict(self.views))
        view.known_day = day
        return view

    def reader(self) -> SparkCursor:
        return SparkCursor(self)

    def close(self) -> None:
        for _, view in self.views:
            self.spark.catalog.dropTempView(view)
