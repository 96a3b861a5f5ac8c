"""Crash tests: run an `nhskg` command in a child process and SIGKILL it where the code says it
is (service/faults.py pause points), or let it run unpaused."""

from __future__ import annotations

import os
import signal
import subprocess

from service.faults import PAUSE_VARIABLE
from service.rdf.terms import ROOT


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment without a pause point, the repository importable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k != PAUSE_VARIABLE}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def kill_at(command: list[str], point: str) -> None:
    """Run `command` until it pauses at `point`, then SIGKILL it."""
    child = subprocess.Popen(
        command, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env=child_env(**{PAUSE_VARIABLE: point}),
    )  # fmt: skip
    assert child.stderr is not None
    seen = []
    for line in child.stderr:  # blocks until the pause (or the end: then the point was missed)
        seen.append(line)
        if line.strip() == f"paused at {point}":
            break
    child.kill()
    assert child.wait(timeout=60) == -signal.SIGKILL, "".join(seen)[-2000:]
