"""A steward's change set through a server that reads the numbers store read-only (how `nhskg
serve` runs by default) is refused up front with what to do, when applying it would place
organisations again in org_area. Before, the graph was written, the org_area write failed
("Cannot execute statement of type DELETE ... read-only"), the change set was retired again and
the steward saw an internal error (nationally, after the request's time budget: "stopped")."""

from __future__ import annotations

from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.api.app import create_app
from service.cli import app as cli
from service.config import Settings
from service.manifest import materialise_for_returns
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.returns.numbers import NumbersStore
from tests.support.auth import bearer
from tests.support.changes import MOVE_BCP
from tests.support.stores import backup_store

RETURN = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"
MOVE = {"id": "move-bcp", **MOVE_BCP}
APPLY = "mutation($cs: String!) { applyChangeSet(changeSet: $cs) { status } }"


def test_a_change_set_is_refused_up_front_by_a_read_only_server(
    sample_store: GraphStore, tmp_path: Path
) -> None:
    store_path = tmp_path / "store"
    backup_store(sample_store, store_path)
    loaded = CliRunner().invoke(cli, ["--store", str(store_path), "returns", "load", str(RETURN)])
    assert loaded.exit_code == 0, loaded.output
    store = GraphStore(store_path)
    materialise_for_returns(store, tmp_path / "numbers.duckdb")
    graphs_before = set(store.named_graphs())
    numbers = NumbersStore(tmp_path / "numbers.duckdb", read_only=True)
    assert numbers.holds_placements()
    app = create_app(Settings(store_path=None, numbers_path=None), store=store, numbers=numbers)
    client = TestClient(app)
    body = {"query": APPLY, "variables": {"cs": yaml.safe_dump(MOVE)}}
    answer = client.post("/graphql", json=body, headers=bearer("steward")).json()
    [error] = answer["errors"]
    assert "reads the numbers store read-only" in error["message"]
    assert "--writable-numbers" in error["message"] or "--writable-numbers" in str(error)
    assert set(store.named_graphs()) == graphs_before  # nothing written, the id not spent
    # Served writable, the same change set applies (and places BCP's trusts again).
    numbers.close()
    writable = NumbersStore(tmp_path / "numbers.duckdb")
    app = create_app(Settings(store_path=None, numbers_path=None), store=store, numbers=writable)
    applied = TestClient(app).post("/graphql", json=body, headers=bearer("steward")).json()
    assert applied["data"]["applyChangeSet"]["status"] == "applied", applied
