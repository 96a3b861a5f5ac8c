"""Succession resolution on the real ODS successor files (national store)."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from service.rdf.store import GraphStore
from service.reference.successions import SuccessionIndex

pytestmark = pytest.mark.national


@pytest.fixture(scope="module")
def index(national_store: GraphStore) -> SuccessionIndex:
    return SuccessionIndex.from_store(national_store)


def test_rd3_is_carried_on_by_r0d_after_the_2020_merger(index: SuccessionIndex) -> None:
    resolution = index.resolve("RD3", date(2021, 1, 1))
    assert resolution.codes == ("R0D",)
    [successor] = resolution.successors
    assert successor.weight == 1.0
    [step] = successor.chain
    assert (step.type, step.effective, step.basis) == ("Merger", date(2020, 10, 1), "inferred")
    assert step.originals == ("RD3", "RDZ")


def test_rd3_is_itself_before_the_merger(index: SuccessionIndex) -> None:
    resolution = index.resolve("RD3", date(2020, 9, 1))
    assert resolution.codes == ("RD3",)
    assert not resolution.carried_on


def test_rw6_splits_into_rm3_and_r0a_unweighted(index: SuccessionIndex) -> None:
    resolution = index.resolve("RW6", date(2022, 1, 1))
    assert resolution.codes == ("R0A", "RM3")
    assert resolution.unweighted
    assert {s.chain[0].type for s in resolution.successors} == {"Split"}
    assert len(index.successor_events("RW6")) == 1  # one event, two successors


def test_rq6_is_acquired_by_rem_which_reuses_aintrees_code(index: SuccessionIndex) -> None:
    resolution = index.resolve("RQ6", date(2020, 1, 1))
    assert resolution.codes == ("REM",)
    assert resolution.successors[0].chain[0].type == "Acquisition"
    assert index.resolve("REM", date(2020, 1, 1)).codes == ("REM",)


def test_r0d_predecessors(index: SuccessionIndex) -> None:
    [event] = index.predecessors("R0D")
    assert event.originals == ("RD3", "RDZ")


def test_one_event_for_rgq_to_rde_dated_a_day_apart_in_the_two_files(
    index: SuccessionIndex,
) -> None:
    [event] = index.successor_events("RGQ")
    assert event.effective == date(2018, 7, 1)
    assert event.also_dated_on == (date(2018, 6, 30),)
    assert event.resultings == ("RDE",)


def test_five_character_trust_code_is_a_merger_successor(index: SuccessionIndex) -> None:
    # RRP and TAF into G6V2S (2024-11-01): TAF is not in the trust files, so the event keeps RRP
    # but is still typed from the whole of it as the file states it.
    [event] = [e for e in index.predecessors("G6V2S") if e.effective == date(2024, 11, 1)]
    assert event.originals == ("RRP",)
    assert event.type == "Merger"
    assert index.resolve("RRP", date(2026, 7, 1)).codes == ("G6V2S",)


def test_transitive_chain_through_two_events(index: SuccessionIndex) -> None:
    # The longest chain in the real data: every step starts from a successor of the step before,
    # never earlier in time.
    resolutions = [
        index.resolve(code, date(2026, 7, 1)) for step in index.steps for code in step.originals
    ]
    longest = max(resolutions, key=lambda r: max(len(s.chain) for s in r.successors))
    steps = longest.successors[0].chain
    assert len(steps) >= 2
    for before, after in pairwise(steps):
        assert before.effective <= after.effective
        assert set(before.resultings) & set(after.originals)
