"""Steward change sets on the embedded sample: check, apply, revert, history, refusals, races."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from service.manifest import load_all
from service.rdf.store import PROVENANCE_GRAPH, GraphStore
from service.stewardship.changeset import ChangeSetError, parse_changeset
from service.stewardship.workflow import apply, check, history, revert
from tests.support.auth import access

LRF_OF = """SELECT ?lad ?lrf WHERE { ?m nhskg:memberArea ?lad ; nhskg:parentArea ?lrf ;
    nhskg:validFrom ?from . ?lrf a nhskg:LocalResilienceForum .
    OPTIONAL { ?m nhskg:validTo ?to } FILTER (!BOUND(?to)) }"""
BCP = "https://w3id.org/nhskg/id/area/E06000058"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> GraphStore:
    store = GraphStore(tmp_path_factory.mktemp("stewardship"))
    assert all(r.ok for r in load_all(store, sample_dir))
    return store


@pytest.fixture
def store(loaded: GraphStore) -> GraphStore:
    return loaded.copy_in_memory()


def current_quads(store: GraphStore) -> set[str]:
    """What the current reference graphs say (provenance, which only grows, left out)."""
    graphs = [g for g in store.current_graphs() if g != PROVENANCE_GRAPH]
    rows = store.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", graphs=graphs)
    return {f"{r['s']} {r['p']} {r['o']}" for r in rows}


def lrf_of(store: GraphStore, lad: str) -> set[str]:
    return {r["lrf"].rsplit("/", 1)[-1] for r in store.select(LRF_OF) if r["lad"] == lad}


def move_bcp(changeset_id: str = "move-bcp", to: str = "E48000010") -> Any:
    # A deliberately wrong correction, for the test: Bournemouth, Christchurch and Poole
    # (E06000058, Dorset LRF E48000009) moved to another LRF from 2021-04-01.
    return parse_changeset(
        {
            "id": changeset_id,
            "author": "a.steward@example.nhs.uk",
            "reason": "test correction",
            "changes": [
                {
                    "end_area_membership": {
                        "member": "E06000058",
                        "parent": "E48000009",
                        "last_day": "2021-03-31",
                    }
                },
                {"area_membership": {"member": "E06000058", "parent": to, "from": "2021-04-01"}},
            ],
        }
    )


def test_check_reports_the_diff_and_writes_nothing(store: GraphStore) -> None:
    before = current_quads(store)
    dry = check(store, move_bcp())
    assert dry.status == "valid", dry.text()
    assert any("validTo" in t for t in dry.added["E06000058"])
    assert current_quads(store) == before


def test_apply_then_revert_restores_exactly_and_history_shows_both(store: GraphStore) -> None:
    before = current_quads(store)
    assert lrf_of(store, BCP) == {"E48000009"}
    assert apply(store, move_bcp()).status == "applied"
    assert lrf_of(store, BCP) == {"E48000010"}
    revert(store, "move-bcp", author="b.steward@example.nhs.uk", reason="wrong LRF")
    assert current_quads(store) == before
    steps = [(h["kind"], h["changeset"]) for h in history(store, "E06000058")]
    assert steps == [("ChangeSetApplication", "move-bcp"), ("ChangeSetReversion", "move-bcp")]


def test_overlapping_membership_is_refused(store: GraphStore) -> None:
    before = current_quads(store)
    overlapping = parse_changeset(
        {
            "id": "overlap",
            "author": "x",
            "reason": "test",
            "changes": [
                {
                    "area_membership": {
                        "member": "E06000058",
                        "parent": "E48000010",
                        "from": "2021-04-01",
                    }
                }
            ],
        }
    )
    dry = apply(store, overlapping)
    assert dry.status == "rejected"
    assert any("overlaps another" in f.rule and f.row == 1 for f in dry.report.findings)
    assert current_quads(store) == before


def test_unknown_code_and_bad_weights_are_refused(store: GraphStore) -> None:
    before = current_quads(store)
    split = parse_changeset(
        {
            "id": "bad-split",
            "author": "x",
            "reason": "test",
            "changes": [
                {
                    "record_succession": {
                        "type": "Split",
                        "predecessors": ["RW6"],
                        "successors": ["RM3", "R0A", "ZZZ"],
                        "date": "2021-10-01",
                        "weights": {"RM3": 0.5, "R0A": 0.3},
                    }
                }
            ],
        }
    )
    dry = apply(store, split)
    assert dry.status == "rejected"
    rules = " | ".join(f.rule for f in dry.report.findings)
    assert "exists in the reference data" in rules
    assert "add up to 1" in rules and "0.8" in rules
    assert current_quads(store) == before


def test_malformed_change_set_says_what_is_wrong() -> None:
    with pytest.raises(ChangeSetError, match="unknown kind 'teleport'"):
        parse_changeset({"id": "abc", "author": "x", "reason": "y", "changes": [{"teleport": {}}]})
    with pytest.raises(ChangeSetError, match="missing author"):
        parse_changeset({"id": "abc", "reason": "y", "changes": [{"rename": {}}]})


def test_two_concurrent_stewards_cannot_both_land_conflicting_changes(store: GraphStore) -> None:
    # Each change set is valid alone; together they would put BCP in two LRFs at once.
    results: list[str] = []
    barrier = threading.Barrier(2)

    def steward(changeset_id: str, lrf: str) -> None:
        barrier.wait()
        results.append(apply(store, move_bcp(changeset_id, lrf)).status)

    threads = [
        threading.Thread(target=steward, args=("race-a", "E48000010")),
        threading.Thread(target=steward, args=("race-b", "E48000011")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["applied", "rejected"]
    assert len(lrf_of(store, BCP)) == 1


def test_graphql_mutations_take_the_same_path(store: GraphStore) -> None:
    import asyncio

    import yaml

    from service.api.graphql.context import Context
    from service.api.graphql.schema import schema
    from service.reference import ReferenceData

    reference = ReferenceData.build(store)
    text = yaml.safe_dump(
        {
            "id": "gql-move",
            "author": "x",
            "reason": "test",
            "changes": [
                {
                    "end_area_membership": {
                        "member": "E06000058",
                        "parent": "E48000009",
                        "last_day": "2021-03-31",
                    }
                },
                {
                    "area_membership": {
                        "member": "E06000058",
                        "parent": "E48000010",
                        "from": "2021-04-01",
                    }
                },
            ],
        }
    )
    mutation = """mutation($cs: String!) { applyChangeSet(changeSet: $cs) {
        status findings { rule } diff { about added } } }"""
    result = asyncio.run(
        schema.execute(
            mutation,
            variable_values={"cs": text},
            context_value=Context(reference=reference, access=access("steward")),
        )
    )
    assert result.errors is None
    assert result.data is not None
    assert result.data["applyChangeSet"]["status"] == "applied"
    bcp = reference.areas.find("E06000058")
    assert bcp is not None
    from datetime import date

    assert [a.code for a, _ in reference.areas.parents(bcp, date(2022, 1, 1))] == ["E48000010"]
    again = asyncio.run(
        schema.execute(
            mutation,
            variable_values={"cs": text},
            context_value=Context(reference=reference, access=access("steward")),
        )
    )
    assert again.errors and "already applied" in again.errors[0].message
