"""The event loop first: every other thread of the server runs at a lower scheduling priority.

The event loop answers lookups and /health itself, in well under a millisecond each. Roll-ups,
pages, GraphQL and DuckDB's own threads can keep both cores busy. At equal priority the loop's
thread waits its turn behind them for a core, tens of milliseconds under load. So `nhskg serve`
lowers the priority (raises the nice value) of every thread but the loop's. On an idle machine
this changes nothing: the heavy threads still get all the CPU nobody else wants. And it shortens
the time a thread running Python may keep the GIL while the loop waits for it (1 ms, not 5).

Linux only (threads are listed in /proc/self/task); elsewhere it does nothing. Raising a nice
value needs no privilege, so it works for any user.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from service.heap import freeze_long_lived

BACKGROUND_NICE = 10  # about a tenth of the CPU share of a thread at nice 0, under contention
# How long a thread running Python may keep the GIL while another waits for it (Python's
# default is 5 ms): the event loop waits for a worker's Python at most this long each time.
SWITCH_SECONDS = 0.001
SCAN_SECONDS = 0.5  # how often new threads are looked for
_TASKS = Path("/proc/self/task")
_lowered = threading.local()
_favoured: int | None = None  # the event loop's thread, once favour_this_thread has run


def supported() -> bool:
    return hasattr(os, "setpriority") and _TASKS.is_dir()


def _lower(native_id: int) -> bool:
    """Lower one thread's priority; False if it has gone (or cannot be changed)."""
    try:
        current = os.getpriority(os.PRIO_PROCESS, native_id)
        if current < BACKGROUND_NICE:
            os.setpriority(os.PRIO_PROCESS, native_id, BACKGROUND_NICE)
    except OSError:
        return False
    return True


def lower_this_thread() -> None:
    """Called by worker threads as they start a job (once per thread) when the loop's thread is
    favoured: they need not wait for the next scan."""
    if _favoured is not None and not getattr(_lowered, "done", False):
        _lowered.done = _lower(threading.get_native_id())


def lower_all_but(favoured: int) -> int:
    """Lower every thread of the process but `favoured` (a native thread id); how many there
    were."""
    count = 0
    for entry in _TASKS.iterdir():
        native_id = int(entry.name)
        if native_id != favoured and _lower(native_id):
            count += 1
    return count


def tune_for_serving() -> None:
    """What `nhskg serve` (and the mixed-load bench, as it) does once the app is built, in the
    thread that will run the event loop: the long-lived heap frozen out of the garbage
    collector's way (service/heap.py), then this thread favoured."""
    freeze_long_lived()
    favour_this_thread()


def favour_this_thread() -> threading.Thread | None:
    """Keep the calling thread (the one that will run the event loop) at normal priority and
    every other thread, now and as they are started, at BACKGROUND_NICE: a daemon thread
    looks for new ones every SCAN_SECONDS. None where not supported."""
    global _favoured
    if not supported():
        return None
    favoured = _favoured = threading.get_native_id()

    def scan() -> None:
        while True:
            lower_all_but(favoured)
            time.sleep(SCAN_SECONDS)

    sys.setswitchinterval(SWITCH_SECONDS)
    lower_all_but(favoured)
    scanner = threading.Thread(target=scan, name="nhskg-priority", daemon=True)
    scanner.start()
    return scanner
