"""GraphQL queries over the embedded sample: answers, errors that say why, limits, DataLoaders."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from service.api.graphql.context import Context
from service.api.graphql.schema import MAX_DEPTH, schema
from service.rdf.store import GraphStore
from service.reference import ReferenceData
from tests.support.auth import access


@pytest.fixture(scope="module")
def reference(sample_store: GraphStore) -> ReferenceData:
    return ReferenceData.build(sample_store)


def run(
    reference: ReferenceData, query: str, scope: tuple[str, ...] = ("national",), **variables: Any
) -> tuple[dict[str, Any] | None, list[str], Context]:
    """As a signed-in analyst of `scope` (a token minted and verified the service's way)."""
    context = Context(
        reference=reference, access=access("analyst", scope, reference), max_page_size=50
    )
    result = asyncio.run(schema.execute(query, variable_values=variables, context_value=context))
    return result.data, [e.message for e in result.errors or []], context


def test_organisation_by_code(reference: ReferenceData) -> None:
    data, errors, _ = run(
        reference,
        '{ organisation(code: "rd3") { __typename code name '
        "closeDate odsRecords { vintage regionCode } } }",
    )
    assert errors == []
    assert data is not None
    org = data["organisation"]
    assert (org["__typename"], org["code"], org["closeDate"]) == ("Trust", "RD3", "2020-09-30")
    assert org["name"] == "Poole Hospital NHS Foundation Trust"
    assert {r["regionCode"] for r in org["odsRecords"]} == {"Y58"}


ORGANISATION_AS_OF = """query ($code: String!, $on: Date!) {
  organisation(code: $code, asOf: $on) {
    code
    carriedOnBy { code weight events { type date predecessors successors } }
  }
}"""


def test_organisation_as_of_shows_the_succession(reference: ReferenceData) -> None:
    data, errors, _ = run(reference, ORGANISATION_AS_OF, code="RD3", on="2021-01-01")
    assert errors == [] and data is not None
    org = data["organisation"]
    assert org["code"] == "RD3"  # the asked organisation, carried on by its successor
    [r0d] = org["carriedOnBy"]
    assert r0d["code"] == "R0D" and r0d["weight"] == 1.0
    assert [(e["date"], "RD3" in e["predecessors"], e["successors"]) for e in r0d["events"]] == [
        ("2020-10-01", True, ["R0D"])
    ]
    data, errors, _ = run(reference, ORGANISATION_AS_OF, code="RD3", on="2020-09-01")
    assert errors == [] and data is not None
    assert [(r["code"], r["events"]) for r in data["organisation"]["carriedOnBy"]] == [("RD3", [])]
    data, errors, _ = run(reference, ORGANISATION_AS_OF, code="RW6", on="2022-01-01")
    assert errors == [] and data is not None
    split = data["organisation"]["carriedOnBy"]
    assert {r["code"] for r in split} == {"RM3", "R0A"}
    assert all(r["weight"] is None for r in split)  # the ODS files state no weights


def test_organisation_as_of_before_it_opened_says_so(reference: ReferenceData) -> None:
    data, errors, _ = run(reference, ORGANISATION_AS_OF, code="R0D", on="2019-01-01")
    assert data is None
    assert errors and "2020-10-01" in errors[0]


def test_unknown_organisation_says_so_with_near_matches(reference: ReferenceData) -> None:
    data, errors, _ = run(reference, '{ organisation(code: "RD9") { code } }')
    assert data is None
    assert errors and "unknown organisation code 'RD9'" in errors[0]
    assert "Near matches: RD1" in errors[0] or "Near matches: RD3" in errors[0]


def test_geography_with_parents_across_hierarchies(reference: ReferenceData) -> None:
    data, errors, _ = run(
        reference,
        '{ geography(code: "E08000025") { name types '
        'parents(asOf: "2020-01-01") { area { name types } share } } }',
    )
    assert errors == []
    assert data is not None
    area = data["geography"]
    assert (area["name"], area["types"]) == ("Birmingham", ["LAD"])
    assert [(p["area"]["name"], p["share"]) for p in area["parents"]] == [("West Midlands", 1.0)]


def test_unknown_geography_type_lists_the_known_ones(reference: ReferenceData) -> None:
    _, errors, _ = run(reference, '{ geographies(type: "POLICE") { code } }')
    assert errors and "unknown geography type 'POLICE'" in errors[0]
    assert "LRF" in errors[0] and "NHS_REGION" in errors[0]


def test_geographies_of_a_type_come_from_the_ontology_and_data(reference: ReferenceData) -> None:
    data, errors, _ = run(
        reference,
        '{ geographyTypes { key iri } geographies(type: "LRF", asOf: "2021-01-01") { code } }',
    )
    assert errors == []
    assert data is not None
    assert "LRF" in {t["key"] for t in data["geographyTypes"]}
    assert len(data["geographies"]) == 42


def test_children_and_parents_are_batched_once_per_level(reference: ReferenceData) -> None:
    query = """{ geographies(type: "LRF") { code
                   children(asOf: "2020-01-01") { area { code parents(asOf: "2020-01-01") {
                     area { code } } } } } }"""
    data, errors, context = run(reference, query)
    assert errors == []
    assert data is not None
    children = sum(len(g["children"]) for g in data["geographies"])
    assert children > 300  # every LAD of England and Wales, through 42 LRFs
    assert context.batch_calls == {"children": 1, "parents": 1}


def test_pagination_walks_every_organisation_once(reference: ReferenceData) -> None:
    query = """query($after: String) { organisations(first: 20, after: $after) {
                 totalCount edges { node { code } } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        data, errors, _ = run(reference, query, after=after)
        assert errors == [] and data is not None
        page = data["organisations"]
        seen += [e["node"]["code"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(set(seen))
    assert len(seen) == page["totalCount"] == len(reference.organisations.codes)


def test_filters_combine(reference: ReferenceData) -> None:
    data, errors, _ = run(
        reference,
        """{ organisations(filter: {region: "Y58",
        openOn: "2020-04-15", nameContains: "poole"}) { edges { node { code } } } }""",
    )
    assert errors == []
    assert data is not None
    assert [e["node"]["code"] for e in data["organisations"]["edges"]] == ["RD3"]


def test_page_size_is_capped(reference: ReferenceData) -> None:
    _, errors, _ = run(reference, "{ organisations(first: 10000) { totalCount } }")
    assert errors and "first must be between 1 and 50" in errors[0]


def test_malformed_cursor_is_a_user_error(reference: ReferenceData) -> None:
    _, errors, _ = run(reference, '{ organisations(after: "nonsense!") { totalCount } }')
    assert errors and "malformed cursor" in errors[0]


def test_query_depth_is_limited(reference: ReferenceData) -> None:
    nested = "area { code parents { " * MAX_DEPTH + "share" + " } }" * MAX_DEPTH
    _, errors, _ = run(reference, '{ geography(code: "E08000025") { parents { ' + nested + " } } }")
    assert errors and "exceeds maximum operation depth" in errors[0]


def test_scope_filters_lists_and_lookups(reference: ReferenceData) -> None:
    region = ("region:Y62",)
    data, errors, _ = run(
        reference,
        "{ organisations(first: 50) { totalCount edges { node { code } } } }",
        scope=region,
    )
    assert errors == [] and data is not None
    codes = {e["node"]["code"] for e in data["organisations"]["edges"]}
    assert "RW6" in codes and "RD3" not in codes
    _, errors, _ = run(reference, '{ organisation(code: "RD3") { code } }', scope=region)
    assert errors == [
        "forbidden: RD3 is outside your scope (region:Y62). Ask an approver for a grant that "
        "covers it."
    ]


def test_internal_errors_are_masked(reference: ReferenceData) -> None:
    broken = ReferenceData(reference.store, reference.organisations, None, reference.lookup)  # type: ignore[arg-type]
    _, errors, _ = run(broken, '{ geography(code: "E08000025") { code } }')
    assert errors == ["Unexpected error."]
