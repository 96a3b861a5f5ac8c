"""Lookup latency: "which LRF is trust X in", in process and over HTTP on loopback.

Questions are drawn at random (fixed seed) from the real trust codes, old ones included (closed
trusts resolve to their successors), with asOf dates from 2016 to 2026 and each method in turn.

- In process: `Lookup.lookup` 10,000 times after `warm(["LRF"])` (every organisation's LRF
  timeline worked out once, from the same facts as the org_area table); p50/p99 per call.
- HTTP: real uvicorn serving the app in a child process (bench/lookup_server.py) on 127.0.0.1;
  a bounded client (a few processes, each with a few threads holding one keep-alive connection)
  sends GET /lookup/{code}/LRF?asOf=...&method=... for a bounded count and time; p50/p99 per
  request and requests/s over the run.

The national store is bench/national.py's `national_store` (the national-load benchmark's, else
$NHSKG_BENCH_STORE, else loaded first).
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import random
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.auth import analyst_headers
from bench.core import Context, Row, benchmark, row, start_server
from bench.national import national_store

IN_PROCESS_LOOKUPS = 10_000
IN_PROCESS_P99_TARGET_MS = "< 1"
HTTP_RPS_TARGET = "> 1000"
HTTP_REQUESTS = 20_000  # in all, over every client
HTTP_SECONDS = 30.0  # and never longer than this
CLIENT_PROCESSES = 2
CLIENT_THREADS = 4
METHODS = ("SITES", "CATCHMENT", "HEADQUARTERS", "ODS_STATED")
FIRST, LAST = date(2016, 1, 1), date(2026, 7, 1)


def questions(codes: list[str], count: int, seed: int = 20260701) -> list[tuple[str, date, str]]:
    rng = random.Random(seed)
    span = (LAST - FIRST).days
    return [
        (rng.choice(codes), FIRST + timedelta(days=rng.randrange(span + 1)), METHODS[i % 4])
        for i in range(count)
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def in_process(path: Path) -> tuple[list[Row], list[str]]:
    from service.geography.lookup import Lookup, LookupFailure
    from service.rdf.store import GraphStore

    store = GraphStore(path, read_only=True)
    started = time.perf_counter()
    lookup = Lookup.from_store(store)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    segments = lookup.warm(["LRF"])
    warm_s = time.perf_counter() - started
    codes = sorted(c for c, life in lookup.asof.lifetimes.items() if life.trust)
    old = sum(1 for c in codes if lookup.asof.lifetimes[c].closed is not None)
    asked = questions(codes, IN_PROCESS_LOOKUPS)
    times: list[float] = []
    refused = 0
    for code, on, method in asked:
        t0 = time.perf_counter_ns()
        try:
            lookup.lookup(code, "LRF", on, method)
        except LookupFailure:
            refused += 1  # asked before the trust opened: a clear refusal, timed all the same
        times.append((time.perf_counter_ns() - t0) / 1e6)
    del lookup, store  # read-only: nothing to flush; the server opens it next
    note = f"{len(codes)} trust codes ({old} closed), {refused} asked before opening"
    rows = [
        row("lookup index build (asof, placer)", build_s, "s"),
        row("warm LRF timelines (every organisation)", warm_s, "s", note=f"{segments} segments"),
        row(f"in-process lookup p50 ({len(times):,} calls)", percentile(times, 0.5), "ms"),
        row(
            f"in-process lookup p99 ({len(times):,} calls)",
            percentile(times, 0.99),
            "ms",
            IN_PROCESS_P99_TARGET_MS,
            note,
        ),
    ]
    return rows, codes


def _client_thread(
    port: int,
    urls: list[str],
    until: float,
    out: list[tuple[float, int]],
    headers: dict[str, str] | None = None,
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for url in urls:
        if time.monotonic() > until:
            break
        t0 = time.perf_counter_ns()
        conn.request("GET", url, headers=headers or {})
        response = conn.getresponse()
        response.read()
        out.append(((time.perf_counter_ns() - t0) / 1e6, response.status))
    conn.close()


def _client_process(
    port: int, urls: list[str], until: float, queue: Any, headers: dict[str, str] | None = None
) -> None:  # pragma: no cover - runs in a child process
    results: list[list[tuple[float, int]]] = [[] for _ in range(CLIENT_THREADS)]
    threads = [
        threading.Thread(
            target=_client_thread,
            args=(port, urls[i::CLIENT_THREADS], until, results[i], headers),
        )
        for i in range(CLIENT_THREADS)
    ]
    started = time.time()  # wall clock: comparable across the client processes
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put(([r for part in results for r in part], started, time.time()))


def over_http(path: Path, codes: list[str], timeout: float) -> list[Row]:
    started = time.perf_counter()
    server, url = start_server(["bench.lookup_server", str(path)], timeout)
    port = int(url.rsplit(":", 1)[1])
    ready_s = time.perf_counter() - started
    try:
        cpu_before = cpu_seconds(server.pid)
        rows = run_clients(port, codes, analyst_headers())
        cpu = cpu_seconds(server.pid) - cpu_before
    finally:
        server.terminate()
        server.wait(timeout=20)
    served = int(rows[-1].note.split()[0].replace(",", ""))
    per_request_ms = 1000 * cpu / served if served else None
    return [
        row("HTTP server ready (store, indexes, LRF timelines)", ready_s, "s"),
        *rows,
        row(
            "HTTP server CPU per request",
            per_request_ms,
            "ms",
            note="the server's own user+system time over the run (other load excluded)",
        ),
        row(
            "HTTP capacity of one server process on one idle core",
            1000 / per_request_ms if per_request_ms else None,
            "req/s",
            HTTP_RPS_TARGET,
            "1 / CPU per request: what the requests/s above would be without other load",
        ),
    ]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_clients(
    port: int,
    codes: list[str],
    headers: dict[str, str] | None = None,
    count: int = HTTP_REQUESTS,
) -> list[Row]:
    """The bounded client: CLIENT_PROCESSES processes of CLIENT_THREADS keep-alive
    connections, `count` requests in all (each with `headers`), stopped after HTTP_SECONDS."""
    urls = [
        f"/lookup/{code}/LRF?asOf={on.isoformat()}&method={method}"
        for code, on, method in questions(codes, count, seed=7)
    ]
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    until = time.monotonic() + HTTP_SECONDS
    clients = [
        context.Process(
            target=_client_process,
            args=(port, urls[i::CLIENT_PROCESSES], until, queue, headers),
        )
        for i in range(CLIENT_PROCESSES)
    ]
    for c in clients:
        c.start()
    parts = [queue.get(timeout=HTTP_SECONDS + 120) for _ in clients]
    for c in clients:
        c.join()
    results = [r for part, _, _ in parts for r in part]
    wall = max(end for _, _, end in parts) - min(start for _, start, _ in parts)
    times = [ms for ms, _ in results]
    statuses: dict[int, int] = {}
    for _, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    workers = CLIENT_PROCESSES * CLIENT_THREADS
    note = (
        f"{len(times):,} requests, {workers} connections, statuses {dict(sorted(statuses.items()))}"
    )
    return [
        row("HTTP lookup p50", percentile(times, 0.5), "ms"),
        row("HTTP lookup p99", percentile(times, 0.99), "ms"),
        row("HTTP lookups per second", len(times) / wall, "req/s", HTTP_RPS_TARGET, note),
    ]


@benchmark("lookups")
def lookups(ctx: Context) -> list[Row]:
    if not (ctx.data_dir / "ods").is_dir():
        return [row("in-process lookup p99", None, "ms", IN_PROCESS_P99_TARGET_MS, "no data")]
    path = national_store(ctx)
    if path is None:
        return [row("in-process lookup p99", None, "ms", IN_PROCESS_P99_TARGET_MS, "no store")]
    rows, codes = in_process(path)
    try:
        rows += over_http(path, codes, ctx.timeout)
    except RuntimeError as exc:
        rows.append(row("HTTP lookups per second", None, "req/s", HTTP_RPS_TARGET, str(exc)))
    return rows
