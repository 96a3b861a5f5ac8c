"""`nhskg areas load|totals` and `nhskg rollup` / `returns revisions` of a metric reported by area,
on a copy of the embedded sample (Kent LRF's districts): exit codes, figures and messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.rdf.store import GraphStore
from tests.support.areas import cases_file
from tests.support.stores import backup_store

DAY = "2020-08-01"


def cli(store: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["--store", str(store), *args])


def _rows(ashford: int) -> list[tuple[str, str, str, str]]:
    return [
        ("E06000035", "ltla", DAY, "3"),
        ("E07000105", "ltla", DAY, str(ashford)),
        ("E07000999", "ltla", DAY, "1"),  # no such district: kept, listed unmapped
        ("E92000001", "nation", DAY, "20"),
    ]


@pytest.fixture(scope="module")
def store_dir(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("areas-cli")
    backup_store(sample_store, root / "store")
    for release, ashford in (("2020-08-14", 4), ("2020-08-28", 6)):
        loaded = cli(
            root / "store", "areas", "load", str(cases_file(root, release, _rows(ashford)))
        )
        assert loaded.exit_code == 0, loaded.output
        assert "loaded" in loaded.output
    return root / "store"


def test_rollup_totals_and_revisions(store_dir: Path) -> None:
    rolled = cli(store_dir, "rollup", "LabConfirmedCases", "--by", "LRF", "--date", DAY, "--json")
    assert rolled.exit_code == 0, rolled.output
    found = json.loads(rolled.stdout)
    assert (found["method"], found["reported_type"]) == ("AREA_MEMBERSHIP", "LAD")
    assert {r["area"]: r["value"] for r in found["rows"]} == {"E48000017": 3 + 6}
    assert [u["organisation"] for u in found["unmapped"]] == ["E07000999"]
    totals = cli(
        store_dir, "areas", "totals", "LabConfirmedCases", "--parts", "LAD", "--total", "NATION",
        "--date", DAY, "--json",
    )  # fmt: skip
    assert totals.exit_code == 0, totals.output
    document = json.loads(totals.stdout)
    [total] = document["totals"]
    # The parts are the districts the graph holds; the unknown one is in no area (unmapped).
    assert (total["published"], total["parts"], total["difference"]) == (20, 3 + 6, 11)
    assert document["unmapped"] == {DAY: 1}
    revised = cli(
        store_dir, "returns", "revisions", "LabConfirmedCases", "--from", DAY, "--to", DAY,
        "--between", "2020-08-14", "--between", "2020-08-28",
    )  # fmt: skip
    assert revised.exit_code == 0, revised.output
    assert revised.output.startswith("1 value(s) revised, change +2.00")


def test_a_finer_type_than_reported_exits_2_with_the_types_to_ask(store_dir: Path) -> None:
    result = cli(
        store_dir, "rollup", "LabConfirmedCases", "--by", "LRF", "--date", DAY,
        "--from-type", "NATION",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "finer than the areas reported" in result.output and "NATION" in result.output


def test_a_suppression_marker_in_a_file_that_allows_none_exits_1_and_loads_nothing(
    store_dir: Path, tmp_path: Path
) -> None:
    bad = cases_file(tmp_path, "2020-09-01", [("E07000105", "ltla", DAY, "-99")])
    result = cli(store_dir, "areas", "load", str(bad))
    assert result.exit_code == 1
    assert "rejected" in result.output and "cannot be negative" in result.output
    batches = cli(store_dir, "returns", "batches", "--json")
    assert "2020-09-01" not in batches.stdout
