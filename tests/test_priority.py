"""The event loop first (service/api/priority.py): in a real process, the thread that will run
the event loop keeps its priority; every other thread, those running before and those started
after (worker pools, DuckDB's own), runs at BACKGROUND_NICE; and a thread running Python hands
the GIL over after SWITCH_SECONDS."""

from __future__ import annotations

import os
import textwrap

import pytest

from service.api.priority import BACKGROUND_NICE, SWITCH_SECONDS, supported
from tests.support.child import run_child

pytestmark = pytest.mark.skipif(not supported(), reason="thread priorities: Linux only")

CHILD = textwrap.dedent(
    """
    import os, sys, threading, time
    import anyio, duckdb
    from service.api.priority import favour_this_thread, SCAN_SECONDS
    from service.api.workers import WorkerPool

    def nice(tid):
        return os.getpriority(os.PRIO_PROCESS, tid)

    before = threading.Event(); stop = threading.Event(); ids = {}
    def idle(name):
        ids[name] = threading.get_native_id(); before.set(); stop.wait()
    threading.Thread(target=idle, args=("before",)).start(); before.wait()
    con = duckdb.connect()  # DuckDB starts its own threads (kept open)
    con.execute("SELECT 1")
    favour_this_thread()
    main = threading.get_native_id()
    later = threading.Thread(target=idle, args=("later",)); later.start()
    time.sleep(SCAN_SECONDS * 3)

    async def in_pool():
        pool = WorkerPool("test", 1, 10)
        return await pool.run("test", lambda: nice(threading.get_native_id()))

    pooled = anyio.run(in_pool)
    others = [int(t) for t in os.listdir("/proc/self/task") if int(t) != main]
    print(nice(main), nice(ids["before"]), nice(ids["later"]), pooled,
          len(others), min(nice(t) for t in others), sys.getswitchinterval())
    stop.set()
    """
)


def test_every_thread_but_the_event_loops_runs_at_a_lower_priority() -> None:
    stdout = run_child(CHILD)
    *niceness, switch = stdout.split()
    main, before, later, pooled, others, lowest = map(int, niceness)
    assert float(switch) == pytest.approx(SWITCH_SECONDS)  # the GIL handed over sooner
    inherited = os.getpriority(os.PRIO_PROCESS, 0)  # this process's (a niced run's, higher)
    lowered = max(BACKGROUND_NICE, inherited)
    assert main == inherited  # unchanged
    assert (before, later, pooled) == (lowered,) * 3
    assert others >= 4, "DuckDB's threads and the scanner should be among them"
    assert lowest == lowered  # every one of them
