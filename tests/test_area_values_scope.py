"""A grant limited to a region sees the values reported by area inside that region only, on every
read path (GraphQL roll-up and observations, /api/v1/data as JSON and CSV), as the access policy
decides (service/access/policy.py). One day of the real UKHSA cumulative admissions by NHS region
(../shared/data/areas/ukhsa): North West (Y62), South West (Y58) and England."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.api.app import create_app
from service.config import Settings
from service.rdf.store import GraphStore
from service.rdf.vocab import NHSKG
from service.reference.placement import read_reference
from service.returns.area_load import load_area_file
from service.returns.numbers import NumbersStore
from service.validation.shacl import ontology_graph
from tests.http_server import serve
from tests.support.auth import bearer

FILE = "admissions-by-age-nhsregion-release-2020-12-24.json"
NORTH_WEST, SOUTH_WEST = "E40000010", "E40000006"  # ODS Y62, Y58
NAMES = {"North West": NORTH_WEST, "South West": SOUTH_WEST, "England": "E92000001"}
DAY = "2020-12-21"
METRIC = "CumulativeCovidAdmissionsAged85Plus"


def _records(shared_data: Path) -> list[dict[str, Any]]:
    data = json.loads((shared_data / "areas" / "ukhsa" / FILE).read_text())["data"]
    return [r for r in data if r["date"] == DAY and r["areaName"] in NAMES]


@pytest.fixture(scope="module")
def expected(shared_data: Path) -> dict[str, float]:
    """Each area's admissions aged 85+, read from the file with the json module."""
    return {
        NAMES[r["areaName"]]: float(a["value"])
        for r in _records(shared_data)
        for a in r["cumAdmissionsByAge"]
        if a["age"] == "85+"
    }


@pytest.fixture(scope="module")
def url(
    sample_store: GraphStore, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app over the sample and the day's three records of the file."""
    records = _records(shared_data)
    assert len(records) == 3
    path = tmp_path_factory.mktemp("admissions") / FILE
    path.write_text(json.dumps({"data": records}))
    store = sample_store.copy_in_memory()
    numbers = NumbersStore(None)
    result = load_area_file(store, numbers, path, read_reference(store))
    assert result.status == "loaded", result.report.findings
    app = create_app(Settings(store_path=None, numbers_path=None), store=store, numbers=numbers)
    with serve(app) as address:
        yield address


ROLLUP = (
    f'{{ rollup(metric: "{METRIC}", by: "NHS_REGION", date: "{DAY}") '
    "{ rows { area { code } value protection } } }"
)


def _rollup(url: str, scope: str) -> dict[str, float]:
    body = httpx.post(
        f"{url}/graphql", json={"query": ROLLUP}, headers=bearer("analyst", [scope]), timeout=60
    ).json()
    assert not body.get("errors"), body
    rows = body["data"]["rollup"]["rows"]
    # A regional grant's figures are perturbed (the metric's disclosure policy): said per row.
    assert all(r["protection"] for r in rows) == (scope != "national"), rows
    return {r["area"]["code"]: r["value"] for r in rows if r["value"]}


def _near(found: dict[str, float], wanted: dict[str, float]) -> bool:
    """The same areas, each value within the largest noise of the disclosure policy (the
    ontology's nhskg:maximumPerturbation; one area's value per row here)."""
    bound = max(
        int(v.toPython()) for v in ontology_graph().objects(None, NHSKG.maximumPerturbation)
    )
    return found.keys() == wanted.keys() and all(
        abs(found[a] - v) <= bound for a, v in wanted.items()
    )


def test_a_national_grant_sees_both_regions(url: str, expected: dict[str, float]) -> None:
    assert _rollup(url, "national") == {
        NORTH_WEST: expected[NORTH_WEST],
        SOUTH_WEST: expected[SOUTH_WEST],
    }


@pytest.mark.parametrize(
    ("scope", "region", "icb"),
    [("region:Y62", NORTH_WEST, NORTH_WEST), ("region:Y58", SOUTH_WEST, SOUTH_WEST)],
)
def test_a_regional_grant_rolls_up_its_own_region_only(
    url: str, expected: dict[str, float], scope: str, region: str, icb: str
) -> None:
    assert _near(_rollup(url, scope), {region: expected[icb]})


def test_a_grant_of_a_region_with_no_area_values_sees_none(url: str) -> None:
    assert _rollup(url, "region:Y59") == {}  # South East: the file slice holds none of it


OBSERVATIONS = '{ observations(org: "%s", metric: "' + METRIC + '") { code value protection } }'


def _observations(url: str, code: str, scope: str) -> dict[str, Any]:
    return httpx.post(
        f"{url}/graphql",
        json={"query": OBSERVATIONS % code},
        headers=bearer("analyst", [scope]),
        timeout=60,
    ).json()


def test_observations_of_an_area_in_the_region(url: str, expected: dict[str, float]) -> None:
    """A regional grant is protected by the disclosure policy (nhskg:protectsScopedGrants): the
    area's value is read perturbed, as the region's roll-up sums it (the same record, the same
    noise), within the policy's largest noise of the value reported."""
    body = _observations(url, NORTH_WEST, "region:Y62")
    assert not body.get("errors"), body
    [found] = body["data"]["observations"]
    assert found["code"] == NORTH_WEST and found["protection"] == "PERTURBED"
    assert found["value"] == _rollup(url, "region:Y62")[NORTH_WEST]
    assert _near({NORTH_WEST: found["value"]}, {NORTH_WEST: expected[NORTH_WEST]})


def test_observations_of_an_area_of_another_region_are_refused(url: str) -> None:
    body = _observations(url, SOUTH_WEST, "region:Y62")
    assert body["data"] is None
    assert f"{SOUTH_WEST} is outside your scope (region:Y62)" in body["errors"][0]["message"]


def _data(url: str, scope: str, fmt: str) -> httpx.Response:
    return httpx.get(
        f"{url}/api/v1/data",
        params={
            "areaType": "NHS_REGION",
            "metric": METRIC,
            "date": DAY,
            "format": fmt,
        },
        headers=bearer("analyst", [scope]),
        timeout=60,
    )


@pytest.mark.parametrize("scope", ["national", "region:Y62"])
def test_the_data_api_answers_in_scope_as_json(
    url: str, expected: dict[str, float], scope: str
) -> None:
    response = _data(url, scope, "json")
    assert response.status_code == 200, response.text
    rows = {r["areaCode"]: r["value"] for r in response.json()["data"] if r["value"]}
    if scope == "national":
        assert rows == {NORTH_WEST: expected[NORTH_WEST], SOUTH_WEST: expected[SOUTH_WEST]}
    else:
        assert _near(rows, {NORTH_WEST: expected[NORTH_WEST]})


def test_the_data_api_answers_in_scope_as_csv(url: str, expected: dict[str, float]) -> None:
    response = _data(url, "region:Y58", "csv")
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    found = {r["areaCode"]: float(r["value"]) for r in rows if float(r["value"] or 0)}
    assert _near(found, {SOUTH_WEST: expected[SOUTH_WEST]})


def test_the_nation_is_outside_a_regional_grant(url: str) -> None:
    body = _observations(url, "E92000001", "region:Y62")
    assert body["data"] is None
    assert "E92000001 is outside your scope" in body["errors"][0]["message"]


def test_an_organisation_grant_sees_no_area_values(url: str) -> None:
    assert _rollup(url, "org:RJ1") == {}
