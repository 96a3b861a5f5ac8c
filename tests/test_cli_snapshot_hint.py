"""A read-only command that must build the reference snapshot says so on a terminal (a real
pseudo-terminal), with what makes later commands quick; piped output stays as it was."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from service.rdf.store import GraphStore
from service.rdf.terms import ROOT
from service.reference import saved
from tests.support.stores import copy_store

HINT = "`nhskg snapshot`"


def lookup(store: Path, *, terminal: bool) -> tuple[int, str, str]:
    """`nhskg lookup RD3 LRF` on `store`: exit code, stdout, stderr (read from a pseudo-terminal
    when `terminal`)."""
    command = [sys.executable, "-m", "service.cli", "--store", str(store), "lookup", "RD3", "LRF",
               "--date", "2021-01-01"]  # fmt: skip
    if not terminal:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        return done.returncode, done.stdout, done.stderr
    main, secondary = pty.openpty()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=secondary)
    os.close(secondary)
    said = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        said += chunk
    out, _ = proc.communicate(timeout=120)
    os.close(main)
    return proc.returncode, out.decode(), said.decode(errors="replace")


def test_a_command_building_the_snapshot_says_so_on_a_terminal_only(
    sample_store: GraphStore, tmp_path: Path
) -> None:
    store = copy_store(sample_store, tmp_path / "store")
    path = saved.snapshot_path(store)
    store.close()
    assert path is not None
    path.unlink(missing_ok=True)  # as after new code: no snapshot for this code and these graphs
    code, out, err = lookup(tmp_path / "store", terminal=True)
    assert code == 0 and "R0D" in out
    assert HINT in " ".join(err.split()), err
    code, piped_out, piped_err = lookup(tmp_path / "store", terminal=False)
    assert code == 0 and piped_out == out
    assert HINT not in piped_err  # scripts reading the output see what they saw before
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "--store", str(tmp_path / "store"), "snapshot"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    code, _, err = lookup(tmp_path / "store", terminal=True)
    assert code == 0 and HINT not in " ".join(err.split())  # saved now: nothing to say
