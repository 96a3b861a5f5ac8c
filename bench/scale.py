"""Scale, measured: the roll-up by LRF (SITES, restated to the organisations of the last day) on
synthetic numbers at 1x, 10x and 100x national scale (bench/scale_data.py), on DuckDB and on
Spark in local mode side by side: load time, one-date and 365-day roll-up (median of 3 after a
warm-up), peak memory of the process and its children (the JVM). Both engines' answers are
compared before their times are reported. $NHSKG_BENCH_SCALES picks the factors (default
"1,10,100"), $NHSKG_BENCH_SCALE_ENGINES the engines (default "duckdb,spark"),
$NHSKG_BENCH_SCALE_REPEAT the timed runs per query (default 3), $NHSKG_BENCH_SCALE_QUERIES
the queries ("one date,365 days"); each engine runs in its own
process (bench/scale_child.py). $NHSKG_BENCH_SCALE_DIR keeps the generated Parquet (one folder
per factor) and reuses it on the next run: a 100x data set is written once, and its generation
is timed once.

The crossover is the smallest factor at which Spark's 365-day roll-up is faster than DuckDB's
on this machine; when there is none, the note says so and extrapolates the two measured trends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.core import ROOT, Context, Row, benchmark, row
from bench.scale_data import Scale, Synthetic, generate, paths_in, successions_of

ENGINES = ("duckdb", "spark")
QUERY_NAMES = ("one date", "365 days")


def factors() -> list[float]:
    return [float(f) for f in os.environ.get("NHSKG_BENCH_SCALES", "1,10,100").split(",") if f]


def engines() -> list[str]:
    chosen = os.environ.get("NHSKG_BENCH_SCALE_ENGINES", ",".join(ENGINES)).split(",")
    return [e for e in ENGINES if e in chosen]


def generated(folder: Path, factor: float) -> tuple[Synthetic, float | None]:
    """The data of a factor: read back when a previous run wrote it completely (its seconds then
    None), else generated now."""
    marker = folder / "generated.json"
    if marker.exists():
        done = json.loads(marker.read_text())
        if done["factor"] == factor:
            scale = Scale(factor)
            return Synthetic(scale, paths_in(folder), done["values"], successions_of(scale)), None
    t0 = time.perf_counter()
    data = generate(folder, Scale(factor))
    seconds = time.perf_counter() - t0
    marker.write_text(json.dumps({"factor": factor, "values": data.values, "seconds": seconds}))
    return data, seconds


def run_engine(engine: str, folder: Path, factor: float, values: int, timeout: float) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        command = [sys.executable, "-m", "bench.scale_child", "--engine", engine,
                   "--data", str(folder), "--factor", str(factor), "--values", str(values),
                   "--out", str(out)]  # fmt: skip
        try:
            done = subprocess.run(
                command, cwd=ROOT, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s"}
        if done.returncode != 0 or not out.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return {"error": f"exit {done.returncode}: {last[-300:]}"}
        return json.loads(out.read_text())


def agree(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) <= 1e-9 * max(1.0, abs(a[k])) for k in a)


@benchmark("scale")
def scale(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    load = os.getloadavg()[0]
    timeout = max(ctx.timeout, 3600.0)
    measured: dict[float, dict[str, Any]] = {}
    kept = os.environ.get("NHSKG_BENCH_SCALE_DIR")
    for factor in factors():
        folder = (Path(kept) if kept else ctx.scratch) / f"scale-{factor:g}"
        data, seconds = generated(folder, factor)
        label = f"{factor:g}x ({data.values / 1e6:.1f} M values)"
        note = "" if seconds is not None else f"written by an earlier run, kept in {folder}"
        rows.append(row(f"scale {label}: generate Parquet", seconds, "s", note=note))
        results = {}
        for engine in engines():
            before = os.getloadavg()[0]
            results[engine] = run_engine(engine, folder, factor, data.values, timeout)
            results[engine]["load_avg"] = (before + os.getloadavg()[0]) / 2
            # Each engine's figures as soon as they are in (a 100x run takes long).
            brief = {k: v for k, v in results[engine].items() if k not in QUERY_NAMES}
            times = {q: results[engine][q]["median_ms"] for q in QUERY_NAMES
                     if q in results[engine]}  # fmt: skip
            print(f"[scale {factor:g}x {engine}: {brief} {times}]", flush=True)
        measured[factor] = results
        none = {"error": "not run ($NHSKG_BENCH_SCALE_ENGINES)"}
        duck, spark = results.get("duckdb", none), results.get("spark", none)
        for engine, result in results.items():
            name = f"scale {label}: {engine}"
            if "error" in result:
                rows.append(row(f"{name}: load", None, "s", note=result["error"]))
                continue
            avg = f"load avg {result['load_avg']:.1f}"
            extra = ""
            if engine == "spark":
                cached = "values cached" if result["cached"] else "values read from Parquet"
                extra = f"; session start {result['session_s']:.1f} s; {cached}"
            rows.append(row(f"{name}: load", result["load_s"], "s", note=avg + extra))
            for query in QUERY_NAMES:
                if query not in result:  # not asked for ($NHSKG_BENCH_SCALE_QUERIES)
                    continue
                same = ""
                if query in duck and query in spark:
                    ok = agree(duck[query]["answer"], spark[query]["answer"])
                    same = "same answer as the other engine" if ok else "ANSWERS DIFFER"
                rows.append(row(f"{name}: {query} by LRF", result[query]["median_ms"], "ms",
                                note="; ".join(x for x in (same, avg) if x)))  # fmt: skip
            rows.append(row(f"{name}: peak memory", result["peak_rss_mb"], "MB",
                            note="process and children" + (" (the JVM)" if engine == "spark"
                                                               else "")))  # fmt: skip
    value, unit, note = crossover(measured)
    note += f"; load avg at start {load:.1f}"
    rows.append(row("spark overtakes duckdb (365-day roll-up) at", value, unit, note=note))
    return rows


def crossover(measured: dict[float, dict[str, Any]]) -> tuple[float | None, str, str]:
    """(factor, unit, note): the smallest measured factor at which Spark's 365-day roll-up beats
    DuckDB's, or a linear extrapolation of the two largest measured factors."""
    points = []
    for factor, results in sorted(measured.items()):
        if any("error" in results.get(e, {"error": ""}) for e in ENGINES):
            continue
        if any("365 days" not in results[e] for e in ENGINES):
            continue
        duck, spark = (results[e]["365 days"]["median_ms"] for e in ENGINES)
        if spark < duck:
            return factor, "x", "measured on this machine (2 cores, Spark local[2])"
        points.append((factor, duck, spark))
    if len(points) < 2:
        return None, "x", "not measured: fewer than two scales ran on both engines"
    (f1, d1, s1), (f2, d2, s2) = points[-2:]
    slope_d, slope_s = (d2 - d1) / (f2 - f1), (s2 - s1) / (f2 - f1)
    if slope_s >= slope_d:
        return (
            None,
            "x",
            (
                f"never on this machine: Spark's time grows {slope_s:.1f} ms per 1x, DuckDB's "
                f"{slope_d:.1f}; on a cluster Spark's per-1x cost divides by about the executor "
                "cores / 2 (this machine has 2), DuckDB's does not"
            ),
        )
    at = f2 + (s2 - d2) / (slope_d - slope_s)
    return at, "x", "extrapolated linearly from the two largest scales measured"
