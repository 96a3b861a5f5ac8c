"""The batch life cycle and releases on the command line, over the sample store on disk: two real
weekly releases cut to sample providers (the later loaded first: the earlier is history), listed,
read as known at each release, compared (revisions), retired and restored; bad commands exit 2
and change nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.rdf.store import GraphStore
from tests.returns_support import WEEKLY_DIR, revising, weekly_name, write_weekly_cut
from tests.support.stores import backup_store

CODES = {"RA7", "RBD", "RK9"}
EARLIER, LATER = "2020-11-19", "2020-11-26"
DAY = "2020-10-05"


def cli(store: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["--store", str(store), *args])


@pytest.fixture(scope="module")
def store_dir(
    sample_store: GraphStore, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    root = tmp_path_factory.mktemp("batches-cli")
    backup_store(sample_store, root / "store")
    source = shared_data / WEEKLY_DIR
    later = write_weekly_cut(
        source / weekly_name(LATER), root, CODES, {"All beds COVID"}, revising("RA7", DAY, 3)
    )
    earlier = write_weekly_cut(source / weekly_name(EARLIER), root, CODES, {"All beds COVID"})
    assert cli(root / "store", "returns", "load", str(later)).exit_code == 0
    loaded = cli(root / "store", "returns", "load", str(earlier))
    assert loaded.exit_code == 0, loaded.output
    assert "accepted as history" in loaded.output and weekly_name(LATER) in loaded.output
    return root / "store"


def _value(store: Path, *extra: str) -> float:
    result = cli(
        store, "returns", "values", "RA7", "--metric", "BedsOccupiedCovid", "--from", DAY,
        "--to", DAY, "--json", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    return float(row["value"])


def test_batches_values_and_revisions(store_dir: Path) -> None:
    listed = cli(store_dir, "returns", "batches", "--json")
    assert listed.exit_code == 0, listed.output
    batches = {b["release_date"]: b for b in json.loads(listed.stdout)}
    assert batches[EARLIER]["answering"] == 0 and batches[EARLIER]["value_count"] > 0
    assert batches[LATER]["answering"] == batches[LATER]["value_count"]
    assert _value(store_dir) == _value(store_dir, "--as-known-at", EARLIER) + 3
    revised = cli(
        store_dir, "returns", "revisions", "BedsOccupiedCovid", "--from", "2020-08-01",
        "--to", "2020-12-31", "--between", EARLIER, "--between", LATER, "--json",
    )  # fmt: skip
    assert revised.exit_code == 0, revised.output
    [only] = json.loads(revised.stdout)
    assert (only["reporter"], only["period_start"], only["after"] - only["before"]) == (
        "RA7",
        DAY,
        3,
    )


def test_retire_restore_and_bad_commands(store_dir: Path) -> None:
    batches = json.loads(cli(store_dir, "returns", "batches", "--json").stdout)
    later = next(b["id"] for b in batches if b["release_date"] == LATER)
    before = _value(store_dir)
    for bad in (
        ("retire", "no-such-batch", "--note", "x"),
        ("restore", later, "--note", "x"),
        ("retire", later, "--note", " "),
    ):
        result = cli(store_dir, "returns", *bad)
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert json.loads(cli(store_dir, "returns", "batches", "--json").stdout) == batches
    done = cli(store_dir, "returns", "retire", later.rsplit("/", 1)[-1], "--note", "suspect")
    assert done.exit_code == 0 and "retired" in done.output, done.output
    assert _value(store_dir) == before - 3  # the earlier release answers again
    assert cli(store_dir, "returns", "restore", later, "--note", "fine").exit_code == 0
    assert _value(store_dir) == before
