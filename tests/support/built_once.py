"""Session fixtures built once per `make test`, whichever pytest-xdist worker asks first.

The national stores take minutes to build and every worker runs national test files, so the
first worker to ask builds the directory (under an exclusive lock in the run's shared temporary
directory, `tmp_path_factory.getbasetemp().parent`), and every worker, that one included, works
on a copy of its own: a worker's tests may change their copy, never another worker's. A worker
that asks while the build runs waits for it. Run without xdist, the directory is built in place.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """This worker's own copy of the directory `build` writes (`build` gets a path that does
    not exist yet and must leave nothing open in it: stores closed, files flushed)."""
    own = tmp_path_factory.mktemp(name) / "built"
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        build(own)
        return own
    shared = tmp_path_factory.getbasetemp().parent / f"built-once-{name}"
    shared.mkdir(exist_ok=True)
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also on failure
        if not (shared / "done").exists():
            if (shared / "built").exists():  # a build that failed part way: start again
                shutil.rmtree(shared / "built")
            build(shared / "built")
            (shared / "done").touch()
    shutil.copytree(shared / "built", own)
    return own
