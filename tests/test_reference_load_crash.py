"""A reference load (`nhskg load`, an ODS or ONS file) SIGKILLed at any moment leaves the store
old or new (issue 14), and the next load lands the new version: a real subprocess is killed at
each named point (NHSKG_PAUSE_AT, service/faults.py) and at seeded random moments.

A reference load writes one store only, the graph: its triples go in first, unfinished (no
reader counts them, the next writer discards them: GraphStore._discard_unfinished), and its
record (PROV-O generatedAtTime and the retirement of the graph it replaces) lands in one
transaction, the commit point. The saved reference snapshot is written after it, atomically,
under a fingerprint of the current graphs, so a snapshot older than the graphs is never read.
There is no second store, hence no journal (service/returns/journal.py is for return loads,
which write DuckDB and the graph)."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.rdf.store import GraphStore
from service.rdf.terms import ROOT, SAMPLE_DATA_DIR
from service.reference.organisations import OrganisationIndex
from service.reference.saved import SnapshotUnusable, fingerprint, load
from tests.support.kill import child_env, kill_at
from tests.support.stores import backup_store

ETR = SAMPLE_DATA_DIR / "ods/etr-2026-07.csv"
NHSKG = [sys.executable, "-m", "service.cli"]
TRUST = "R0A"
RENAMED = "MANCHESTER UNIVERSITY NHS FOUNDATION TRUST (RENAMED FOR THE CRASH TEST)"


@dataclass(frozen=True)
class State:
    """What a reader sees: the current graphs and the trust's name as the graph has it."""

    graphs: frozenset[str]
    name: str


def state_of(store_dir: Path) -> State:
    store = GraphStore(store_dir, read_only=True)
    try:
        found = OrganisationIndex.build(store).find(TRUST)
        assert found is not None
        return State(frozenset(store.current_graphs()), found.name)
    finally:
        store.close()


def saved_snapshot_is_current(store_dir: Path) -> bool:
    """Whether the snapshot saved with the store is the one of its current graphs (a stale one
    is never read: ReferenceData.current builds instead)."""
    store = GraphStore(store_dir, read_only=True)
    try:
        load(store, fingerprint(store))
        return True
    except SnapshotUnusable:
        return False
    finally:
        store.close()


@dataclass(frozen=True)
class Scene:
    template: Path  # the sample store with its snapshot saved, never written again
    changed: Path  # the same file (same name: same vintage) with one trust renamed
    old: State
    new: State


def _command(work: Path, changed: Path) -> list[str]:
    return [*NHSKG, "--store", str(work / "store"), "load", str(changed), "--mapping", "ods-etr"]


def _nhskg(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [*NHSKG, "--store", str(work / "store"), *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=child_env())  # fmt: skip


def _load(work: Path, changed: Path) -> subprocess.CompletedProcess[str]:
    return _nhskg(work, "load", str(changed), "--mapping", "ods-etr")


@pytest.fixture(scope="module")
def scene(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    root = tmp_path_factory.mktemp("reference-crash")
    template = root / "template"
    template.mkdir()
    backup_store(sample_store, template / "store")
    saved = _nhskg(template, "snapshot")  # a served store keeps its snapshot current
    assert saved.returncode == 0, saved.stderr
    assert saved_snapshot_is_current(template / "store")
    changed = root / "changed" / ETR.name
    changed.parent.mkdir()
    text = ETR.read_text()
    original = '"MANCHESTER UNIVERSITY NHS FOUNDATION TRUST"'
    assert text.count(original) == 1
    changed.write_text(text.replace(original, f'"{RENAMED}"'))
    old = state_of(template / "store")
    finished = root / "finished"
    shutil.copytree(template, finished)
    done = _load(finished, changed)
    assert done.returncode == 0, done.stderr
    new = state_of(finished / "store")
    assert "RENAMED" not in old.name.upper() and "RENAMED" in new.name.upper()
    assert old.graphs != new.graphs
    assert saved_snapshot_is_current(finished / "store")
    return Scene(template, changed, old, new)


def _copy(scene: Scene, target: Path) -> Path:
    shutil.copytree(scene.template, target)
    return target


def _unfinished(work: Path) -> list[str]:
    store = GraphStore(work / "store", read_only=True)
    try:
        return store.unfinished_graphs()
    finally:
        store.close()


def _recovered(work: Path) -> State:
    """What the next writer finds once it holds the write lock (it discards what a killed writer
    left unfinished), and then the state readers see."""
    store = GraphStore(work / "store")
    try:
        with store.writing():
            pass
        assert store.unfinished_graphs() == []
    finally:
        store.close()
    return state_of(work / "store")


# Where the kill lands and what the store must then hold.
POINTS = {
    "graph-content": "old",  # the graph's triples written, its record (the commit point) not
    "reference-recorded": "new",  # recorded; the saved snapshot not yet rebuilt (stale)
    "snapshot-staged": "new",  # the new snapshot written to its scratch file, not in place
}


@pytest.mark.parametrize("point", list(POINTS))
def test_a_reference_load_killed_at_each_point_is_old_or_new(
    scene: Scene, tmp_path: Path, point: str
) -> None:
    work = _copy(scene, tmp_path / "work")
    kill_at(_command(work, scene.changed), point)
    expected = scene.old if POINTS[point] == "old" else scene.new
    # Readers see old or new at once, before any recovery: an unfinished graph is not current.
    assert state_of(work / "store") == expected
    if point == "graph-content":
        assert _unfinished(work), "the kill must land with the new graph's triples written"
    # The saved snapshot is used only when it is the current graphs' (after the commit it is
    # stale until rebuilt, and then never read).
    assert saved_snapshot_is_current(work / "store") == (POINTS[point] == "old")
    assert _recovered(work) == expected
    # The next load lands the new version and saves the snapshot of it.
    again = _load(work, scene.changed)
    assert again.returncode == 0, again.stderr
    assert state_of(work / "store") == scene.new
    assert saved_snapshot_is_current(work / "store")


def test_the_next_load_discards_the_killed_ones_unfinished_graph(
    scene: Scene, tmp_path: Path
) -> None:
    """No separate step: the steward's next `nhskg load` finds the half-written graph gone."""
    work = _copy(scene, tmp_path / "work")
    kill_at(_command(work, scene.changed), "graph-content")
    unfinished = _unfinished(work)
    assert unfinished
    again = _load(work, scene.changed)
    assert again.returncode == 0 and ": loaded (" in again.stderr, again.stderr
    assert _unfinished(work) == []
    assert state_of(work / "store") == scene.new
    # The graph's name is its content's: the same graph, discarded, then written whole.
    assert set(unfinished) <= scene.new.graphs


KILLS = 4


def test_reference_loads_killed_at_random_moments_leave_the_store_old_or_new(
    scene: Scene, tmp_path: Path
) -> None:
    started = time.monotonic()
    timing = _load(_copy(scene, tmp_path / "timing"), scene.changed)
    whole = time.monotonic() - started
    assert timing.returncode == 0, timing.stderr
    rng = random.Random(14)
    outcomes = []
    for i in range(KILLS):
        work = _copy(scene, tmp_path / f"kill-{i}")
        delay = rng.uniform(0.3 * whole, 1.0 * whole)  # imports come first: skip most of them
        child = subprocess.Popen(
            _command(work, scene.changed), cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=child_env(),
        )  # fmt: skip
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        code = child.wait(timeout=60)
        seen = state_of(work / "store")
        assert seen in (scene.old, scene.new), (i, delay, code, seen)
        after = _recovered(work)
        assert after == seen, (i, delay, code)
        outcomes.append((code, after == scene.new))
        again = _load(work, scene.changed)
        assert again.returncode == 0, again.stderr
        assert state_of(work / "store") == scene.new
    # The kills must have landed: at least one load was cut short.
    assert any(code == -signal.SIGKILL for code, _ in outcomes), outcomes
