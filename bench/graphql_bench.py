"""GraphQL over loopback HTTP: a national roll-up by LRF (COVID-19 beds occupied, placed by
sites, restated to today's organisations) for one date and for a 90-day range, against a real
uvicorn server in its own process on the national data (bench/graphql_env.py). Latency p50/p99
of sequential requests, then requests/s with several concurrent clients.

`NHSKG_GRAPHQL_BENCH_ENV=DIR` reuses an environment built earlier (`python -m bench.graphql_env
DIR`); otherwise it is built in the scratch directory from a copy of the national store
(bench/national.py `national_store`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from bench.auth import analyst_headers
from bench.core import ROOT, Context, Row, benchmark, row, start_server
from bench.national import national_store

# What an analyst asks: for one date, each LRF's figure with who contributes and who is missing;
# for a range, each LRF's series as plain lists with its coverage, and how much no LRF took.
# Placed by SITES (the analysts' default), restated to today's organisations.
ONE_DATE = """query($date: Date!, $today: Date!) {
  rollup(metric: "BedsOccupiedCovid", by: "LRF", date: $date, method: SITES,
         restate: {toOrganisationsAt: $today}) {
    rows { area { code name } value contributors { code share value }
           coverage { reported expected missing } }
    unmappedTotal unmappedCount } }"""
RANGE = """query($from: Date!, $to: Date!, $today: Date!) {
  rollup(metric: "BedsOccupiedCovid", by: "LRF", from: $from, to: $to, method: SITES,
         restate: {toOrganisationsAt: $today}) {
    series { area { code name } periodStarts values reported expected }
    unmappedTotal unmappedCount } }"""
TODAY = date.today().isoformat()
CASES: dict[str, tuple[str, dict[str, str]]] = {
    "one date": (ONE_DATE, {"date": "2020-04-15", "today": TODAY}),
    "90 days": (RANGE, {"from": "2020-04-01", "to": "2020-06-29", "today": TODAY}),
}
SEQUENTIAL = {"one date": 200, "90 days": 40}
CONCURRENT_CLIENTS = 4
THROUGHPUT_SECONDS = 8.0
# Building the reference indexes of the national store takes about 35 s of CPU; on a shared
# machine the wall time can be several minutes.
SERVER_START_S = 900


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _post(client: httpx.Client, url: str, case: tuple[str, dict[str, str]]) -> dict[str, Any]:
    query, variables = case
    body = client.post(f"{url}/graphql", json={"query": query, "variables": variables}).json()
    if "errors" in body:
        raise RuntimeError(str(body["errors"])[:300])
    return dict(body["data"]["rollup"])


def _throughput(url: str, case: tuple[str, dict[str, str]]) -> float:
    done = [0] * CONCURRENT_CLIENTS
    stop = time.perf_counter() + THROUGHPUT_SECONDS

    def client(i: int) -> None:
        with httpx.Client(timeout=60, headers=analyst_headers()) as c:
            while time.perf_counter() < stop:
                _post(c, url, case)
                done[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CONCURRENT_CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - started)


def measure(url: str) -> list[Row]:
    rows: list[Row] = []
    with httpx.Client(timeout=60, headers=analyst_headers()) as client:
        for name, case in CASES.items():
            answer = _post(client, url, case)  # warm-up, and what the answer holds
            lines = answer.get("rows") or answer.get("series") or []
            points = sum(len(line.get("values", [0])) for line in lines)
            note = (
                f"{len(lines)} areas, {points} figures, {answer['unmappedCount']} unmapped "
                f"values ({answer['unmappedTotal']:.0f} beds)"
            )
            times = []
            for _ in range(SEQUENTIAL[name]):
                start = time.perf_counter()
                _post(client, url, case)
                times.append((time.perf_counter() - start) * 1000)
            rows.append(
                row(
                    f"GraphQL rollup by LRF, {name}: p50",
                    _percentile(times, 0.5),
                    "ms",
                    note=f"{len(times)} sequential requests; {note}",
                )
            )
            rows.append(row(f"GraphQL rollup by LRF, {name}: p99", _percentile(times, 0.99), "ms"))
            rate = _throughput(url, case)
            rows.append(
                row(
                    f"GraphQL rollup by LRF, {name}: throughput",
                    rate,
                    "req/s",
                    note=f"{CONCURRENT_CLIENTS} concurrent clients, {THROUGHPUT_SECONDS:.0f} s",
                )
            )
    return rows


def prepare_env(ctx: Context) -> tuple[Path | None, list[Row]]:
    """The national environment (built once, reused), and its set-up row; None if it failed."""
    env = Path(os.environ.get("NHSKG_GRAPHQL_BENCH_ENV", str(ctx.scratch / "graphql-national")))
    started = time.perf_counter()
    national = None if (env / "store.done").exists() else national_store(ctx)
    if national is not None:
        # The national store (closed by then), copied: the COVID load adds to it.
        shutil.copytree(national, env / "store")
        (env / "store.done").write_text("copied from the national-load benchmark\n")
    # In a child process, so that this one stays small (its memory would be inherited by the
    # figures of the benchmarks after it) and a failure is a row, not a crashed bench.
    built = subprocess.run(
        [sys.executable, "-m", "bench.graphql_env", str(env), str(ctx.data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SERVER_START_S,
    )
    if built.returncode != 0:
        why = (built.stderr.strip().splitlines() or ["no output"])[-1]
        return None, [row("GraphQL rollup by LRF", None, "ms", note=f"set-up failed: {why}")]
    return env, [
        row(
            "GraphQL bench set-up (national data; reused if built)",
            time.perf_counter() - started,
            "s",
        )
    ]


@benchmark("graphql")
def graphql_bench(ctx: Context) -> list[Row]:
    env, rows = prepare_env(ctx)
    if env is None:
        return rows
    started = time.perf_counter()
    proc, url = start_server(["bench.graphql_bench", str(env)], SERVER_START_S)
    rows.append(
        row("GraphQL server start (app and reference indexes)", time.perf_counter() - started, "s")
    )
    try:
        rows += measure(url)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return rows


def serve(env: Path, port: int) -> None:
    """The server process: the app over the environment's store and numbers, under uvicorn."""
    import uvicorn

    from service.api.app import create_app
    from service.config import Settings
    from service.rdf.store import GraphStore
    from service.returns.numbers import NumbersStore

    app = create_app(
        Settings(store_path=None, numbers_path=None),
        store=GraphStore(env / "store", read_only=True),
        numbers=NumbersStore(env / "numbers.duckdb"),
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    serve(Path(sys.argv[1]), int(sys.argv[2]))
