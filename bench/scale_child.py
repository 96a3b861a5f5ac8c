"""One engine at one scale, in its own process (so its load time and peak memory are its own; the
peak counts the process and its children, the Spark JVM among them). Writes one JSON object.

    python -m bench.scale_child --engine duckdb|spark --data DIR --factor F --out FILE
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.core import memory_mb
from bench.scale_data import (
    LAST_DAY,
    METRICS,
    Scale,
    Synthetic,
    load_duckdb,
    paths_in,
    successions_of,
)

# Spark caches the values in memory up to this many (its driver has SPARK_MEMORY); past it, each
# query reads the Parquet files (as a cluster reads its storage).
CACHE_UP_TO = 40_000_000
SPARK_MEMORY = os.environ.get("NHSKG_BENCH_SPARK_MEMORY", "6g")
REPEAT = int(os.environ.get("NHSKG_BENCH_SCALE_REPEAT", "3"))
QUERIES = {
    "one date": (LAST_DAY - timedelta(days=180), LAST_DAY - timedelta(days=180)),
    "365 days": (LAST_DAY - timedelta(days=364), LAST_DAY),
}
ASKED = os.environ.get("NHSKG_BENCH_SCALE_QUERIES", ",".join(QUERIES)).split(",")


def tree_peak_mb(pid: int) -> float:
    """Peak resident memory of a process and all its descendants (each one's VmHWM, summed)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError):
            total += memory_mb("VmHWM", p)
        todo += children.get(p, [])
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=("duckdb", "spark"), required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--factor", type=float, required=True)
    parser.add_argument("--values", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    scale = Scale(args.factor)
    paths = paths_in(args.data)
    synthetic = Synthetic(scale, paths, args.values, successions_of(scale))
    out: dict[str, Any] = {}
    started = time.perf_counter()
    numbers: Any
    if args.engine == "duckdb":
        store = args.data / "numbers.duckdb"
        for old in (store, store.with_name(store.name + ".wal")):  # a kept folder's last run
            old.unlink(missing_ok=True)
        numbers = load_duckdb(synthetic, store)
        out["load_s"] = time.perf_counter() - started
    else:
        from service.rollup.spark import SparkNumbers, spark_session

        spark = spark_session(conf={"spark.driver.memory": SPARK_MEMORY})
        out["session_s"] = time.perf_counter() - started
        cached = None if args.values <= CACHE_UP_TO else ("reporter", "org_area")
        out["cached"] = args.values <= CACHE_UP_TO
        begun = time.perf_counter()
        numbers = SparkNumbers.from_parquet(spark, paths, cached=cached)
        out["load_s"] = time.perf_counter() - begun
    from service.rollup.engine import rollup
    from service.rollup.model import Method, to_organisations_at

    at = to_organisations_at(LAST_DAY + timedelta(days=1))
    for name, (start, end) in QUERIES.items():
        if name not in ASKED:
            continue
        when = start if start == end else (start, end)

        def once(when: Any = when) -> Any:
            return rollup(numbers, METRICS[0], "LRF", when, Method.SITES, at,
                          successions=synthetic.successions, detail=False)  # fmt: skip

        result = once()  # warm: the first query pays for planning and caches
        times, cpu = [], []
        for _ in range(REPEAT):
            t0, c0 = time.perf_counter(), time.process_time()
            once()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        out[name] = {
            "median_ms": statistics.median(times) * 1000,
            "answer": {r.area: r.value for r in result.rows},
            "unmapped": result.unmapped_summary.total,
        }
    out["peak_rss_mb"] = tree_peak_mb(os.getpid())
    args.out.write_text(json.dumps(out))


if __name__ == "__main__":
    main()
