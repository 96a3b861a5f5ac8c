"""Python code run in a child process of its own (what a process-wide setting is tested in:
thread priorities, the garbage collector), with the repository importable; its stdout."""

from __future__ import annotations

import os
import subprocess
import sys

from service.rdf.terms import ROOT


def run_child(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout
