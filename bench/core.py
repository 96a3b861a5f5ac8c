"""The row type, the registry, and helpers shared by benchmark modules."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Row:
    """One measured figure. `target` is a bound like "< 60"; `met` is None when there is none."""

    name: str
    value: float | None  # None: not measured (timed out, data missing); `note` says why
    unit: str
    target: str | None = None
    met: bool | None = None
    note: str = ""


def row(
    name: str, value: float | None, unit: str, target: str | None = None, note: str = ""
) -> Row:
    """A row whose `met` is worked out from a target of the form "< N" or "> N"."""
    met = None
    if target is not None and value is not None:
        op, bound = target.split()
        met = value < float(bound) if op == "<" else value > float(bound)
    elif target is not None:
        met = False
    return Row(name, value, unit, target, met, note)


@dataclass
class Context:
    """What every benchmark gets: where the data is, a scratch directory, how often to repeat,
    and a place to share expensive set-up (e.g. a loaded store) between benchmarks."""

    data_dir: Path
    scratch: Path
    repeat: int = 3
    timeout: float = 300.0
    # Plain pySHACL runs are the 'before' figures and grow fast with the data; cap them so that
    # `make bench` stays under 10 minutes whatever the manifest holds.
    old_path_timeout: float = 30.0
    shared: dict[str, object] = field(default_factory=dict)


Benchmark = Callable[[Context], list[Row]]
REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[Benchmark], Benchmark]:
    def register(fn: Benchmark) -> Benchmark:
        if name in REGISTRY:
            raise ValueError(f"benchmark {name!r} is registered twice")
        REGISTRY[name] = fn
        return fn

    return register


@dataclass(frozen=True)
class ChildRun:
    """A measured child process: its JSON output, wall time and peak resident memory."""

    output: dict[str, object] | None
    wall_s: float
    peak_rss_mb: float
    timed_out: bool = False
    error: str = ""


def memory_mb(field: str = "VmHWM", pid: int | str = "self") -> float:
    """A process's resident memory from /proc/PID/status: VmHWM (peak) or VmRSS (now).

    The peak is read here, not from getrusage or wait4: Linux carries the parent's peak into a
    child's ru_maxrss across fork and exec, so a bench process that grew to 2 GB would report
    2 GB for every child it starts. VmHWM belongs to the child's own address space."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_child(args: list[str], timeout: float) -> ChildRun:
    """Run `python -m bench.child ARGS --out FILE` and measure that process alone: its wall time
    here, its peak RSS as it reports it (`peak_rss_mb` in its output, see memory_mb)."""
    with tempfile.TemporaryDirectory() as tmp:
        out, log = Path(tmp) / "out.json", Path(tmp) / "stderr.txt"
        start = time.perf_counter()
        with log.open("w") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bench.child", *args, "--out", str(out)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                return ChildRun(None, time.perf_counter() - start, 0.0, timed_out=True)
            time.sleep(0.02)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0 or not out.exists():
            last = (log.read_text().strip().splitlines() or ["no output"])[-1]
            # No figure of its own: wait4's, an upper bound (see memory_mb).
            error = f"exit {proc.returncode}: {last}"
            return ChildRun(None, wall, usage.ru_maxrss / 1024, error=error)
        output = json.loads(out.read_text())
        return ChildRun(output, wall, float(output["peak_rss_mb"]))


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def environment() -> dict[str, object]:
    from importlib.metadata import version

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "commit": commit,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "packages": {p: version(p) for p in ("pyshacl", "rdflib", "pyoxigraph", "duckdb")},
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(module_args: list[str], timeout: float) -> tuple[subprocess.Popen[bytes], str]:
    """`python -m MODULE ARGS... PORT` (the port appended), a real uvicorn server on 127.0.0.1;
    returns once GET /health answers 200, with its base URL. The caller terminates it."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", *module_args, str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"server exited: {err.strip().splitlines()[-1:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not start in {timeout:.0f} s")
