"""Named pause points for crash tests: with NHSKG_PAUSE_AT=<name> in the environment, a process
reaching that point prints `paused at <name>` to stderr and sleeps until it is killed, so a test
can SIGKILL a real load at an exact moment (tests/test_load_crash.py). Without the variable
(every real run) a pause point does nothing."""

from __future__ import annotations

import os
import sys
import time

PAUSE_VARIABLE = "NHSKG_PAUSE_AT"


def pause_point(name: str) -> None:
    if os.environ.get(PAUSE_VARIABLE) != name:
        return
    sys.stderr.write(f"paused at {name}\n")
    sys.stderr.flush()
    while True:  # until the test's SIGKILL
        time.sleep(60)
