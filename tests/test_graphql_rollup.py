"""GraphQL metrics, observations and roll-ups over the embedded sample plus a real A&E return cut
to nine trusts (tests/fixtures/police): answers, errors that say what was wrong, scope, limits and
the per-request organisation DataLoader."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path
from typing import Any

import pytest
from rdflib import URIRef
from rdflib.namespace import SKOS

from service.api.graphql.context import Context
from service.api.graphql.schema import schema
from service.loader import load_file
from service.rdf.store import GraphStore
from service.rdf.terms import load_ontology
from service.rdf.vocab import NHSKG
from service.reference import ReferenceData
from service.returns.codes import graph_successions
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.rollup.engine import materialise_org_areas
from service.rollup.model import Method
from tests.support.auth import access

FIXTURES = Path(__file__).parent / "fixtures" / "police"
RETURN = FIXTURES / "Monthly-AE-April-2025.csv"
TYPE1 = "A&E attendances Type 1"


@pytest.fixture(scope="module")
def env(sample_store: GraphStore) -> dict[str, Any]:
    store = sample_store.copy_in_memory()
    result = load_file(store, FIXTURES / "trust-hq-lad.csv", str(FIXTURES / "trust-hq-lad.yaml"))
    assert result.status == "loaded", result.report.text()
    numbers = NumbersStore(None)
    assert load_return_file(store, numbers, RETURN).status == "loaded"
    # Headquarters -> LRF: the district's LRF from the sample's own LAD -> LRF lookup.
    lrf_of = {
        r["lad"]: r["lrf"]
        for r in store.select(
            "SELECT ?lad ?lrf WHERE { ?m nhskg:memberArea ?l ; nhskg:parentArea ?p . "
            "?l nhskg:gssCode ?lad . ?p a nhskg:LocalResilienceForum ; nhskg:gssCode ?lrf }"
        )
    }
    with (FIXTURES / "trust-hq-lad.csv").open() as f:
        hq = {r["code"]: r["lad"] for r in csv.DictReader(f)}
    rows = [("LRF", code, lrf_of[lad], 1.0, None, None) for code, lad in hq.items()]
    materialise_org_areas(numbers, rows, Method.HEADQUARTERS)
    with RETURN.open() as f:
        values = {r["Org Code"]: float(r[TYPE1]) for r in csv.DictReader(f)}
    return {
        "store": store,
        "placements": rows,
        "reference": ReferenceData.build(store),
        "numbers": numbers,
        "successions": graph_successions(store),
        "lrf": {code: lrf_of[lad] for code, lad in hq.items()},
        "values": values,
    }


def run(
    env: dict[str, Any], query: str, scope: tuple[str, ...] = ("national",), max_rows: int = 1000
) -> tuple[dict[str, Any] | None, list[str], Context]:
    """As a signed-in analyst of `scope` (a token minted and verified the service's way)."""
    context = Context(
        reference=env["reference"],
        access=access("analyst", scope, env["reference"], env["numbers"]),
        max_page_size=50,
        max_rollup_rows=max_rows,
        numbers=env["numbers"],
        successions=env["successions"],
    )
    result = asyncio.run(schema.execute(query, context_value=context))
    return result.data, [e.message for e in result.errors or []], context


ROLLUP = """{ rollup(metric: "AEAttendancesType1", by: "LRF", date: "2025-04-01",
                     method: HEADQUARTERS) {
    kind metric { key unit }
    rows { area { code types } value contributors { code share value organisation { name } } }
    unmapped { code } } }"""


def test_metrics_come_from_the_ontology_scheme(env: dict[str, Any]) -> None:
    data, errors, context = run(
        env, "{ metrics { key iri unit kind aggregations { key } held { first last valueCount } } }"
    )
    assert errors == [] and data is not None
    ontology = load_ontology()
    in_scheme = {str(s) for s in ontology.subjects(SKOS.inScheme, NHSKG.MetricScheme)}
    assert {m["iri"] for m in data["metrics"]} == in_scheme
    by_key = {m["key"]: m for m in data["metrics"]}
    beds = by_key["BedsOccupied"]
    assert (beds["kind"], beds["unit"], beds["held"]) == ("Stock", "beds", None)
    assert "SumOverTime" not in {a["key"] for a in beds["aggregations"]}
    held = by_key["AEAttendancesType1"]["held"]
    assert held == {"first": "2025-04-01", "last": "2025-04-01", "valueCount": len(env["values"])}
    kind = ontology.value(URIRef(by_key["AEAttendancesType1"]["iri"]), NHSKG.measureKind)
    assert kind == NHSKG.Flow
    assert context.batch_calls["held"] == 1  # one numbers-store query for every metric


def test_rollup_sums_each_area_from_its_contributors(env: dict[str, Any]) -> None:
    data, errors, context = run(env, ROLLUP)
    assert errors == [] and data is not None
    expected: dict[str, float] = {}
    for code, lrf in env["lrf"].items():
        expected[lrf] = expected.get(lrf, 0.0) + env["values"][code]
    rows = data["rollup"]["rows"]
    assert {r["area"]["code"]: r["value"] for r in rows} == expected
    assert all(r["area"]["types"] == ["LRF"] for r in rows)
    assert data["rollup"]["unmapped"] == []
    names = {c["organisation"]["name"] for r in rows for c in r["contributors"]}
    assert "Manchester University NHS Foundation Trust" in names
    # Every contributor's organisation came through one batch call of the request's DataLoader.
    assert sum(len(r["contributors"]) for r in rows) == len(env["values"]) > 1
    assert context.batch_calls["organisations"] == 1


def test_series_lists_and_unmapped_summaries_match_the_objects(env: dict[str, Any]) -> None:
    """The cheap fields (series as plain lists, unmapped totals) say what the objects say: two
    trusts left unplaced are the unmapped count, total and organisations."""
    left_out = sorted(env["lrf"])[:2]
    numbers = NumbersStore(None)
    assert load_return_file(env["store"], numbers, RETURN).status == "loaded"
    placed = [r for r in env["placements"] if r[1] not in left_out]
    materialise_org_areas(numbers, placed, Method.HEADQUARTERS)
    data, errors, _ = run(
        {**env, "numbers": numbers},
        """{ rollup(metric: "AEAttendancesType1", by: "LRF", date: "2025-04-01",
                    method: HEADQUARTERS) {
            series { area { code } periodStarts values reported expected
                     points { periodStart value coverage { reported expected } } }
            unmapped { code value } unmappedTotal unmappedCount unmappedOrganisations } }""",
    )
    assert errors == [] and data is not None
    result = data["rollup"]
    assert result["series"]
    for line in result["series"]:
        points = line["points"]
        assert line["periodStarts"] == [p["periodStart"] for p in points]
        assert line["values"] == [p["value"] for p in points]
        assert line["reported"] == [p["coverage"]["reported"] for p in points]
        assert line["expected"] == [p["coverage"]["expected"] for p in points]
    assert result["unmappedOrganisations"] == left_out
    assert result["unmappedCount"] == len(result["unmapped"]) == 2
    assert result["unmappedTotal"] == sum(env["values"][c] for c in left_out) > 0


def test_scope_from_the_context_limits_the_rollup(env: dict[str, Any]) -> None:
    data, errors, _ = run(env, ROLLUP, scope=("org:R0A",))
    assert errors == [] and data is not None
    rows = data["rollup"]["rows"]
    assert [c["code"] for r in rows for c in r["contributors"]] == ["R0A"]
    assert rows[0]["value"] == env["values"]["R0A"]


def test_observations_carry_their_batch(env: dict[str, Any]) -> None:
    data, errors, _ = run(
        env,
        """{ observations(org: "r0a", metric: "AEAttendancesType1") {
             code metric { key } periodStart periodEnd value batch { file status } } }""",
    )
    assert errors == [] and data is not None
    assert data["observations"] == [
        {
            "code": "R0A",
            "metric": {"key": "AEAttendancesType1"},
            "periodStart": "2025-04-01",
            "periodEnd": "2025-04-30",
            "value": env["values"]["R0A"],
            "batch": {"file": RETURN.name, "status": "current"},
        }
    ]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (
            'rollup(metric: "Beds", by: "LRF", date: "2025-04-01")',
            ["unknown metric 'Beds'", "BedsOccupiedCovid"],
        ),
        (
            'rollup(metric: "AEAttendancesType1", by: "POLICE", date: "2025-04-01")',
            ["unknown geography type 'POLICE'", "LRF", "NHS_REGION"],
        ),
        ('rollup(metric: "AEAttendancesType1", by: "LRF")', ["needs a date, or both from and to"]),
        (
            'rollup(metric: "AEAttendancesType1", by: "LRF", from: "2025-05-01", to: "2025-04-01")',
            ["from (2025-05-01) is after to (2025-04-01)"],
        ),
        (
            'rollup(metric: "AEAttendancesType1", by: "LRF", date: "2020-01-01")',
            ["no values from 2020-01-01", "held from 2025-04-01 to 2025-04-01"],
        ),
        (
            'rollup(metric: "BedsOccupied", by: "LRF", date: "2025-04-01")',
            ["no values of BedsOccupied are loaded"],
        ),
        (
            'rollup(metric: "AEAttendancesType1", by: "LRF", date: "2025-04-01", method: SITES)',
            ["no placements by SITES in LRF areas", "HEADQUARTERS by LRF"],
        ),
        (
            'rollup(metric: "AEAttendancesType1", by: "LRF", date: "2025-04-01", '
            "method: RETURN_STATED)",
            ["RETURN_STATED places organisations in NHS England regions only"],
        ),
        ('observations(org: "R0X")', ["unknown organisation code 'R0X'", "Near matches"]),
        ('observations(org: "R0D", to: "2019-12-31")', ["R0D did not exist before 2020-10-01"]),
        ('observations(org: "R0A", first: 1000)', ["first must be between 1 and 50"]),
    ],
)
def test_bad_input_says_what_was_wrong(env: dict[str, Any], query: str, says: list[str]) -> None:
    data, errors, _ = run(env, "{ " + query + " { __typename } }")
    assert data is None and len(errors) == 1
    for part in says:
        assert part in errors[0]


def test_restate_takes_exactly_one_choice(env: dict[str, Any]) -> None:
    _, errors, _ = run(
        env,
        '{ rollup(metric: "AEAttendancesType1", by: "LRF", date: "2025-04-01", method: '
        'HEADQUARTERS, restate: {asReported: true, toOrganisationsAt: "2025-01-01"}) { kind } }',
    )
    assert errors and "exactly one" in errors[0].lower()
    data, errors, _ = run(
        env,
        '{ rollup(metric: "AEAttendancesType1", by: "LRF", date: "2025-04-01", method: '
        'HEADQUARTERS, restate: {toOrganisationsAt: "2025-06-01"}) { restatedTo rows { value } } }',
    )
    assert errors == [] and data is not None
    assert data["rollup"]["restatedTo"] == "2025-06-01"
    assert sum(r["value"] for r in data["rollup"]["rows"]) == sum(env["values"].values())


def test_too_many_aliases_is_refused(env: dict[str, Any]) -> None:
    many = " ".join(f"m{i}: metrics {{ key }}" for i in range(30))
    _, errors, _ = run(env, "{ " + many + " }")
    assert errors and "aliases" in errors[0].lower()


def test_a_rollup_too_large_for_one_answer_is_refused(env: dict[str, Any]) -> None:
    data, errors, _ = run(env, ROLLUP, max_rows=2)
    assert data is None and errors
    assert "more than the 2 one answer may hold" in errors[0]


def test_every_predecessor_of_a_merger_is_carried_on(sample_store: GraphStore) -> None:
    """Restated roll-ups read successions from the graph: both Dorset trusts (RD3, RDZ) merged
    into R0D in one event, and each must move to R0D (the first reading kept only one)."""
    successions = graph_successions(sample_store)
    assert [s.successors for s in successions("RD3")] == [("R0D",)]
    assert [s.successors for s in successions("RDZ")] == [("R0D",)]
