"""Which organisations carry on an organisation's work on a date (the interface area assignment
needs from the succession resolver).

`CarryingOn` is any callable `(ods_code, on) -> codes`: the code itself while it is open, else its
successors on that date, following chains of successions through the one walker
(service/reference/successions.py, typed change events) behind `IndexCarryingOn`;
`successions_from_store` reads the events from the graph, `SuccessionTable` from plain facts.

A carrying-on that also offers `lineage(code)` (the code and every code that passed to it,
transitively, whatever the date) and `dates_of(codes)` (the dates its events take effect) lets
the methods look only at an organisation's own facts, and the org_area table evaluate each
organisation only on the dates its answer can change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Protocol, runtime_checkable

from service.rdf.store import GraphStore
from service.reference.successions import Step, SuccessionIndex

CarryingOn = Callable[[str, date], Sequence[str]]


@runtime_checkable
class Lineages(Protocol):
    def lineage(self, code: str) -> frozenset[str]: ...

    def dates_of(self, codes: Iterable[str]) -> set[date]: ...


def itself(code: str, on: date) -> Sequence[str]:
    """No successions known: every organisation carries on itself."""
    return (code,)


class IndexCarryingOn:
    """The succession index (typed events, service/reference/successions.py) as a carrying-on:
    its one walker answers who carries a code on, its lineages which codes passed to it."""

    def __init__(self, index: SuccessionIndex) -> None:
        self.index = index

    def __call__(self, code: str, on: date) -> Sequence[str]:
        return self.index.resolve(code, on).codes

    def lineage(self, code: str) -> frozenset[str]:
        return self.index.lineage(code)

    def dates_of(self, codes: Iterable[str]) -> set[date]:
        return self.index.dates_of(codes)


class SuccessionTable(IndexCarryingOn):
    """Successions written as (predecessor, successor, effective date) facts (tests, small
    worlds): the facts of one predecessor on one date are one event, walked by the index."""

    def __init__(self, successions: Sequence[tuple[str, str, date]]) -> None:
        events: dict[tuple[str, date], set[str]] = {}
        for old, new, effective in successions:
            events.setdefault((old, effective), set()).add(new)
        steps = [
            Step(
                f"table:{old}/{d}",
                "Succession",
                d,
                "stated",
                (old,),
                tuple(sorted(new)),
            )
            for (old, d), new in events.items()
        ]
        super().__init__(SuccessionIndex(steps, {}))


def successions_from_store(store: GraphStore) -> IndexCarryingOn:
    """The one succession index (stated events over inferred ones) as a carrying-on: the
    org_area table and the lookup walk the same successions."""
    return IndexCarryingOn(SuccessionIndex.from_store(store))
