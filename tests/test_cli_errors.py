"""One error style on the command line, through the real `nhskg` entry point in a subprocess:
exit 2 and one line saying what and what to do for a missing file, an unknown mapping, a bad
change-set date, a binary file, a store in use and a bad --vintage; never a traceback, except
with --debug."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.rdf.store import GraphStore
from service.rdf.terms import ROOT, SAMPLE_DATA_DIR

ETR = SAMPLE_DATA_DIR / "ods/etr-2026-07.csv"
BAD_DATE_CHANGE_SET = """id: bad-date
author: a steward
reason: a test
changes:
  - kind: membership
    area: E06000058
    parent: E48000009
    from: 2021-02-30
"""


def nhskg(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "--store", str(store), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )  # fmt: skip


def _binary(tmp_path: Path) -> Path:
    path = tmp_path / "etr-2026-07.csv"
    path.write_bytes(bytes(range(256)) * 8)
    return path


def _change_set(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_DATE_CHANGE_SET)
    return path


CASES = {
    "missing file": (
        lambda t: ["load", str(t / "nope.csv"), "--mapping", "ods-etr"],
        "no such file",
    ),
    "unknown mapping": (lambda t: ["load", str(ETR), "--mapping", "nope"], "no mapping 'nope'"),
    "bad change-set date": (lambda t: ["change", "check", str(_change_set(t))], "not a real day"),
    "binary file": (
        lambda t: ["load", str(_binary(t)), "--mapping", "ods-etr", "--vintage", "2026-07-01"],
        "binary file",
    ),
    "bad vintage": (
        lambda t: ["load", str(ETR), "--mapping", "ods-etr", "--vintage", "2026-13-45"],
        "is not a date; give YYYY-MM-DD",
    ),
    "missing return": (lambda t: ["returns", "load", str(t / "nope.xlsx")], "no such file"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_user_errors_exit_2_with_one_line(tmp_path: Path, case: str) -> None:
    args, says = CASES[case]
    done = nhskg(tmp_path / "store", *args(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], done.stderr


def test_a_store_in_use_is_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    held = GraphStore(tmp_path / "store")  # this process holds the store's lock
    done = nhskg(tmp_path / "store", "load", str(ETR), "--mapping", "ods-etr")
    assert done.returncode == 2 and "in use by another process" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    held.close()
    binary = ["load", str(_binary(tmp_path)), "--mapping", "ods-etr", "--vintage", "2026-07-01"]
    debug = nhskg(tmp_path / "store", "--debug", *binary)
    assert debug.returncode != 0 and "Traceback" in debug.stderr + debug.stdout


def test_a_rejected_load_exits_1_and_a_loaded_one_0(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert nhskg(store, "load", str(ETR), "--mapping", "ods-etr").returncode == 0
    empty = tmp_path / ETR.name
    empty.write_text("")
    refused = nhskg(store, "load", str(empty), "--mapping", "ods-etr")
    assert refused.returncode == 1 and "no data rows" in refused.stderr
