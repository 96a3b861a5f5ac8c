"""A steward's change set on the national store: check (with its predicted effect on one figure),
apply (the touched organisations' org_area rows placed again) and revert, each timed, side by
side with the way it ran before (each reference read copied the store into memory again, and a
refresh of a few organisations worked out the catchment states every organisation shares).

Needs a national store with its numbers store beside it ($NHSKG_BENCH_STORE, or the national-load
benchmark's); each way runs on a fresh copy of both, in a child process of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from bench.core import Context, Row, benchmark, row

CHANGE_SET = {
    "id": "bench-rw6-axg",
    "author": "a.steward@example.nhs.uk",
    "reason": "benchmark: RW6's split weights as agreed; AXG is a South West provider",
    "changes": [
        {"record_succession": {"type": "Split", "predecessors": ["RW6"],
                               "successors": ["R0A", "RM3"], "date": "2021-10-01",
                               "weights": {"R0A": 0.3, "RM3": 0.7}}},
        {"assign_provider": {"code": "AXG", "class": "Organisation",
                             "name": "AXG (independent provider)", "region": "Y58",
                             "from": "2020-04-01"}},
    ],
}  # fmt: skip
STEPS = ("check", "apply", "revert")


def as_before() -> None:
    """The earlier behaviour, for the side-by-side figures: no kept in-memory copy, and shared
    catchment states worked out whatever the number of organisations placed."""
    from service.geography.methods import Context as PlacementContext
    from service.rdf.store import GraphStore

    GraphStore._keeps_view = lambda self: False  # type: ignore[method-assign]
    shared = PlacementContext.catchment_state

    def always_shared(self: Any, table: str, area_type: str, on: Any) -> int | None:
        flag, self.share_catchment_states = self.share_catchment_states, True
        try:
            return shared(self, table, area_type, on)
        finally:
            self.share_catchment_states = flag

    PlacementContext.catchment_state = always_shared  # type: ignore[method-assign]


def run_steps(store_path: Path, numbers_path: Path) -> dict[str, float]:
    """Check, apply and revert the change set; seconds each."""
    import time
    from datetime import date

    from service.rdf.store import GraphStore
    from service.rdf.vocab import NHSKG
    from service.returns.numbers import NumbersStore
    from service.rollup.model import Method, to_organisations_at
    from service.stewardship.changeset import parse_changeset
    from service.stewardship.effect import FigureQuestion
    from service.stewardship.workflow import apply, check, effect_hook, revert

    store, numbers = GraphStore(store_path), NumbersStore(numbers_path)
    changeset = parse_changeset(CHANGE_SET)
    question = FigureQuestion(
        str(NHSKG.BedsOccupiedCovid), "ICB", date(2020, 4, 15), Method.HEADQUARTERS,
        to_organisations_at(date(2026, 4, 1)),
    )  # fmt: skip
    out: dict[str, float] = {}
    started = time.perf_counter()
    assert check(store, changeset, effect_hook(numbers, question)).status == "valid"
    out["check"] = time.perf_counter() - started
    started = time.perf_counter()
    assert apply(store, changeset, numbers).status == "applied"
    out["apply"] = time.perf_counter() - started
    started = time.perf_counter()
    revert(store, changeset.id, author="bench", reason="round trip", numbers=numbers)
    out["revert"] = time.perf_counter() - started
    return out


def child(way: str, store_path: str, numbers_path: str) -> None:
    if way == "before":
        as_before()
    print(json.dumps(run_steps(Path(store_path), Path(numbers_path))))


def _run_way(way: str, store: Path, numbers: Path, scratch: Path, timeout: float) -> dict[str, Any]:
    import subprocess

    target = scratch / f"steward-{way}"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(store, target / "store")
    shutil.copyfile(numbers, target / "numbers.duckdb")
    code = "import sys; from bench.steward_bench import child; child(*sys.argv[1:])"
    done = subprocess.run(
        [sys.executable, "-c", code, way, str(target / "store"), str(target / "numbers.duckdb")],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    shutil.rmtree(target, ignore_errors=True)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@benchmark("steward")
def steward(ctx: Context) -> list[Row]:
    given = ctx.shared.get("national_store") or os.environ.get("NHSKG_BENCH_STORE")
    store = Path(str(given)) if given else None
    numbers = store.parent / "numbers.duckdb" if store else None
    if store is None or numbers is None or not store.exists() or not numbers.exists():
        return [row("national: steward check", None, "s", note="no national store given "
                    "($NHSKG_BENCH_STORE, with numbers.duckdb beside it)")]  # fmt: skip
    timeout = max(ctx.timeout, 900.0)
    now = _run_way("now", store, numbers, ctx.scratch, timeout)
    before = _run_way("before", store, numbers, ctx.scratch, timeout)
    rows = []
    for step in STEPS:
        note = f"before: {before[step]:.1f} s" if step in before else before.get("error", "")
        if step in now and step in before:
            note += f"; {before[step] / now[step]:.1f}x faster"
        rows.append(row(f"national: steward {step} (RW6 weights, AXG)", now.get(step), "s",
                        note=note))  # fmt: skip
    return rows
