"""One walker of the succession chains (service/reference/successions.py): every caller that asks
who carries a code on, or which codes carry it on later, gets the walker's answer. Checked over
every code of every change event of the national reference, on the dates the events take effect
and a few between, and on small hand-made worlds for the cases the national data lacks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from service.geography.carrying_on import IndexCarryingOn, SuccessionTable
from service.rdf.store import GraphStore
from service.reference.successions import (
    Hop,
    Step,
    SuccessionIndex,
    later_carriers,
    walk,
)
from service.returns.codes import carried_on, successor_on

FIXED_DAYS = (date(2019, 1, 1), date(2020, 4, 15), date(2022, 7, 1), date(2026, 4, 1))


def _days(index: SuccessionIndex) -> list[date]:
    effective = {s.effective for s in index.steps}
    edges = {d + delta for d in effective for delta in (timedelta(days=-1), timedelta())}
    return sorted(edges | set(FIXED_DAYS))


def _disagreements(index: SuccessionIndex, lookup: Any) -> list[tuple[Any, ...]]:
    """Every caller's answer against the walker's, for every code an event names."""
    carrying_on = IndexCarryingOn(index)
    codes = sorted({c for s in index.steps for c in (*s.originals, *s.resultings)})
    wrong: list[tuple[Any, ...]] = []
    for code in codes:
        later = later_carriers([code], index.hops)
        if index.later_carriers([code]) != later:
            wrong.append(("later_carriers", code))
        for other in later:  # lineage is later_carriers read backwards
            if code not in index.lineage(other):
                wrong.append(("lineage", code, other))
        for day in _days(index):
            truth = walk(code, day, index.hops)
            assert truth.successors, (code, day)
            if not set(truth.codes) <= later:
                wrong.append(("later", code, day, truth.codes))
            if index.resolve(code, day) != truth:
                wrong.append(("resolve", code, day))
            if tuple(carrying_on(code, day)) != truth.codes:
                wrong.append(("carrying_on", code, day))
            if successor_on(code, day, index.hops) != truth.codes:
                wrong.append(("successor_on", code, day))
            shares, unweighted = carried_on(code, day, index.hops)
            weights = {s.code: s.weight for s in truth.successors}
            if unweighted != truth.unweighted_splits or (
                not unweighted and dict(shares) != pytest.approx(weights)
            ):
                wrong.append(("carried_on", code, day, shares, unweighted, weights))
            state = lookup.asof.organisation_on(code, day)
            if state.status == "closed" and state.successors != truth:
                wrong.append(("asof", code, day))
            if state.status in ("open", "closed"):
                _, _, carriers = lookup.carried_on_by(code, day)
                got = {c["code"]: c["weight"] for c in carriers}
                want = weights if state.status == "closed" else {code: 1.0}
                if got != want:
                    wrong.append(("carried_on_by", code, day, got, want))
    return wrong


@pytest.mark.national
def test_every_caller_agrees_with_the_walker_on_the_national_successions(
    national_store: GraphStore, national_lookup: Any
) -> None:
    index = national_lookup.asof.successions
    assert len(index.steps) > 20, "too few events: the comparison would prove little"
    assert index.steps == SuccessionIndex.from_store(national_store).steps
    assert not _disagreements(index, national_lookup)[:10]


def test_the_sample_successions_agree_too(sample_store: GraphStore) -> None:
    from service.geography.lookup import Lookup

    lookup = Lookup.from_store(sample_store)
    index = lookup.asof.successions
    assert index.steps
    assert not _disagreements(index, lookup)[:10]


def _index(*steps: tuple[str, date, tuple[str, ...], tuple[str, ...]]) -> SuccessionIndex:
    return SuccessionIndex(
        [Step(event, "Succession", day, "stated", old, new) for event, day, old, new in steps], {}
    )


def test_a_cycle_ends() -> None:
    """A -> B and B -> A on one day (bad data): the walk stops instead of going round."""
    index = _index(
        ("e1", date(2020, 1, 1), ("A",), ("B",)), ("e2", date(2020, 1, 1), ("B",), ("A",))
    )
    assert index.resolve("A", date(2021, 1, 1)).codes == ("A",)
    assert later_carriers(["A"], index.hops) == {"A", "B"}
    assert index.lineage("A") == frozenset({"A", "B"})


def test_a_merger_after_a_split_adds_both_routes_up() -> None:
    hops = {
        "A": [Hop(date(2020, 1, 1), ("B", "C"), (0.25, 0.75))],
        "B": [Hop(date(2021, 1, 1), ("D",))],
        "C": [Hop(date(2021, 1, 1), ("D",))],
    }
    found = walk("A", date(2022, 1, 1), lambda c: hops.get(c, []))
    assert [(s.code, s.weight) for s in found.successors] == [("D", 1.0)]
    assert [step.effective for step in found.successors[0].chain] == [
        date(2020, 1, 1),
        date(2021, 1, 1),
    ]
    assert walk("A", date(2020, 6, 1), lambda c: hops.get(c, [])).codes == ("B", "C")
    assert walk("A", date(2019, 6, 1), lambda c: hops.get(c, [])).carried_on is False


def test_an_unweighted_split_is_named_once_and_not_past_it() -> None:
    hops = {
        "A": [Hop(date(2020, 1, 1), ("B", "C"))],
        "B": [Hop(date(2021, 1, 1), ("E", "F"))],
    }
    found = walk("A", date(2022, 1, 1), lambda c: hops.get(c, []))
    assert found.codes == ("C", "E", "F") and found.unweighted
    assert found.unweighted_splits == ("B", "C")
    assert carried_on("A", date(2022, 1, 1), lambda c: hops.get(c, [])) == ((), ("B", "C"))


def test_the_table_of_facts_walks_like_the_index() -> None:
    table = SuccessionTable(
        [("A", "B", date(2020, 1, 1)), ("A", "C", date(2020, 1, 1)), ("B", "D", date(2021, 1, 1))]
    )
    assert table("A", date(2019, 1, 1)) == ("A",)
    assert table("A", date(2020, 6, 1)) == ("B", "C")
    assert table("A", date(2021, 6, 1)) == ("C", "D")
    assert table.lineage("D") == frozenset({"A", "B", "D"})
