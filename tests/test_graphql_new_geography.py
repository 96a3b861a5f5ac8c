"""A new geography type from test fixtures alone: an ontology fragment declares police force areas,
mappings load their names and the district -> police force area lookup, and GraphQL rolls a real
A&E return up by them. No Python names the type."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.api.app import create_app
from service.config import Settings
from service.geography.assign import Placer
from service.geography.table import org_area_rows
from service.loader import load_file
from service.manifest import load_all
from service.rdf.store import GraphStore
from service.rdf.terms import ONTOLOGY_EXTRA_ENV, SAMPLE_DATA_DIR
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.rollup.engine import materialise_org_areas
from service.rollup.model import Method
from tests.http_server import serve
from tests.support.auth import bearer

FIXTURES = Path(__file__).parent / "fixtures" / "police"
RETURN = FIXTURES / "Monthly-AE-April-2025.csv"
LOADS = [("pfa-names.csv", "pfa-names.yaml"), ("lad-pfa.csv", "lad-pfa.yaml")]
HQ = ("trust-hq-lad.csv", "trust-hq-lad.yaml")


@pytest.fixture(scope="module")
def police(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    patch = pytest.MonkeyPatch()
    patch.setenv(ONTOLOGY_EXTRA_ENV, str(FIXTURES / "police-force-area.ttl"))
    try:
        store = GraphStore(tmp_path_factory.mktemp("police") / "store")
        assert all(r.ok for r in load_all(store, SAMPLE_DATA_DIR))
        for data, mapping in [*LOADS, HQ]:
            result = load_file(store, FIXTURES / data, str(FIXTURES / mapping))
            assert result.status == "loaded", result.report.text()
        numbers = NumbersStore(None)
        loaded = load_return_file(store, numbers, RETURN)
        assert loaded.status == "loaded", loaded.report.text()
        # Materialise organisation -> area rows for the new type, as for any other.
        reporting = [
            r[0]
            for r in numbers.con.execute("SELECT DISTINCT org_code FROM reported_value").fetchall()
        ]
        by_method: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for r in org_area_rows(
            Placer.from_store(store), area_types=["PFA"], organisations=reporting
        ):
            by_method[r.method].append(
                (r.area_type, r.org_code, r.area_code, r.share, r.valid_from, r.valid_to)
            )
        assert by_method[Method.HEADQUARTERS.value]
        for method, rows in by_method.items():
            materialise_org_areas(numbers, rows, Method(method))
        app = create_app(Settings(store_path=None, numbers_path=None), store=store, numbers=numbers)
        with serve(app) as url:
            yield {"url": url, "store": store}
    finally:
        patch.undo()


def graphql(url: str, query: str) -> dict[str, Any]:
    body = httpx.post(f"{url}/graphql", json={"query": query}, headers=bearer(), timeout=60).json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def expected_by_force() -> dict[str, float]:
    """From the fixture files directly: each trust's Type 1 attendances into the police force
    area of its headquarters district."""
    with (FIXTURES / "lad-pfa.csv").open() as f:
        force_of = {r["LAD19CD"]: r["PFA23CD"] for r in csv.DictReader(f)}
    with (FIXTURES / HQ[0]).open() as f:
        lad_of = {r["code"]: r["lad"] for r in csv.DictReader(f)}
    totals: dict[str, float] = defaultdict(float)
    with RETURN.open() as f:
        for r in csv.DictReader(f):
            totals[force_of[lad_of[r["Org Code"]]]] += float(r["A&E attendances Type 1"])
    return dict(totals)


def test_the_new_type_is_offered_with_its_areas(police: dict[str, Any]) -> None:
    data = graphql(
        police["url"],
        '{ geographyTypes { key label } geographies(type: "PFA") { code name types } }',
    )
    assert {"key": "PFA", "label": "Police force area"} in data["geographyTypes"]
    assert len(data["geographies"]) == 6
    assert all(g["types"] == ["PFA"] for g in data["geographies"])


def test_rollup_by_the_new_type_matches_the_fixture_files(police: dict[str, Any]) -> None:
    data = graphql(
        police["url"],
        """{ rollup(metric: "AEAttendancesType1", by: "PFA", date: "2025-04-01",
                     method: HEADQUARTERS) {
               by { key iri } kind
               rows { area { code name types } periodStart periodEnd value
                      contributors { code share value } coverage { reported expected missing } }
               unmapped { code value } } }""",
    )
    result = data["rollup"]
    assert result["by"]["key"] == "PFA" and result["by"]["iri"].endswith("#PoliceForceArea")
    ours = {r["area"]["code"]: r["value"] for r in result["rows"]}
    assert ours == expected_by_force()
    assert result["unmapped"] == []
    for r in result["rows"]:
        assert r["area"]["types"] == ["PFA"]
        assert (r["periodStart"], r["periodEnd"]) == ("2025-04-01", "2025-04-30")
        assert r["coverage"]["reported"] == r["coverage"]["expected"] == len(r["contributors"])


def test_lookup_answers_in_the_new_type(police: dict[str, Any]) -> None:
    data = graphql(
        police["url"],
        '{ lookup(code: "REM", geographyType: "PFA", asOf: "2025-04-01", method: "HEADQUARTERS")'
        " { status primaryArea { code name share } } }",
    )
    with (FIXTURES / "lad-pfa.csv").open() as f:
        force_of = {r["LAD19CD"]: (r["PFA23CD"], r["PFA23NM"]) for r in csv.DictReader(f)}
    with (FIXTURES / HQ[0]).open() as f:
        lad_of = {r["code"]: r["lad"] for r in csv.DictReader(f)}
    code, name = force_of[lad_of["REM"]]
    assert data["lookup"]["primaryArea"] == {"code": code, "name": name, "share": 1.0}
