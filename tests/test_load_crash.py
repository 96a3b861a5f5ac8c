"""A return load SIGKILLed at any moment leaves the graph and the numbers store both old or both
new (issue 14): a real `nhskg returns load` subprocess is killed at each named point of the
two-store write (NHSKG_PAUSE_AT, service/faults.py) and at seeded random moments of the whole
load; the load journal (service/returns/journal.py) then finishes or undoes it."""

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
from service.returns.journal import recover
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from tests.support.kill import child_env, kill_at
from tests.support.stores import backup_store

RETURN = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"
NHSKG = [sys.executable, "-m", "service.cli"]


@dataclass(frozen=True)
class State:
    """What a reader sees of the returns: the batch graphs current in the graph, the batches
    current in the numbers, and the values answering (count, sum, reporters)."""

    graphs: frozenset[str]
    batch_graphs: frozenset[str]
    values: int
    total: float
    reporters: int

    @property
    def in_step(self) -> bool:
        return self.graphs == self.batch_graphs


def state_of(store_dir: Path, numbers_path: Path) -> State:
    store = GraphStore(store_dir, read_only=True)
    numbers = NumbersStore(numbers_path, read_only=True)
    try:
        graphs = frozenset(g for g in store.current_graphs() if "/returns/" in g)
        con = numbers.con
        batches = con.execute("SELECT graph FROM batch WHERE status = 'current'").fetchall()
        row = con.execute("SELECT count(*), coalesce(sum(value), 0) FROM reported_value").fetchone()
        reporters = con.execute("SELECT count(*) FROM reporter").fetchone()
        assert row is not None and reporters is not None
        return State(
            graphs, frozenset(r[0] for r in batches), int(row[0]), float(row[1]), int(reporters[0])
        )
    finally:
        numbers.close()


@dataclass(frozen=True)
class Scene:
    template: Path  # store + numbers.duckdb with the return loaded, never written again
    changed: Path  # a new version of the return (one value fewer)
    old: State
    new: State


@pytest.fixture(scope="module")
def scene(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    root = tmp_path_factory.mktemp("crash")
    template = root / "template"
    template.mkdir()
    backup_store(sample_store, template / "store")
    store, numbers = GraphStore(template / "store"), NumbersStore(template / "numbers.duckdb")
    assert load_return_file(store, numbers, RETURN).status == "loaded"
    store.close()
    numbers.close()
    changed = root / "changed" / RETURN.name
    changed.parent.mkdir()
    lines = RETURN.read_text().splitlines(keepends=True)
    changed.write_text("".join(lines[:-1]))
    old = state_of(template / "store", template / "numbers.duckdb")
    finished = _copy(template, root / "finished")
    done = _nhskg(finished, changed)
    assert done.returncode == 0, done.stderr
    new = state_of(finished / "store", finished / "numbers.duckdb")
    assert old.in_step and new.in_step and old != new and new.values == old.values - 1
    return Scene(template, changed, old, new)


def _copy(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


def _command(work: Path, changed: Path) -> list[str]:
    return [*NHSKG, "--store", str(work / "store"), "--numbers", str(work / "numbers.duckdb"),
            "returns", "load", str(changed)]  # fmt: skip


def _nhskg(work: Path, changed: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(work, changed),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=child_env(),
    )


def _recovered(work: Path) -> State:
    store, numbers = (
        GraphStore(work / "store", read_only=True),
        NumbersStore(work / "numbers.duckdb"),
    )
    try:
        recover(store, numbers)
        assert numbers.journal() == []
    finally:
        numbers.close()
    return state_of(work / "store", work / "numbers.duckdb")


# Where the kill lands and what the stores must then hold together.
POINTS = {
    "numbers-staged": "old",  # DuckDB transaction open, uncommitted
    "numbers-committed": "old",  # numbers committed and journalled, graph not yet written
    "graph-content": "old",  # graph's triples written, its record (the commit point) not
    "graph-recorded": "new",  # graph recorded, journal row still there
}


@pytest.mark.parametrize("point", list(POINTS))
def test_a_load_killed_at_each_point_is_finished_or_undone(
    scene: Scene, tmp_path: Path, point: str
) -> None:
    work = _copy(scene.template, tmp_path / "work")
    kill_at(_command(work, scene.changed), point)
    if point != "numbers-staged":  # the window exists: the two stores disagree until recovery
        assert not state_of(work / "store", work / "numbers.duckdb").in_step or point == (
            "graph-recorded"
        )
    expected = scene.old if POINTS[point] == "old" else scene.new
    assert _recovered(work) == expected
    # The next load runs on stores in step: loading the file again lands the new version.
    again = _nhskg(work, scene.changed)
    assert again.returncode == 0, again.stderr
    assert state_of(work / "store", work / "numbers.duckdb") == scene.new


def test_the_next_load_recovers_on_its_own(scene: Scene, tmp_path: Path) -> None:
    """No separate step: the steward's next `nhskg returns load` undoes the killed one first."""
    work = _copy(scene.template, tmp_path / "work")
    kill_at(_command(work, scene.changed), "numbers-committed")
    again = _nhskg(work, scene.changed)
    assert again.returncode == 0, again.stderr
    assert "was rolled back" in again.stderr
    assert state_of(work / "store", work / "numbers.duckdb") == scene.new


KILLS = 10


def test_loads_killed_at_random_moments_leave_both_stores_old_or_new(
    scene: Scene, tmp_path: Path
) -> None:
    started = time.monotonic()
    timing = _nhskg(_copy(scene.template, tmp_path / "timing"), scene.changed)
    whole = time.monotonic() - started
    assert timing.returncode == 0, timing.stderr
    rng = random.Random(14)
    outcomes = []
    for i in range(KILLS):
        work = _copy(scene.template, tmp_path / f"kill-{i}")
        delay = rng.uniform(0.3 * whole, 1.0 * whole)  # imports come first: skip most of them
        child = subprocess.Popen(
            _command(work, scene.changed), cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=child_env(),
        )  # fmt: skip
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        code = child.wait(timeout=60)
        after = _recovered(work)
        assert after in (scene.old, scene.new), (i, delay, code, after)
        outcomes.append((code, after == scene.new))
    # The kills must have landed: at least one load was cut short.
    assert any(code == -signal.SIGKILL for code, _ in outcomes), outcomes
