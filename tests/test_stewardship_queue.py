"""The steward queue on the embedded sample (successions of inferred type, retired codes in a
synthetic numbers store) and on the real data (tests/test_stewardship_national.py)."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest
from typer.testing import CliRunner

from service.rdf.store import GraphStore
from service.rdf.terms import ID
from service.rdf.vocab import NHSKG
from service.returns.numbers import NumbersStore
from service.stewardship.changeset import parse_changeset
from service.stewardship.queue import UnknownQueueKind, queue
from service.stewardship.workflow import apply
from tests.support.auth import access


@pytest.fixture
def store(sample_store: GraphStore) -> GraphStore:
    return sample_store.copy_in_memory()


def test_inferred_successions_wait_until_a_steward_states_them(store: GraphStore) -> None:
    items = queue(store, kinds=["succession_type"])
    # The sample's ODS successor rows: RD3 + RDZ -> R0D and RW6 -> RM3 + R0A, both inferred.
    pennine = [i for i in items if i.code == "RW6"]
    assert len(pennine) == 1 and set(pennine[0].related) == {"RM3", "R0A"}
    assert "inferred" in pennine[0].reason and "weights" in pennine[0].reason
    dorset = {i.details["predecessors"][0] for i in items if "R0D" in i.related}
    assert dorset == {"RD3"}  # one event, named by its first predecessor
    stated = parse_changeset(
        {
            "id": "pennine-split",
            "author": "a.steward@example.nhs.uk",
            "reason": "The Pennine Acute split, with shares by beds",
            "changes": [
                {
                    "record_succession": {
                        "type": "Split",
                        "predecessors": ["RW6"],
                        "successors": ["R0A", "RM3"],
                        "date": "2021-10-01",
                        "weights": {"RM3": 0.6, "R0A": 0.4},
                    }
                }
            ],
        }
    )
    assert apply(store, stated).status == "applied"
    after = queue(store, kinds=["succession_type"])
    assert [i for i in after if i.code == "RW6"] == []
    assert [i.code for i in after] == [i.code for i in items if i.code != "RW6"]


def test_values_restated_from_a_retired_code_are_queued(store: GraphStore) -> None:
    numbers = NumbersStore(None)
    numbers.con.execute(
        "INSERT INTO batch (batch_id, publication, dataset, mapping, file, sha256, graph, "
        "loaded_at, value_count, status, superseded_by) VALUES ('b', 'p', 'd', 'm', "
        "'sitrep.xlsx', 'sha', 'g', now(), 2, 'current', NULL)"
    )
    rows = [("R0D", "RD3", date(2020, 10, 5)), ("RM3", "RM3", date(2020, 10, 5))]
    for org, reported, day in rows:
        numbers.con.execute(
            "INSERT INTO reported_value VALUES ('b', ?, ?, ?, 'x', 'Y58', ?, ?, ?, 1.0, NULL, "
            "NULL, NULL, NULL)",
            [org, str(ID[f"org/{org}"]), reported, str(NHSKG.BedsOccupied), day, day],
        )
    items = queue(store, numbers, kinds=["retired_code"])
    assert [(i.code, i.related, i.values, i.name) for i in items] == [
        ("RD3", ("R0D",), 1, "sitrep.xlsx")
    ]


def test_an_unknown_kind_is_refused_with_the_known_ones(store: GraphStore) -> None:
    with pytest.raises(UnknownQueueKind, match="succession_type"):
        queue(store, kinds=["teleport"])


def test_cli_and_graphql_list_the_same_items(
    store: GraphStore, tmp_path_factory: pytest.TempPathFactory, sample_dir: object
) -> None:
    from service.api.graphql.context import Context
    from service.api.graphql.schema import schema
    from service.cli import app
    from service.manifest import load_all
    from service.reference import ReferenceData

    path = tmp_path_factory.mktemp("queue-cli") / "store"
    disk = GraphStore(path)
    assert all(r.ok for r in load_all(disk, sample_dir))  # type: ignore[arg-type]
    disk.close()
    result = CliRunner().invoke(
        app,
        ["--store", str(path), "queue", "--kind", "succession_type", "--json", "--numbers", "x"],
    )
    assert result.exit_code == 0, result.output
    cli = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    query = """{ stewardQueue(kinds: ["succession_type"]) { kind code reason related } }"""
    answer = asyncio.run(
        schema.execute(
            query,
            context_value=Context(reference=ReferenceData.build(store), access=access("steward")),
        )
    )
    assert answer.errors is None and answer.data is not None
    graphql = answer.data["stewardQueue"]
    assert [(i["code"], i["reason"]) for i in cli] == [(i["code"], i["reason"]) for i in graphql]
    assert len(cli) >= 2
    bad = asyncio.run(
        schema.execute(
            '{ stewardQueue(kinds: ["teleport"]) { code } }',
            context_value=Context(reference=ReferenceData.build(store), access=access("steward")),
        )
    )
    assert bad.errors and "unknown queue kind" in bad.errors[0].message
