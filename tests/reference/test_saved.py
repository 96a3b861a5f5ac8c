"""The reference snapshot saved with the store (service/reference/saved.py), on the embedded
sample: read back instead of built, identical to a fresh build, and never used once the current
graphs, the code or the file itself changed."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from service.api.app import create_app
from service.config import Settings
from service.loader import load_file
from service.rdf.store import GraphStore
from service.reference import ReferenceData, saved
from service.stewardship.changeset import parse_changeset
from service.stewardship.workflow import apply, check, revert
from tests.http_server import serve
from tests.support.auth import bearer
from tests.support.changes import MOVE_BCP
from tests.support.snapshots import answers, current, differences

CODES = ["R0D", "RD3", "RDZ", "RW6", "RM3", "RBD", "RA7", "R0A"]
DAYS = [date(2019, 6, 1), date(2020, 4, 15), date(2021, 12, 1), date(2026, 7, 1)]


@pytest.fixture
def store(sample_store: GraphStore, tmp_path: Path) -> GraphStore:
    """A copy of the sample store on disk (the session's stays as it is), opened for writing."""
    target = tmp_path / "store"
    sample_store._store.backup(str(target))
    return GraphStore(target)


def move_bcp(changeset_id: str = "move-bcp") -> Any:
    return parse_changeset({"id": changeset_id, **MOVE_BCP})


def lrfs_of_r0d(ref: ReferenceData, on: date) -> set[str]:
    """The LRFs University Hospitals Dorset's catchment reaches (the sample has no sites)."""
    return {a["code"] for a in ref.lookup.lookup("R0D", "LRF", on, "CATCHMENT").areas}


def test_a_start_reads_the_saved_snapshot_and_it_answers_as_a_fresh_build(
    store: GraphStore,
) -> None:
    _, built = current(store)
    assert built == 1 and saved.has_saved(store)
    again, built = current(store)
    assert built == 0, "the saved snapshot was built again"
    fresh = ReferenceData.build(store)
    assert differences(again, fresh) == []
    assert answers(again, CODES, DAYS) == answers(fresh, CODES, DAYS)
    assert ReferenceData.current(store).organisations.find("R0D") is not None


def test_loading_a_file_after_saving_makes_it_stale(store: GraphStore, tmp_path: Path) -> None:
    current(store)
    source = Path(__file__).resolve().parents[2] / "data/sample/ods/etr-2026-07.csv"
    renamed = tmp_path / "newer" / source.name  # the same source and vintage, a changed file
    renamed.parent.mkdir()
    renamed.write_text(
        source.read_text().replace("UNIVERSITY HOSPITALS DORSET", "DORSET UNIVERSITY HOSPITALS")
    )
    assert load_file(store, renamed, "ods-etr").status == "loaded"
    ref, built = current(store)
    assert built == 1, "a snapshot of the graphs before the load was used"
    organisation = ref.organisations.find("R0D")
    assert organisation is not None and organisation.name.startswith("Dorset University")
    assert differences(ref, ReferenceData.build(store)) == []


def test_apply_and_revert_each_make_it_stale_and_a_dry_run_does_not(store: GraphStore) -> None:
    before, _ = current(store)
    assert lrfs_of_r0d(before, date(2022, 1, 1)) == {"E48000009", "E48000014"}
    assert check(store, move_bcp()).status == "valid"  # recorded in provenance only
    assert current(store)[1] == 0
    assert apply(store, move_bcp()).status == "applied"
    applied, built = current(store)
    assert built == 1
    assert "E48000010" in lrfs_of_r0d(applied, date(2022, 1, 1))
    revert(store, "move-bcp", author="b.steward@example.nhs.uk", reason="test over")
    reverted, built = current(store)
    assert built == 1
    assert differences(reverted, ReferenceData.build(store)) == []  # before its first use
    assert lrfs_of_r0d(reverted, date(2022, 1, 1)) == {"E48000009", "E48000014"}


@pytest.mark.parametrize("damage", ["truncated", "flipped byte", "not a snapshot", "empty"])
def test_a_damaged_file_is_never_used(store: GraphStore, damage: str) -> None:
    current(store)
    path = saved.snapshot_path(store)
    assert path is not None
    data = path.read_bytes()
    if damage == "truncated":
        data = data[: len(data) * 2 // 3]
    elif damage == "flipped byte":
        data = data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:]
    elif damage == "not a snapshot":
        data = b"hello" + data[5:]
    else:
        data = b""
    path.write_bytes(data)
    with pytest.raises(saved.SnapshotUnusable):
        saved.load(store, saved.fingerprint(store))
    ref, built = current(store)
    assert built == 1
    assert differences(ref, ReferenceData.build(store)) == []
    assert current(store)[1] == 0, "the rebuilt snapshot was saved in place of the damaged one"


def test_a_snapshot_of_other_code_is_stale(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    current(store)
    monkeypatch.setattr(saved, "code_digest", lambda: "other code")
    assert current(store)[1] == 1


def test_the_fingerprint_follows_the_current_graphs_only(store: GraphStore) -> None:
    key = saved.fingerprint(store)
    assert saved.fingerprint(store) == key
    store.record_provenance([])  # an activity record changes no reference graph
    assert saved.fingerprint(store) == key
    assert apply(store, move_bcp()).status == "applied"
    assert saved.fingerprint(store) != key


def test_an_interrupted_save_leaves_the_old_file(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref, _ = current(store)
    path = saved.snapshot_path(store)
    assert path is not None
    before = path.read_bytes()

    def fail(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        saved.save(store, ref, "another key")
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.glob(saved.FILE_NAME + "*")] == [saved.FILE_NAME]


def test_a_read_only_store_is_never_written(sample_store: GraphStore, tmp_path: Path) -> None:
    target = tmp_path / "store"
    sample_store._store.backup(str(target))
    read_only = GraphStore(target, read_only=True)
    ref, built = current(read_only)
    assert built == 1 and not saved.has_saved(read_only)
    assert ref.organisations.find("R0D") is not None


def test_the_server_starts_from_the_saved_snapshot_and_a_change_refreshes_it(
    store: GraphStore,
) -> None:
    """Through the real app: the snapshot a start reads is re-saved after a GraphQL apply, and
    the REST lookup answers from the refreshed one."""
    ReferenceData.current(store)
    app = create_app(Settings(store_path=None, numbers_path=None), store=store)
    change = yaml.safe_dump({"id": "gql-move", **MOVE_BCP})
    lookup = "/lookup/R0D/LRF?asOf=2022-01-01&method=CATCHMENT"
    with serve(app) as url:
        assert _areas(httpx.get(url + lookup, headers=bearer())) == {"E48000009", "E48000014"}
        body = {
            "query": "mutation($cs: String!) { applyChangeSet(changeSet: $cs) { status } }",
            "variables": {"cs": change},
        }
        reply = httpx.post(url + "/graphql", json=body, headers=bearer("steward")).json()
        assert reply["data"]["applyChangeSet"]["status"] == "applied", reply
        assert "E48000010" in _areas(httpx.get(url + lookup, headers=bearer()))
    assert current(store)[1] == 0, "the refreshed snapshot was not saved"


def _areas(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {a["code"] for a in json.loads(response.text)["areas"]}


def test_a_failed_save_never_fails_a_start(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    ref, built = current(store)
    assert built == 1 and not saved.has_saved(store)
    assert ref.organisations.find("R0D") is not None


def test_a_save_removes_the_scratch_files_of_killed_saves_only(store: GraphStore) -> None:
    """A save killed mid-write leaves its scratch file; the next save removes it, but not one
    young enough to be another process's save in progress."""
    folder = saved.snapshot_path(store)
    assert folder is not None
    killed = folder.parent / f"{saved.FILE_NAME}.killed.tmp"
    running = folder.parent / f"{saved.FILE_NAME}.running.tmp"
    for scratch in (killed, running):
        scratch.write_bytes(b"half a snapshot")
    old = killed.stat().st_mtime - 2 * saved.STALE_SCRATCH_SECONDS
    os.utime(killed, (old, old))
    ReferenceData.current(store)
    assert not killed.exists() and running.exists()
    assert saved.has_saved(store)
