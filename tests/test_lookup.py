"""The apps' lookup, on the real national data: old codes, splits, methods, errors (REST)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from service.api.app import create_app
from service.config import Settings
from service.geography.lookup import Lookup, LookupFailure
from service.rdf.store import GraphStore
from service.reference import ReferenceData
from service.returns.codes import unweighted_split_reason
from service.rollup.model import DEFAULT_METHOD
from tests.http_server import serve
from tests.support.auth import access, bearer

pytestmark = pytest.mark.national


@pytest.fixture(scope="module")
def lookup(national_lookup: Lookup) -> Lookup:
    return national_lookup


def test_an_old_code_resolves_to_its_successor_with_the_event(lookup: Lookup) -> None:
    answer = lookup.lookup("RD3", "LRF", date(2021, 1, 1), DEFAULT_METHOD.value)
    assert answer.status == "closed"
    [resolved] = answer.resolved
    assert resolved["code"] == "R0D"
    [event] = resolved["events"]
    assert (event["type"], event["date"]) == ("Merger", "2020-10-01")
    assert answer.primary_area is not None and answer.primary_area["name"] == "Dorset"


def test_a_split_without_weights_names_both_successors_and_is_not_divided(
    lookup: Lookup,
) -> None:
    """As the roll-up: an unweighted split is not divided among its successors; the answer
    names them and says why, in the roll-up's words (tests/test_figures_national.py)."""
    answer = lookup.lookup("RW6", "LRF", date(2022, 1, 1), "HEADQUARTERS")
    assert {r["code"] for r in answer.resolved} == {"RM3", "R0A"}
    assert answer.split_weighting and "unweighted" in answer.split_weighting
    assert answer.areas == [] and answer.primary_area is None
    assert answer.reason == unweighted_split_reason(["R0A", "RM3"])


def test_before_opening_is_a_clear_refusal(lookup: Lookup) -> None:
    with pytest.raises(LookupFailure) as info:
        lookup.lookup("R0D", "LRF", date(2019, 1, 1), "SITES")
    assert info.value.status == "not_yet_open" and "2020-10-01" in info.value.message


@pytest.fixture(scope="module")
def base_url(national_store: GraphStore) -> Iterator[str]:
    with serve(
        # The first lookup of a type works out its timelines (past the 10 s budget on a loaded
        # machine); the budget is test_hostile_input.py's subject, not this file's.
        create_app(
            Settings(store_path=None, numbers_path=None, request_budget_seconds=120),
            store=national_store,
        )
    ) as url:
        yield url


def test_rest_lookup_and_its_errors(base_url: str) -> None:
    auth = bearer("analyst", ["national"])
    # The first lookup of a type works out timelines (seconds on a loaded machine): no timing.
    ok = httpx.get(
        f"{base_url}/lookup/RD3/LRF", params={"asOf": "2021-01-01"}, headers=auth, timeout=120
    )
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["method"] == DEFAULT_METHOD.value and body["resolved"][0]["code"] == "R0D"
    unknown = httpx.get(f"{base_url}/lookup/RD9/LRF", headers=auth)
    assert unknown.status_code == 404
    assert unknown.json()["detail"]["near_matches"][:1] == ["RD1"]
    bad_date = httpx.get(f"{base_url}/lookup/RD3/LRF", params={"asOf": "01/01/2021"}, headers=auth)
    assert bad_date.status_code == 422 and "YYYY-MM-DD" in bad_date.json()["detail"]["message"]
    bad_type = httpx.get(f"{base_url}/lookup/RD3/POLICE", headers=auth)
    assert bad_type.status_code == 422 and "LRF" in bad_type.json()["detail"]["known"]


def test_graphql_lookup_matches_rest(national_reference: ReferenceData, lookup: Lookup) -> None:
    import asyncio

    from service.api.graphql.context import Context
    from service.api.graphql.schema import schema

    reference = national_reference
    query = """{ lookup(code: "RD3", geographyType: "LRF", asOf: "2021-01-01") {
        method status primaryArea { name } resolved { code events { type date } } } }"""
    result = asyncio.run(
        schema.execute(query, context_value=Context(reference=reference, access=access()))
    )
    assert result.errors is None and result.data is not None
    answer = lookup.lookup("RD3", "LRF", date(2021, 1, 1), DEFAULT_METHOD.value)
    got = result.data["lookup"]
    assert got["primaryArea"]["name"] == (answer.primary_area or {}).get("name")
    assert got["resolved"][0]["events"] == [{"type": "Merger", "date": "2020-10-01"}]
