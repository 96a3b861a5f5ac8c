"""From a clean store to a first answer: what `make run DATA_DIR=../shared/data` does after its
virtualenv is built (`nhskg load-all` into a fresh store, then `nhskg serve`), and a server start
on the national store with the reference snapshot saved with the store and without it.

- `nhskg --store S load-all --data-dir DATA` in a child process: wall and CPU seconds.
- `nhskg --store S serve --port P` in a child process, timed from its start until a GraphQL
  query (a lookup, an organisation and a roll-up) answers: wall seconds and the server's own
  CPU seconds at that moment (on a shared machine the wall time also counts other processes).
- The same start after deleting the saved snapshot (the server builds it again, and saves it).

The first two add up to `make run` (target < 3 min); a start with the snapshot, < 15 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.auth import analyst_headers
from bench.core import ROOT, Context, Row, benchmark, free_port, row

FIRST_ANSWER_TARGET_S = "< 15"
MAKE_RUN_TARGET_S = "< 180"
QUERY = """{
  lookup(code: "RJ1", geographyType: "LRF", asOf: "2021-01-01") { areas { code share } }
  organisation(code: "RD3", asOf: "2021-01-01") { name }
  rollup(metric: "BedsOccupiedCovid", by: "LRF", date: "2020-04-15", method: CATCHMENT) {
    rows { area { code } value } }
}"""
SNAPSHOT_FILE = "nhskg-reference.snapshot"  # service.reference.saved.FILE_NAME


def nhskg(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "service.cli", "--store", str(store), *args]


def load_all(ctx: Context, store: Path, log: Path) -> tuple[float, float, str]:
    """(wall s, CPU s, error) of `nhskg load-all` into a fresh store."""
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            nhskg(store, "load-all", "--data-dir", str(ctx.data_dir)),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    error = "" if code == 0 else f"exit {code}: {log.read_text().strip().splitlines()[-1:]}"
    return wall, usage.ru_utime + usage.ru_stime, error


def first_answer(store: Path, timeout: float, log: Path) -> tuple[float | None, float, str]:
    """(wall s from the server's start to its first answer, its CPU s then, error)."""
    port, headers = free_port(), analyst_headers()
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            nhskg(store, "serve", "--port", str(port)), cwd=ROOT, stdout=out, stderr=out
        )
    try:
        while time.perf_counter() - start < timeout:
            if proc.poll() is not None:
                return None, 0.0, f"server exited: {log.read_text().strip().splitlines()[-1:]}"
            answer = _ask(port, headers)
            if answer is not None:
                wall = time.perf_counter() - start
                if answer.get("errors") or not answer.get("data", {}).get("rollup"):
                    return None, _cpu_seconds(proc.pid), f"answered with errors: {answer}"
                return wall, _cpu_seconds(proc.pid), ""
            time.sleep(0.1)
        return None, _cpu_seconds(proc.pid), f"no answer in {timeout:.0f} s"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _ask(port: int, headers: dict[str, str]) -> dict[str, object] | None:
    body = json.dumps({"query": QUERY}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=body,
        headers={"content-type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None  # not listening yet


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@benchmark("startup")
def startup(ctx: Context) -> list[Row]:
    root = ctx.scratch / "startup"
    root.mkdir(parents=True, exist_ok=True)
    store = root / "store"
    load_s, load_cpu, error = load_all(ctx, store, root / "load-all.log")
    if error:
        return [row("make run: load-all on a fresh store", None, "s", note=error)]
    saved_s, saved_cpu, saved_error = first_answer(store, ctx.timeout, root / "serve-saved.log")
    (store / SNAPSHOT_FILE).unlink(missing_ok=True)
    built_s, built_cpu, built_error = first_answer(store, ctx.timeout, root / "serve-built.log")
    total = load_s + saved_s if saved_s is not None else None
    return [
        row(
            "make run DATA_DIR=national: load-all + start + first answer",
            total,
            "s",
            MAKE_RUN_TARGET_S,
            note="after `make setup`; load-all CPU "
            f"{load_cpu:.0f} s + server CPU {saved_cpu:.1f} s",
        ),
        row("  load-all on a fresh store (reference, returns, org_area, snapshot)", load_s, "s"),
        row(
            "server start to first answer, snapshot saved with the store",
            saved_s,
            "s",
            FIRST_ANSWER_TARGET_S,
            note=saved_error or f"server CPU {saved_cpu:.1f} s",
        ),
        row(
            "server start to first answer, no saved snapshot (builds and saves it)",
            built_s,
            "s",
            note=built_error or f"server CPU {built_cpu:.1f} s",
        ),
    ]
