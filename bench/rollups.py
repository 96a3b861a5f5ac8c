"""Roll-up by LRF restated to current organisations: one date, 90 days and 365 days, over 1 and 3
years of synthetic national data, four ways (bench/rollup_paths.py). Each path runs in its own
child process (load time, RSS after loading, peak RSS); every answer is checked against the plain
reference (bench/rollup_model.py) before it is timed, so all paths answer the same question."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from bench import rollup_engine, rollup_paths
from bench.core import ChildRun, Context, Row, benchmark, median, memory_mb, row, run_child
from bench.rollup_data import METRICS, Size, SyntheticSystem, generate
from bench.rollup_model import reference_rollup, same_answer
from bench.rollup_report import PATHS as PATHS_LABELS
from bench.rollup_report import comparison_rows

AT = date(2026, 3, 31)  # restate to the organisations open on the last day of the data
QUERIES = {
    "one date": (date(2025, 10, 1), date(2025, 10, 1)),
    "90 days": (date(2025, 7, 1), date(2025, 9, 28)),
    "365 days": (date(2025, 4, 1), date(2026, 3, 31)),
}
YEARS = {1: 365, 3: 365 * 3}
# The naive rdflib path: one year only, and its query stopped at this many seconds (221 s for 90
# days in MEASUREMENTS.md); the whole bench must stay under 10 minutes. 10 s is still 100x the
# engine's target, so a time-out shows the ratio target met as a lower bound.
RDFLIB_QUERY_TIMEOUT_S = 10.0
# rdflib holds only the 90 days of values up to the one date it is asked about (a year took 59 s
# and 3.8 GB to load, and timed out on a shared machine); its answer for that date is the same,
# and with less data to search its time is, if anything, flattering: the ratio is a lower bound.
RDFLIB_DAYS = 90
PLAN = [  # (path, years, queries); the SPARQL paths at 3 years would not fit the time budget
    ("rdflib", 1, ["one date"]),
    ("oxigraph", 1, list(QUERIES)),
    ("duckdb", 1, list(QUERIES)),
    ("duckdb", 3, list(QUERIES)),
    ("engine", 1, list(QUERIES)),
    ("engine", 3, list(QUERIES)),
]

Loader = Callable[[Any, date, Path], Any]
PATHS: dict[str, tuple[Loader, Callable[..., dict[str, float]]]] = {
    "rdflib": (lambda s, at, p: rollup_paths.rdflib_load(s, at), rollup_paths.rdflib_query),
    "oxigraph": (
        lambda s, at, p: rollup_paths.oxigraph_load(s, at, p),
        rollup_paths.oxigraph_query,
    ),
    "duckdb": (lambda s, at, p: rollup_paths.duckdb_load(s, at), rollup_paths.duckdb_query),
    "engine": (lambda s, at, p: rollup_engine.engine_load(s, p), rollup_engine.engine_query),
}


class QueryTimeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise QueryTimeout


def timed(
    fn: Callable[[], dict[str, float]], limit: float
) -> tuple[float, float, dict[str, float]]:
    """Wall and CPU milliseconds (this process, all threads) and the answer of one call, stopped
    by SIGALRM after `limit` seconds. CPU time shows the work done when the machine is shared."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        answer = fn()
        return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000, answer
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def window(system: SyntheticSystem, last: date, days: int) -> SyntheticSystem:
    """The same system with only the values of the `days` days up to `last`."""
    first = np.datetime64(last) - np.timedelta64(days - 1, "D")
    keep = (system.day >= first) & (system.day <= np.datetime64(last))
    return replace(
        system,
        org=system.org[keep],
        metric=system.metric[keep],
        day=system.day[keep],
        value=system.value[keep],
    )


def child_task(
    path: str, years: int, queries: list[str], data_dir: Path, store: Path, limit: float
) -> dict[str, Any]:
    """Run in a child process: generate, load, then check and time each query."""
    system = generate(data_dir, Size(days=YEARS[years]))
    if path == "rdflib":
        system = window(system, QUERIES["one date"][0], RDFLIB_DAYS)
    load, query = PATHS[path]
    start = time.perf_counter()
    loaded = load(system, AT, store)
    out: dict[str, Any] = {
        "values": len(system.value),
        "load_s": time.perf_counter() - start,
        "rss_after_load_mb": memory_mb("VmRSS"),
        "queries": {},
    }
    metric = METRICS[0]
    for name in queries:
        first, last = QUERIES[name]
        expected = reference_rollup(system, metric, first, last, AT)

        def call(first: date = first, last: date = last) -> dict[str, float]:
            return query(loaded, metric, first, last, AT)

        try:
            ms, cpu_ms, answer = timed(call, limit)
        except QueryTimeout:
            out["queries"][name] = {"ms": None, "check": "", "timed_out": True, "limit_s": limit}
            continue
        runs, cpu = [ms], [cpu_ms]
        while len(runs) < 7 and sum(runs) < 2000:  # repeat fast queries; median of the runs
            ms, cpu_ms, _ = timed(call, limit)
            runs.append(ms)
            cpu.append(cpu_ms)
        check = same_answer(expected, answer)
        out["queries"][name] = {
            "ms": median(runs),
            "cpu_ms": median(cpu),
            "runs": len(runs),
            "check": check,
        }
    return out


def _run(ctx: Context, path: str, years: int, queries: list[str]) -> ChildRun:
    limit = RDFLIB_QUERY_TIMEOUT_S if path == "rdflib" else ctx.timeout
    args = ["rollups", "--path", path, "--years", str(years), "--queries", ",".join(queries)]
    store = ctx.scratch / f"rollups-{path}-{years}"
    args += ["--data-dir", str(ctx.data_dir), "--store", str(store), "--query-timeout", str(limit)]
    return run_child(args, ctx.timeout)


@benchmark("rollups")
def rollups(ctx: Context) -> list[Row]:
    runs: dict[tuple[str, int], dict[str, Any]] = {}
    rows: list[Row] = []
    for path, years, queries in PLAN:
        if path == "engine" and not rollup_engine.available():
            rows.append(
                row(f"{PATHS_LABELS[path]}, {years} y", None, "ms", note="engine not on main")
            )
            continue
        run = _run(ctx, path, years, queries)
        span = f"{RDFLIB_DAYS} days" if path == "rdflib" else f"{years} y"
        label = f"{PATHS_LABELS[path]}: load {span} of values"
        if run.output is None:
            why = "timed out" if run.timed_out else run.error
            rows.append(row(label, None, "s", note=why))
            continue
        out = runs[(path, years)] = run.output
        note = f"{out['values']:,} values; RSS after load {out['rss_after_load_mb']:.0f} MB"
        rows.append(row(label, out["load_s"], "s", note=f"{note}; peak {run.peak_rss_mb:.0f} MB"))
    return rows + comparison_rows(runs)
