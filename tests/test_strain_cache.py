"""The early-warning answers the dashboards keep (service/strain/cache.py): a repeated question is
answered from the kept flags, and a new release, a retired batch or a restored one changes the
store's release key, so the next answer is the fresh one, never the kept one (real rows of the
NHS England weekly releases, cut to sample providers; the 2020-12-03 release revises a value
inside the forecast's training window)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from service.rdf.store import GraphStore
from service.rdf.vocab import NHSKG
from service.reference.strain import EarlyWarningIndex
from service.returns.batches import restore, retire
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.rollup.model import Method, region
from service.strain.areas import strain_flags
from service.strain.cache import cached_strain_flags, kept_questions
from service.strain.flags import StrainFlag
from tests.returns_support import (
    WEEKLY_DIR,
    WEEKLY_RELEASES,
    revising,
    weekly_name,
    write_weekly_cut,
)

BEDS = str(NHSKG.BedsOccupiedCovid)
CODES = {"RA7", "RBD", "RK9", "RH8", "RBL", "RXN", "RM3", "REF"}
REVISED = ("RA7", "2020-11-10")
ORIGIN = date(2020, 11, 17)  # the last day the first release holds


@pytest.fixture(scope="module")
def env(shared_data: Path, sample_store: GraphStore, tmp_path_factory: Any) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("strain-cache")
    cuts = {
        r: write_weekly_cut(
            shared_data / WEEKLY_DIR / weekly_name(r),
            folder,
            CODES,
            {"All beds COVID"},
            revising(*REVISED, 60) if r == "2020-12-03" else None,
        )
        for r in WEEKLY_RELEASES[:3]
    }
    store, numbers = sample_store.copy_in_memory(), NumbersStore(None)
    assert load_return_file(store, numbers, cuts["2020-11-19"]).status == "loaded"
    return {"store": store, "numbers": numbers, "cuts": cuts}


def _figures(flags: list[StrainFlag]) -> list[tuple[Any, ...]]:
    return [
        (f.area, f.current_value, f.forecast.value if f.forecast else None, f.flagged, f.reason)
        for f in flags
    ]


def _ask(numbers: NumbersStore, index: EarlyWarningIndex, **changes: Any) -> list[StrainFlag]:
    question: dict[str, Any] = {"scope": region("Y58")} | changes
    return cached_strain_flags(
        numbers, index, BEDS, "NHS_REGION", Method.RETURN_STATED, origin=ORIGIN, **question
    )


def test_kept_until_a_release_changes_the_data(env: dict[str, Any]) -> None:
    store, numbers = env["store"], env["numbers"]
    index = EarlyWarningIndex.build(store)
    first = _ask(numbers, index)
    assert {f.area for f in first} == {"Y58"} and first[0].forecast is not None
    kept = kept_questions(numbers)
    again = _ask(numbers, index)
    assert kept_questions(numbers) == kept  # the same question: no new answer kept
    assert all(a is b for a, b in zip(again, first, strict=True))  # the kept flags themselves
    again.clear()  # each call gets its own list: a caller emptying it empties nothing kept
    assert len(_ask(numbers, index)) == len(first)
    # Another question (another region's scope) is a new answer, not the kept one.
    other = _ask(numbers, index, scope=region("Y62"))
    assert {f.area for f in other} == {"Y62"}
    assert kept_questions(numbers) == kept + 1

    # The next releases: the 2020-12-03 one revises RA7 (South West) inside the training window.
    for release in WEEKLY_RELEASES[1:3]:
        assert load_return_file(store, numbers, env["cuts"][release]).status == "loaded"
    fresh = strain_flags(numbers, index, BEDS, "NHS_REGION", Method.RETURN_STATED,
                         scope=region("Y58"), origin=ORIGIN)  # fmt: skip
    after = _ask(numbers, index)
    assert _figures(after) == _figures(fresh)
    assert _figures(after) != _figures(first)  # the revision moved the figures
    assert not any(a is b for a, b in zip(after, first, strict=True))

    # A steward retires the revising release: the key changes again, the first figures return.
    batch = _batch_of(numbers, "2020-12-03")
    retire(store, numbers, batch, "revision withdrawn for checking")
    assert _figures(_ask(numbers, index)) == _figures(first)
    restore(store, numbers, batch, "checked")
    assert _figures(_ask(numbers, index)) == _figures(fresh)


def _batch_of(numbers: NumbersStore, release: str) -> str:
    row = numbers.con.execute(
        "SELECT batch_id FROM batch WHERE status = 'current' AND file LIKE ?", [f"%{release}%"]
    ).fetchone()
    assert row is not None, numbers.batches()
    return str(row[0])


def test_the_release_key_moves_with_each_batch_change(env: dict[str, Any]) -> None:
    numbers = NumbersStore(None)
    empty = numbers.release_key()
    assert numbers.release_key() == empty  # read twice, nothing changed: the same key
    assert load_return_file(env["store"].copy_in_memory(), numbers, env["cuts"]["2020-11-19"])
    assert numbers.release_key() != empty
