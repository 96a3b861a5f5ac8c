"""The edge's view of the app's publications (service/edge/view.py), in-process over a real store
on disk: it loads what the app publishes, reports itself stale the moment a new publication is
written, and does not read a snapshot it cannot use again and again."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import pytest
from starlette.datastructures import State

from service.edge import view as view_module
from service.edge.state import Publication, Publisher
from service.edge.view import EdgeView, Loaded
from service.rdf.store import GraphStore
from service.reference import ReferenceData
from service.returns.numbers import NumbersStore
from tests.support.stores import copy_store


@pytest.fixture
def store(sample_store: GraphStore, tmp_path: Path) -> GraphStore:
    copied = copy_store(sample_store, tmp_path / "store")
    ReferenceData.current(copied)  # the snapshot saved with it, as a load saves it
    return copied


def test_the_view_follows_the_apps_publications(store: GraphStore, tmp_path: Path) -> None:
    state_path = tmp_path / "edge-state.pickle"
    reference = ReferenceData.current(store)
    publisher = Publisher(state_path, store, reference)
    publisher.attach(None)
    state = State()
    view = EdgeView(state_path, store.path, NumbersStore(None), None, state)  # type: ignore[arg-type]
    assert view.current() is None  # nothing loaded yet: the app answers (a reload starts)
    loaded = caught_up(view)
    assert state.reference is loaded.reference
    assert state.reference.lookup.lookup("RD3", "LRF", reference_day(), "HEADQUARTERS").areas
    time.sleep(0.01)
    publisher.publish()  # e.g. a grant revoked: stale at once, until reloaded
    assert view.current() is None
    again = caught_up(view)
    assert again.reference is loaded.reference  # grants only: the built snapshot kept
    assert again.index is loaded.index  # and the scope index over it


def test_an_unusable_snapshot_is_tried_once_per_publication(
    store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state_path = tmp_path / "edge-state.pickle"
    state_path.write_bytes(pickle.dumps(Publication(1, "not the saved snapshot's key", {})))
    reads: list[str] = []
    real_load = view_module.load

    def counted(store: GraphStore, key: str) -> object:
        reads.append(key)
        return real_load(store, key)

    monkeypatch.setattr(view_module, "load", counted)
    view = EdgeView(state_path, store.path, NumbersStore(None), None, State())  # type: ignore[arg-type]
    for _ in range(3):
        view.reload()
        assert view.loaded is None  # every lookup goes to the app
    assert reads == ["not the saved snapshot's key"]


def caught_up(view: EdgeView) -> Loaded:
    deadline = time.monotonic() + 30
    while (found := view.current()) is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert found is not None, "the view did not load the publication"
    return found


def reference_day():  # type: ignore[no-untyped-def]
    from datetime import date

    return date(2020, 4, 15)
