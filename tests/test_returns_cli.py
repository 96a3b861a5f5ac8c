"""The embedded sample end to end through the CLI: `nhskg load-all` loads the reference files and
the sample return, builds the org_area table, and roll-ups by NHS region, ICB and LRF answer;
`nhskg returns load|check` report and exit like `nhskg load`; corrupt files change nothing."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.rdf.vocab import NHSKG
from service.returns.numbers import NumbersStore
from service.rollup.engine import rollup
from service.rollup.model import Method
from tests.returns_support import snapshot

SAMPLE = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"
DAY = date(2020, 4, 8)


@pytest.fixture(scope="module")
def sample_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A fresh store loaded by `nhskg load-all` with no arguments, as `make run` does."""
    root = tmp_path_factory.mktemp("sample-returns")
    result = CliRunner().invoke(app, ["--store", str(root / "store"), "load-all"])
    assert result.exit_code == 0, result.output
    return {"store": root / "store", "numbers": root / "numbers.duckdb"}


def cli(env: dict[str, Path], *args: str) -> Any:
    return CliRunner().invoke(
        app, ["--store", str(env["store"]), "--numbers", str(env["numbers"]), *args]
    )


def _sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(newline="") as f:
        return list(csv.DictReader(f))


def _ods_regions() -> dict[str, str]:
    """Trust -> NHS England region (ONS code) as the sample's March 2020 ODS file states it."""
    with (SAMPLE_DATA_DIR / "ons/246_NHSER19_EN_NC.csv").open(newline="") as f:
        gss = {r["NHSER19CDH"]: r["NHSER19CD"] for r in csv.DictReader(f)}
    with (SAMPLE_DATA_DIR / "ods/etr-2020-03.csv").open(newline="", encoding="latin-1") as f:
        return {row[0]: gss[row[2]] for row in csv.reader(f)}


def test_load_all_on_the_sample_gives_a_roll_up_by_nhs_region(sample_env: dict[str, Path]) -> None:
    GraphStore(sample_env["store"], read_only=True)  # the graph store exists and opens
    numbers = NumbersStore(sample_env["numbers"])
    try:
        result = rollup(numbers, str(NHSKG.BedsOccupied), "NHS_REGION", DAY, Method.ODS_STATED)
    finally:
        numbers.close()
    assert result.rows
    regions = _ods_regions()
    expected: dict[str, float] = defaultdict(float)
    unmapped = 0.0
    for r in _sample_rows():
        if r["sheet"] == "Total Beds Occ" and r["date"] == DAY.isoformat():
            if r["org_code"] in regions:
                expected[regions[r["org_code"]]] += float(r["value"])
            else:
                unmapped += float(r["value"])
    assert {r.area: r.value for r in result.rows} == expected
    assert sum(u.value for u in result.unmapped) == unmapped


@pytest.mark.parametrize(("area_type", "method"), [("ICB", "ODS_STATED"), ("LRF", "CATCHMENT")])
def test_rollup_command_prints_a_table_of_areas(
    sample_env: dict[str, Path], area_type: str, method: str
) -> None:
    out = cli(
        sample_env,
        "rollup",
        "CovidAdmissions",
        "--by",
        area_type,
        "--date",
        "2020-04-06",
        "--to",
        "2020-04-12",
        "--method",
        method,
        "--restate-to",
        "2026-07-01",
        "--json",
    )
    assert out.exit_code == 0, out.output
    document = json.loads(out.stdout)
    prefix = {"ICB": "E54", "LRF": "E48"}[area_type]
    assert document["rows"] and all(r["area"].startswith(prefix) for r in document["rows"])
    table = cli(sample_env, "rollup", "CovidAdmissions", "--by", area_type, "--date", "2020-04-06")
    assert table.exit_code == 0
    assert "unmapped" in table.stdout


def test_rollup_command_rejects_an_unknown_metric_with_exit_2(sample_env: dict[str, Path]) -> None:
    out = cli(sample_env, "rollup", "BedsOcupied", "--by", "LRF", "--date", "2020-04-06")
    assert out.exit_code == 2
    assert "BedsOcupied" in out.output


def test_rollup_by_a_type_never_placed_says_so_with_exit_2(sample_env: dict[str, Path]) -> None:
    """Organisations are placed in the ontology's roll-up target types only: a roll-up by UTLA
    (or by a method with no placements in the type) is an error naming what is materialised,
    as in GraphQL, never a table of every value unmapped; lower-case types are accepted."""
    for args in (["--by", "UTLA"], ["--by", "LRF", "--method", "SITES"]):
        out = cli(sample_env, "rollup", "CovidAdmissions", *args, "--date", "2020-04-06")
        assert out.exit_code == 2, out.output
        assert "are materialised (materialised: " in out.output and "by LRF" in out.output
    lower = cli(sample_env, "rollup", "CovidAdmissions", "--by", "lrf", "--date", "2020-04-06")
    assert lower.exit_code == 0 and "E48" in lower.stdout, lower.output


def test_returns_check_writes_nothing(sample_env: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "covid-hospital-activity-2020-08-13-long-sw-nw-copy.csv"
    rows = SAMPLE.read_text().splitlines(keepends=True)
    copy.write_text("".join(rows[:1] + [r.replace(",2020-04-", ",2020-05-") for r in rows[1:]]))
    before = _snapshot(sample_env)
    out = cli(sample_env, "returns", "check", str(copy), "--json")
    assert out.exit_code == 0, out.output
    document = json.loads(out.stdout)
    assert document["status"] == "valid" and document["values"] == len(rows) - 1
    assert _snapshot(sample_env) == before


def _corrupt(rows: list[str]) -> dict[str, tuple[list[str], str]]:
    """Broken copies of the sample: (lines, words the report must contain)."""
    header, body = rows[0], rows[1:]
    cells = body[10].rstrip("\n").split(",")
    text = ",".join([*cells[:-1], "n/a"]) + "\n"
    return {
        "text-value": ([header, *body[:10], text, *body[11:]], "not a number"),
        "duplicated-row": ([header, *body[:21], body[20], *body[21:]], "More than one value"),
        "truncated": ([header, *body[:30], body[30][: len(body[30]) // 2]], "truncated file"),
        "unknown-sheet": (
            [header, body[0].replace("Total Beds Occ,", "Total Beds Occupied,", 1), *body[1:]],
            "'Total Beds Occupied' is not one of",
        ),
    }


@pytest.mark.parametrize("case", ["text-value", "duplicated-row", "truncated", "unknown-sheet"])
def test_returns_load_rejects_a_corrupt_file_and_changes_nothing(
    sample_env: dict[str, Path], tmp_path: Path, case: str
) -> None:
    lines, words = _corrupt(SAMPLE.read_text().splitlines(keepends=True))[case]
    broken = tmp_path / SAMPLE.name  # same publication as the loaded sample
    broken.write_text("".join(lines))
    before = _snapshot(sample_env)
    out = cli(sample_env, "returns", "load", str(broken))
    assert out.exit_code == 1, out.output
    assert "rejected" in out.output and words in out.output
    assert f"{SAMPLE.name}, row " in out.output  # the report names the place
    assert _snapshot(sample_env) == before


def test_returns_load_reports_usage_errors_with_exit_2(
    sample_env: dict[str, Path], tmp_path: Path
) -> None:
    assert cli(sample_env, "returns", "load", str(tmp_path / "absent.csv")).exit_code == 2
    out = cli(sample_env, "returns", "load", str(SAMPLE), "--mapping", "no-such-mapping")
    assert out.exit_code == 2 and "no return mapping 'no-such-mapping'" in out.output


def test_reloading_a_changed_sample_replaces_its_batch_and_keeps_provenance(
    sample_env: dict[str, Path], tmp_path: Path
) -> None:
    rows = SAMPLE.read_text().splitlines(keepends=True)
    cells = rows[1].rstrip("\n").split(",")
    changed = ",".join([*cells[:-1], str(float(cells[-1]) + 1)]) + "\n"
    newer = tmp_path / SAMPLE.name
    newer.write_text("".join([rows[0], changed, *rows[2:]]))
    first = json.loads(cli(sample_env, "returns", "load", str(SAMPLE), "--json").stdout)
    assert first["status"] == "unchanged"  # load-all loaded it already
    out = cli(sample_env, "returns", "load", str(newer), "--json")
    assert out.exit_code == 0, out.output
    second = json.loads(out.stdout)
    assert second["status"] == "loaded" and second["batch"] != first["batch"]
    store = GraphStore(sample_env["store"], read_only=True)
    numbers = NumbersStore(sample_env["numbers"])
    try:
        statuses = {b: s for b, _, s in numbers.batches()}
        assert statuses[first["batch"]] == "superseded" and statuses[second["batch"]] == "current"
        assert numbers.value_count(first["batch"]) == 0
        assert numbers.value_count(second["batch"]) == len(rows) - 1
    finally:
        numbers.close()
    revisions = store.select("SELECT ?new ?old WHERE { ?new prov:wasRevisionOf ?old }")
    assert {"new": second["batch"], "old": first["batch"]} in revisions
    assert cli(sample_env, "returns", "load", str(SAMPLE)).exit_code == 0  # back to the sample


def _snapshot(env: dict[str, Path]) -> tuple[Any, ...]:
    store = GraphStore(env["store"], read_only=True)
    numbers = NumbersStore(env["numbers"])
    try:
        return snapshot(store, numbers)
    finally:
        numbers.close()
