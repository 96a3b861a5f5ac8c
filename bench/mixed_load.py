"""Hostile requests and mixed load over loopback HTTP, on the national data (the GraphQL bench's
environment: national reference, COVID publication, org_area), against a real uvicorn server in
its own process.

1. Hostile: a 1 MB code (REST path, GraphQL body), and 20 aliases of 10 kB codes, each refused
   (target < 50 ms), while /health is asked every few milliseconds (target p99 < 50 ms).
2. Mixed: 8 connections for MIXED_SECONDS (env NHSKG_MIXED_SECONDS, default 60), each cycling
   lookups (REST, which LRF a trust is in), organisations (GraphQL), roll-ups (GraphQL, COVID
   beds by LRF on one date, restated, with contributors) and pages (the front page and the
   three dashboards' default views, drawn on the server): throughput, p50, p99 and errors per
   kind (target: lookup p99 < 20 ms, no errors). Requests carry a national analyst's token.
   Each connection is a process of its own, as separate clients are. Two runs side by side, both
   warm (every geography type's lookups built) and both as `nhskg serve` tunes a server (the
   event loop's thread favoured, the heap frozen): the whole app in one process, and the app
   behind the lookup edge (service/edge/: lookups answered by a process of their own), which is
   how `nhskg serve` runs.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import socket
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx

from bench.auth import analyst_headers
from bench.core import Context, Row, benchmark, row, start_server
from bench.graphql_bench import CASES, SERVER_START_S, prepare_env

CONNECTIONS = 8
MIXED_SECONDS = float(os.environ.get("NHSKG_MIXED_SECONDS", "60"))
# Each connection's cycle: mostly lookups (what apps ask), some organisations, one roll-up,
# one dashboard page (its default view: several roll-ups drawn on the server).
CYCLE = ["lookup"] * 6 + ["organisation"] * 3 + ["rollup", "page"]
PAGES = ["/", "/dashboards/strategic", "/dashboards/operational", "/dashboards/public"]
KINDS = ("lookup", "organisation", "rollup", "page")
LOOKUP_DAY = date(2020, 4, 15)
ORGANISATION = "query($code: String!) { organisation(code: $code) { code name type } }"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.times[kind].append(ms)
            if error:
                self.errors[kind][error] = self.errors[kind].get(error, 0) + 1


def _request(client: httpx.Client, url: str, kind: str, code: str) -> str | None:
    """One request of a kind; the error kind, or None."""
    if kind == "lookup":
        r = client.get(f"{url}/lookup/{code}/LRF", params={"asOf": LOOKUP_DAY.isoformat()})
        return None if r.status_code == 200 else f"HTTP {r.status_code}"
    if kind == "page":  # a page drawn whole; a panel or view that failed says so in words
        r = client.get(f"{url}{PAGES[sum(map(ord, code)) % len(PAGES)]}")
        if r.status_code != 200:
            return f"HTTP {r.status_code}"
        return "error shown on the page" if "nhsuk-error-summary" in r.text else None
    if kind == "organisation":
        body = {"query": ORGANISATION, "variables": {"code": code}}
    else:
        query, variables = CASES["one date"]
        body = {"query": query, "variables": variables}
    r = client.post(f"{url}/graphql", json=body)
    if r.status_code != 200:
        return f"HTTP {r.status_code}"
    return "GraphQL error" if r.json().get("errors") else None


def connection(
    i: int, url: str, codes: list[str], stop: float, headers: dict[str, str], tally: Tally
) -> Tally:
    """One connection's cycle of requests until `stop` (time.time()), timed into `tally`."""
    kinds = itertools.cycle(CYCLE[i % len(CYCLE) :] + CYCLE[: i % len(CYCLE)])
    trusts = itertools.cycle(codes[i::CONNECTIONS] or codes)
    with httpx.Client(timeout=60, headers=headers) as client:
        while time.time() < stop:
            kind = next(kinds)
            started = time.perf_counter()
            try:
                error = _request(client, url, kind, next(trusts))
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            tally.add(kind, (time.perf_counter() - started) * 1000, error)
    return tally


def _connection_process(
    i: int, url: str, codes: list[str], stop: float, headers: dict[str, str]
) -> tuple[dict[str, list[float]], dict[str, dict[str, int]]]:
    tally = connection(i, url, codes, stop, headers, Tally())
    return dict(tally.times), {k: dict(v) for k, v in tally.errors.items()}


def mixed(url: str, codes: list[str], seconds: float, clients: str) -> tuple[Tally, float]:
    """8 connections for `seconds`, as a national analyst (the operational dashboard and the
    lookups need one). `clients`: PROCESSES, each connection in a process of its own (as
    separate clients are: the time measured is the server's and the network's), or THREADS,
    all in this process, where one thread reading a dashboard page or a roll-up's JSON holds
    this process's GIL while another's lookup answer waits to be read."""
    headers = analyst_headers()
    tally = Tally()
    started = time.perf_counter()
    if clients == THREADS:
        stop = time.time() + seconds
        threads = [
            threading.Thread(target=connection, args=(i, url, codes, stop, headers, tally))
            for i in range(CONNECTIONS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return tally, time.perf_counter() - started
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(CONNECTIONS, mp_context=spawn) as pool:
        list(pool.map(abs, range(CONNECTIONS)))  # every process started before the clock runs
        started = time.perf_counter()
        stop = time.time() + seconds
        jobs = [
            pool.submit(_connection_process, i, url, codes, stop, headers)
            for i in range(CONNECTIONS)
        ]
        for job in jobs:
            times, errors = job.result()
            for kind, values in times.items():
                tally.times[kind] += values
            for kind, counts in errors.items():
                for error, n in counts.items():
                    tally.errors[kind][error] = tally.errors[kind].get(error, 0) + n
    return tally, time.perf_counter() - started


@dataclass
class RawResponse:
    status_code: int


def _raw_get(url: str, path: str) -> RawResponse:
    """A GET over a plain socket (httpx refuses to send a URL over 64 kB)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        with suppress(OSError):  # refused before it was all sent: the answer is read below
            sock.sendall(request.encode())
        try:
            head = sock.recv(256).decode("latin-1")
        except OSError:
            head = ""
    return RawResponse(int(head.split()[1]) if head.startswith("HTTP/") else 0)


def hostile(url: str) -> list[Row]:
    """Each hostile request timed while a thread asks /health every 5 ms."""
    health: list[float] = []
    done = threading.Event()

    def poll() -> None:
        with httpx.Client(timeout=30) as client:
            while not done.is_set():
                started = time.perf_counter()
                client.get(f"{url}/health")
                health.append((time.perf_counter() - started) * 1000)
                time.sleep(0.005)

    megabyte = "R" * 1_000_000
    aliases = " ".join(f'a{i}: organisation(code: "{"R" * 10_000}") {{ name }}' for i in range(20))
    requests = {
        "1 MB code, REST lookup": lambda c: _raw_get(url, f"/lookup/{megabyte}/LRF"),
        "1 MB code, GraphQL organisation": lambda c: c.post(
            f"{url}/graphql", json={"query": f'{{ organisation(code: "{megabyte}") {{ name }} }}'}
        ),
        "20 aliases of 10 kB codes, GraphQL": lambda c: c.post(
            f"{url}/graphql", json={"query": "{" + aliases + "}"}
        ),
        "1 kB code, GraphQL organisation": lambda c: c.post(
            f"{url}/graphql", json={"query": f'{{ organisation(code: "{"R" * 1000}") {{ name }} }}'}
        ),
    }
    poller = threading.Thread(target=poll)
    poller.start()
    rows = []
    try:
        with httpx.Client(timeout=60) as client:
            for name, send in requests.items():
                times, statuses = [], set()
                for _ in range(20):
                    started = time.perf_counter()
                    response = send(client)
                    times.append((time.perf_counter() - started) * 1000)
                    statuses.add(response.status_code)
                rows.append(
                    row(
                        f"hostile: {name}, refused (max of 20)",
                        max(times),
                        "ms",
                        "< 50",
                        note=f"HTTP {sorted(statuses)}; p50 {_percentile(times, 0.5):.1f} ms",
                    )
                )
    finally:
        done.set()
        poller.join()
    rows.append(
        row(
            "hostile: /health while they run, p99",
            _percentile(health, 0.99),
            "ms",
            "< 50",
            note=f"{len(health)} requests, max {max(health, default=0):.1f} ms",
        )
    )
    return rows


def mixed_rows(tally: Tally, elapsed: float, arrangement: str) -> list[Row]:
    total = sum(len(t) for t in tally.times.values())
    errors = sum(sum(e.values()) for e in tally.errors.values())
    rows = [
        row(
            f"mixed load ({arrangement}), {CONNECTIONS} connections, {elapsed:.0f} s: throughput",
            total / elapsed,
            "req/s",
            note=f"{total} requests, {errors} errors",
        )
    ]
    for kind in KINDS:
        times = tally.times.get(kind, [])
        kind_errors = tally.errors.get(kind, {})
        note = f"{len(times)} requests, {len(times) / elapsed:.0f}/s, p50 "
        note += f"{_percentile(times, 0.5):.1f} ms, errors: {dict(kind_errors) or 'none'}"
        rows.append(
            row(
                f"mixed load ({arrangement}): {kind} p99",
                _percentile(times, 0.99),
                "ms",
                "< 20" if kind == "lookup" and arrangement == f"{EDGE}, {PROCESSES}" else None,
                note=note,
            )
        )
    rows.append(row(f"mixed load ({arrangement}): errors", errors, "requests", "< 1"))
    return rows


def trust_codes(env: Path) -> list[str]:
    import duckdb

    con = duckdb.connect(str(env / "numbers.duckdb"), read_only=True)
    # Trusts that reported on the day the lookups ask about (a store with later releases also
    # holds trusts that opened after it: their lookup is rightly a 404, "not yet open").
    rows = con.execute(
        "SELECT DISTINCT org_code FROM reported_value WHERE length(org_code) = 3 "
        "AND org_code LIKE 'R%' AND period_start = ? ORDER BY 1",
        [LOOKUP_DAY],
    ).fetchall()
    con.close()
    return [r[0] for r in rows]


# The two arrangements side by side: the whole app in one process (as before 2026-12-04), and
# behind the lookup edge, as `nhskg serve` runs.
ONE_PROCESS, EDGE = "one process", "lookup edge"
# The clients: a process per connection; THREADS, the threads of one process (the bench's client
# until 2026-12-04), is kept for comparison runs by hand.
PROCESSES, THREADS = "client processes", "client threads"
RUNS = ((ONE_PROCESS, PROCESSES), (EDGE, PROCESSES))
WARM_SECONDS = 300.0  # every type's lookups built, in each process that answers them


def wait_until_warm(url: str, code: str, edge: bool) -> float:
    """Seconds until every geography type's lookups are built in the main process (/health
    lists them) and, behind the edge, the edge answers a lookup of each type itself."""
    started = time.perf_counter()
    deadline = time.monotonic() + WARM_SECONDS
    headers = analyst_headers()
    with httpx.Client(timeout=30, headers=headers) as client:
        types: list[str] = []
        while time.monotonic() < deadline:
            health = client.get(f"{url}/health").json()
            types = health["lookupTypes"]
            if set(health["warmLookups"]) >= set(types):
                break
            time.sleep(1)
        pending = set(types)
        while pending and time.monotonic() < deadline:
            for area_type in sorted(pending):
                r = client.get(f"{url}/lookup/{code}/{area_type}")
                if r.headers.get("x-nhskg-answered-by") == "edge" or not edge:
                    pending.discard(area_type)
            time.sleep(0.5)
    return time.perf_counter() - started


@benchmark("mixed-load")
def mixed_load(ctx: Context) -> list[Row]:
    env, rows = prepare_env(ctx)
    if env is None:
        return rows
    codes = trust_codes(env)
    p99: dict[str, float] = {}
    for arrangement, clients in RUNS:
        started = time.perf_counter()
        args = ["bench.mixed_load", str(env), "edge" if arrangement == EDGE else "one"]
        proc, url = start_server(args, SERVER_START_S)
        rows.append(
            row(f"mixed-load server start ({arrangement})", time.perf_counter() - started, "s")
        )
        try:
            warm = wait_until_warm(url, codes[0], arrangement == EDGE)
            rows.append(row(f"mixed-load lookups warm ({arrangement})", warm, "s"))
            if arrangement == EDGE:
                rows += hostile(url)
            tally, elapsed = mixed(url, codes, MIXED_SECONDS, clients)
            rows += mixed_rows(tally, elapsed, f"{arrangement}, {clients}")
            p99[arrangement] = _percentile(tally.times.get("lookup", []), 0.99)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    if p99.get(EDGE) and p99.get(ONE_PROCESS):
        rows.append(
            row(
                "mixed load: lookup p99, one process / lookup edge",
                p99[ONE_PROCESS] / p99[EDGE],
                "x",
            )
        )
    return rows


def serve(env: Path, arrangement: str, port: int) -> None:
    """The server process, as `nhskg serve` serves (service/api/serving.py) the environment's
    stores (both read-only, as `nhskg serve` opens the numbers store): `edge`, behind the lookup
    edge; `one`, the whole app in this process."""
    from fastapi import FastAPI

    from service.api.app import create_app
    from service.api.serving import serve_app
    from service.config import Settings
    from service.rdf.store import GraphStore
    from service.reference import ReferenceData
    from service.returns.numbers import NumbersStore

    settings = Settings(
        store_path=env / "store", numbers_path=env / "numbers.duckdb", numbers_read_only=True
    )
    writable = GraphStore(env / "store")  # the snapshot saved for this code, as a load saves it
    ReferenceData.current(writable)
    writable.close()

    def make_app() -> FastAPI:
        return create_app(
            settings,
            store=GraphStore(env / "store", read_only=True),
            numbers=NumbersStore(env / "numbers.duckdb", read_only=True),
        )

    serve_app(make_app, settings, "127.0.0.1", port, edge=arrangement == "edge")


if __name__ == "__main__":
    serve(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
