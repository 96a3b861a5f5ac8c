"""GraphQL over values reported by area, on the embedded sample's geography (LAD -> LRF 2019):
roll-ups by the graph's memberships, observations with their area type and suppression,
revisions between two releases, and the access policy (metric grants, scope)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from service.api.graphql.context import Context
from service.api.graphql.schema import schema
from service.rdf.store import GraphStore
from service.reference import ReferenceData
from service.reference.placement import read_reference
from service.returns.area_load import load_area_file
from service.returns.codes import graph_successions
from service.returns.numbers import NumbersStore
from tests.support.areas import cases_file
from tests.support.auth import access

KENT = "E48000017"  # Kent LRF: Medway, Ashford, Canterbury (data/sample/ons LAD19 -> LRF19)
DAY = "2020-08-01"


def _rows(medway: int, ashford: int) -> list[tuple[str, str, str, str]]:
    return [
        ("E06000035", "ltla", DAY, str(medway)),
        ("E07000105", "ltla", DAY, str(ashford)),
        ("E07000106", "ltla", DAY, "5"),
        ("E07000999", "ltla", DAY, "2"),  # no such district: listed unmapped
        ("E92000001", "nation", DAY, "20"),
    ]


@pytest.fixture(scope="module")
def env(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder: Path = tmp_path_factory.mktemp("area-cases")
    store = sample_store.copy_in_memory()
    numbers = NumbersStore(None)
    geography = read_reference(store)
    for release, rows in (("2020-08-14", _rows(3, 4)), ("2020-08-28", _rows(3, 7))):
        result = load_area_file(store, numbers, cases_file(folder, release, rows), geography)
        assert result.status == "loaded", result.report.findings
    return {
        "reference": ReferenceData.build(store),
        "numbers": numbers,
        "successions": graph_successions(store),
    }


def run(
    env: dict[str, Any], query: str, scope: tuple[str, ...] = ("national",), **claims: Any
) -> tuple[dict[str, Any] | None, list[str]]:
    context = Context(
        reference=env["reference"],
        access=access("analyst", scope, env["reference"], env["numbers"], **claims),
        max_page_size=50,
        max_rollup_rows=1000,
        numbers=env["numbers"],
        successions=env["successions"],
    )
    result = asyncio.run(schema.execute(query, context_value=context))
    return result.data, [e.message for e in result.errors or []]


ROLLUP = """{ rollup(metric: "LabConfirmedCases", by: "LRF", date: "2020-08-01"%s) {
    method reportedType unmappedTotal
    rows { area { code } value suppressed coverage { reported expected } }
    unmapped { code value reason } } }"""


def test_cases_by_lad_roll_up_to_lrf_by_area_membership(env: dict[str, Any]) -> None:
    data, errors = run(env, ROLLUP % "")
    assert not errors, errors
    found = data["rollup"] if data else {}
    assert (found["method"], found["reportedType"]) == ("AREA_MEMBERSHIP", "LAD")
    assert found["rows"] == [
        {
            "area": {"code": KENT},
            "value": 3 + 7 + 5,
            "suppressed": 0,
            "coverage": {"reported": 3, "expected": 3},
        }
    ]
    assert found["unmappedTotal"] == 2
    assert [u["code"] for u in found["unmapped"]] == ["E07000999"]
    assert "unknown area code" in found["unmapped"][0]["reason"]


def test_as_known_at_the_first_release(env: dict[str, Any]) -> None:
    data, errors = run(env, ROLLUP % ', asKnownAt: "2020-08-20"')
    assert not errors, errors
    assert data and data["rollup"]["rows"][0]["value"] == 3 + 4 + 5


def test_observations_and_revisions_of_an_area(env: dict[str, Any]) -> None:
    data, errors = run(
        env,
        """{ observations(org: "E07000105", metric: "LabConfirmedCases") {
               code value areaType suppressed batch { releaseDate } }
             revisions(metric: "LabConfirmedCases", from: "2020-08-01", to: "2020-08-01",
                       between: ["2020-08-14", "2020-08-28"]) {
               count values { code before after change areaType } } }""",
    )
    assert not errors, errors
    assert data is not None
    assert data["observations"] == [
        {
            "code": "E07000105",
            "value": 7.0,
            "areaType": "LAD",
            "suppressed": False,
            "batch": {"releaseDate": "2020-08-28"},
        }
    ]
    assert data["revisions"] == {
        "count": 1,
        "values": [
            {"code": "E07000105", "before": 4.0, "after": 7.0, "change": 3.0, "areaType": "LAD"}
        ],
    }


def test_a_grant_of_other_metrics_is_refused(env: dict[str, Any]) -> None:
    data, errors = run(env, ROLLUP % "", metrics=["BedsOccupied"])
    assert data is None
    assert any("your grant covers BedsOccupied, not LabConfirmedCases" in e for e in errors)


def test_a_scope_of_one_organisation_sees_no_area_values(env: dict[str, Any]) -> None:
    data, errors = run(env, ROLLUP % "", scope=("org:RJ1",))
    assert not errors, errors
    rows = data["rollup"]["rows"] if data else []
    assert all(r["value"] == 0 for r in rows)
    assert data and data["rollup"]["unmappedTotal"] == 0


TOTALS = """{ publishedTotals(metric: "LabConfirmedCases", parts: "LAD", total: "NATION",
    from: "2020-08-01", to: "2020-08-01") {
    differing totals { area published parts difference } unplaced { periodStart value } } }"""


def test_published_totals_beside_the_sum_of_their_parts(env: dict[str, Any]) -> None:
    data, errors = run(env, TOTALS)
    assert not errors, errors
    assert data and data["publishedTotals"] == {
        "differing": 1,
        "totals": [{"area": "E92000001", "published": 20.0, "parts": 15.0, "difference": 5.0}],
        "unplaced": [{"periodStart": DAY, "value": 2.0}],
    }


def test_published_totals_are_refused_to_a_scope_of_organisations(env: dict[str, Any]) -> None:
    data, errors = run(env, TOTALS, scope=("org:RJ1",))
    assert data is None
    assert any("national figures" in e for e in errors)


def test_restated_to_the_areas_of_a_date_the_answer_says_so(env: dict[str, Any]) -> None:
    """The Kent districts were not merged: restated to a later date, the same figures, and the
    answer names the date (a merged district's values move: tests/test_area_values.py)."""
    data, errors = run(
        env,
        """{ rollup(metric: "LabConfirmedCases", by: "LRF", date: "2020-08-01",
               restate: {toOrganisationsAt: "2021-04-01"}) {
               restatedTo rows { area { code } value } } }""",
    )
    assert not errors, errors
    assert data and data["rollup"] == {
        "restatedTo": "2021-04-01",
        "rows": [{"area": {"code": KENT}, "value": 3 + 7 + 5}],
    }
