"""The front door is read from its own graphs: on a store where a graph was retired (every
national store after `make run DATA_DIR=...` replaced the sample), a query of the whole current
state first copies every current graph into memory (service/rdf/store.py, `_reading`). Reading
the grants that way took 10 s of a national server's 16 s start; read from the front door's
graphs, the grants are the same and no copy is made."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from service.access.frontdoor import AccessRequest, FrontDoor
from service.access.principal import Principal, Role, ScopeItem
from service.rdf.store import GraphStore
from tests.support.stores import copy_store

APPROVER = Principal("ivy.approver@nhs.net", Role.APPROVER, (ScopeItem("national"),))


def test_grants_are_read_without_copying_the_current_graphs(
    sample_store: GraphStore, tmp_path: Path
) -> None:
    store = copy_store(sample_store, tmp_path / "store")
    door = FrontDoor(store)
    asked = door.submit(
        AccessRequest(
            requested_by="ann.analyst@nhs.net",
            organisation="NHS England South West",
            purpose="Which LRF each South West trust is in",
            legal_basis="UKGDPR_6_1_E_9_2_I",
            metrics=("BedsOccupiedCovid",),
            scopes=("region:Y58",),
            end_of_use=date(2099, 3, 31),
        )
    )
    grant = door.decide(asked, APPROVER, approve=True, conditions="No onward sharing")
    assert grant is not None
    door.revoke(grant.id, APPROVER, "Left the post")
    expected = door.grants
    unrelated = next(g for g in store.current_graphs() if "/access/" not in g and "ods" in g)
    store.retire_graph(unrelated)
    store.close()

    reopened = GraphStore(tmp_path / "store")
    assert unrelated in reopened.retired_graphs()
    read = FrontDoor(reopened)
    assert read.grants == expected
    assert read.grants[grant.id].conditions == "No onward sharing"
    assert read.grant_status(grant.id) == "revoked"
    assert reopened._view is None  # no in-memory copy of the current graphs was made
