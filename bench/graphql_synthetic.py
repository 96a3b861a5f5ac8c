"""GraphQL over loopback HTTP on the synthetic national system (bench/rollup_data.py): the roll-up
by LRF restated to the organisations of the data's last day, for one date, 90 days and 365 days,
at 1 and 3 years of values, against a real uvicorn server in its own process.

The server holds the national reference (areas, metrics: the national-load benchmark's store) and
the synthetic values in its numbers store, placed and restated as the engine benchmark does
(bench/rollup_engine.py); the synthetic successions are not in the graph, so they are given to
the server as that adapter gives them to the engine. Every answer is checked against the plain
reference (bench/rollup_model.py) before it is timed. The server's resident memory is read once
it holds the values: the "server RSS after loading 3 years" of issue 7, measured on the server.

    python -m bench.graphql_synthetic STORE DATA_DIR NUMBERS_FILE YEARS PORT   (the server)
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from bench.auth import analyst_headers
from bench.core import Context, Row, benchmark, memory_mb, row, start_server
from bench.national import national_store
from bench.rollup_data import METRICS, Size, generate
from bench.rollup_model import reference_rollup, same_answer
from bench.rollups import AT, QUERIES, YEARS

QUERY = """query($metric: String!, $from: Date!, $to: Date!, $at: Date!) {
  rollup(metric: $metric, by: "LRF", from: $from, to: $to, method: SITES,
         restate: {toOrganisationsAt: $at}) { rows { area { code } value } unmappedTotal } }"""
METRIC = METRICS[0]
REQUESTS, SECONDS = 30, 4.0  # sequential requests per query, at most, and at most this long
SERVER_START_S = 600
RSS_TARGET_MB = "< 2048"


def ask(client: httpx.Client, url: str, first: date, last: date) -> dict[str, float]:
    variables = {
        "metric": METRIC.rsplit("#", 1)[-1],
        "from": first.isoformat(),
        "to": last.isoformat(),
        "at": AT.isoformat(),
    }
    body = client.post(f"{url}/graphql", json={"query": QUERY, "variables": variables}).json()
    if body.get("errors"):
        raise RuntimeError(str(body["errors"])[:300])
    totals: dict[str, float] = {}
    for r in body["data"]["rollup"]["rows"]:
        totals[r["area"]["code"]] = totals.get(r["area"]["code"], 0.0) + r["value"]
    return totals


def measure(url: str, system: Any, years: int) -> list[Row]:
    rows = []
    with httpx.Client(timeout=120, headers=analyst_headers()) as client:
        for name, (first, last) in QUERIES.items():
            check = same_answer(
                reference_rollup(system, METRIC, first, last, AT), ask(client, url, first, last)
            )
            times: list[float] = []
            stop = time.perf_counter() + SECONDS
            while len(times) < REQUESTS and time.perf_counter() < stop:
                start = time.perf_counter()
                ask(client, url, first, last)
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            note = f"{len(times)} sequential requests; " + (check or "same answer")
            label = f"GraphQL rollup by LRF restated, {name}, {years} y"
            rows.append(row(f"{label}: p50", times[len(times) // 2], "ms", note=note))
            rows.append(row(f"{label}: max", times[-1], "ms"))
    return rows


@benchmark("graphql-synthetic")
def graphql_synthetic(ctx: Context) -> list[Row]:
    store = national_store(ctx)
    if store is None:
        return [row("GraphQL rollup by LRF restated", None, "ms", note="no national store")]
    rows: list[Row] = []
    for years in (1, 3):
        numbers = ctx.scratch / f"graphql-synthetic-{years}.duckdb"
        numbers.unlink(missing_ok=True)
        args = ["bench.graphql_synthetic", str(store), str(ctx.data_dir), str(numbers), str(years)]
        started = time.perf_counter()
        try:
            proc, url = start_server(args, SERVER_START_S)
        except RuntimeError as exc:
            rows.append(
                row(f"GraphQL rollup by LRF restated, {years} y", None, "ms", note=str(exc))
            )
            continue
        try:
            ready = time.perf_counter() - started
            rss = memory_mb("VmRSS", proc.pid)
            system = generate(ctx.data_dir, Size(days=YEARS[years]))  # the expected answers
            note = f"{len(system.value):,} values; generated, loaded, indexes built"
            rows.append(row(f"GraphQL server ready, {years} y of values", ready, "s", note=note))
            rows.append(
                row(
                    f"GraphQL server RSS after loading {years} y of values",
                    rss,
                    "MB",
                    RSS_TARGET_MB if years == 3 else None,
                    "the server process: national reference, indexes and the values",
                )
            )
            rows += measure(url, system, years)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return rows


def serve(store: Path, data_dir: Path, numbers_file: Path, years: int, port: int) -> None:
    """The server process: synthetic values into its numbers store, then the app under uvicorn."""
    import uvicorn

    from bench.rollup_engine import engine_load
    from service.api.app import create_app
    from service.config import Settings
    from service.rdf.store import GraphStore

    system = generate(data_dir, Size(days=YEARS[years]))
    numbers, successions = engine_load(system, numbers_file)
    del system  # the server keeps what a deployment would: the numbers store, not the arrays
    app = create_app(
        Settings(store_path=None, numbers_path=None),
        store=GraphStore(store, read_only=True),
        numbers=numbers,
        successions=successions,
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    serve(
        Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    )
