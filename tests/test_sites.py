"""Sites as first-class answers on the national data (issue 16): which trust runs a site on a
date (the organisation carrying on the operator the site is listed under, with the events), the
site's own areas, and the same over the real HTTP server (REST lookup and GraphQL `Site`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from service.api.app import create_app
from service.config import Settings
from service.geography.assign import Placer
from service.geography.sites import operator_on, site_areas
from service.rdf.store import GraphStore
from tests.http_server import serve
from tests.support.auth import bearer

pytestmark = pytest.mark.national

POOLE = "RD304"  # Poole Hospital: RD3's until 2020-09-30, carried on by R0D from 2020-10-01


def test_who_runs_poole_hospital_before_and_after_the_merger(geo_placer: Placer) -> None:
    before = operator_on(geo_placer.ctx, POOLE, date(2020, 9, 30))
    after = operator_on(geo_placer.ctx, POOLE, date(2021, 1, 1))
    assert before.operators == ["RD3"] and after.operators == ["R0D"]
    assert after.listed_operator == "RD3" and after.evidence[0]["carried_on_by"] == ["R0D"]
    never = operator_on(geo_placer.ctx, POOLE, date(1980, 1, 1))
    assert not never.operators and "no operation" in str(never.reason)


def test_a_site_is_in_the_areas_of_its_own_location(geo_placer: Placer) -> None:
    shares, evidence = site_areas(geo_placer.ctx, POOLE, "NHS_REGION", date(2020, 4, 15))
    assert shares == {"E40000006": 1.0}  # South West, through its district's CCG
    assert evidence[0]["district"] == "E06000058"  # Bournemouth, Christchurch and Poole
    assert site_areas(geo_placer.ctx, POOLE, "NHS_REGION", date(2018, 10, 1)) == ({}, [])


@pytest.fixture(scope="module")
def url(national_store: GraphStore) -> Iterator[str]:
    # The first site lookup works out timelines in a worker (0.8 s alone); on a loaded test
    # machine that once passed the default 10 s request budget. The budget is not what these
    # tests check, so it is set well clear of machine speed.
    settings = Settings(store_path=None, numbers_path=None, request_budget_seconds=120)
    app = create_app(settings, store=national_store)
    with serve(app) as base:
        yield base


def test_rest_lookup_of_a_site_names_its_operator(url: str) -> None:
    response = httpx.get(
        headers=bearer(),
        url=f"{url}/lookup/{POOLE}/LRF",
        params={"asOf": "2021-01-01"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "site" and "R0D" in body["message"]
    assert [r["code"] for r in body["resolved"]] == ["R0D"]
    assert body["resolved"][0]["events"]  # the merger of RD3 into R0D
    assert body["primary_area"]["code"] == "E48000009"  # Dorset LRF
    hq = httpx.get(
        f"{url}/lookup/{POOLE}/LRF",
        headers=bearer(),
        params={"asOf": "2021-01-01", "method": "HEADQUARTERS"},
        timeout=120,
    ).json()
    assert hq["primary_area"]["code"] == "E48000009"
    assert any(e.get("organisation") == "R0D" for e in hq["evidence"])
    missing = httpx.get(
        headers=bearer(), url=f"{url}/lookup/RD3ZZ9/LRF", params={"asOf": "2021-01-01"}, timeout=120
    )
    assert missing.status_code == 404


def test_graphql_site_has_operator_over_time_postcode_and_location(url: str) -> None:
    query = """{ organisation(code: "RD304", asOf: "2021-01-01") { code name
        ... on Site { postcode latitude longitude operations { operator validFrom validTo }
                      operators { code events { type date } }
                      before: operators(asOf: "2020-04-15") { code } } } }"""
    response = httpx.post(
        f"{url}/graphql", headers=bearer("admin"), json={"query": query}, timeout=120
    )
    body = response.json()
    assert "errors" not in body, body
    site = body["data"]["organisation"]
    assert site["postcode"] and site["postcode"].startswith("BH15")
    assert 50.5 < site["latitude"] < 51 and -2.5 < site["longitude"] < -1.5
    assert {"RD3"} <= {o["operator"] for o in site["operations"]}
    assert [o["code"] for o in site["operators"]] == ["R0D"]
    assert site["operators"][0]["events"][0]["date"] == "2020-10-01"
    assert [o["code"] for o in site["before"]] == ["RD3"]
