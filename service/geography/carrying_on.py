"""Which organisations carry on an organisation's work on a date (the interface area assignment
needs from the succession resolver).

`CarryingOn` is any callable `(ods_code, on) -> codes`: the code itself while it is open, else its
successors that are open on that date (following chains of successions). The full resolver
(service/reference/successions.py, typed change events) plugs in through `IndexCarryingOn`;
`successions_from_store` reads nhskg:Succession events straight from the graph.

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
from service.reference.successions import SuccessionIndex

CarryingOn = Callable[[str, date], Sequence[str]]


@runtime_checkable
class Lineages(Protocol):
    def lineage(self, code: str) -> frozenset[str]: ...

    def dates_of(self, codes: Iterable[str]) -> set[date]: ...


def itself(code: str, on: date) -> Sequence[str]:
    """No successions known: every organisation carries on itself."""
    return (code,)


def _lineage(code: str, before: dict[str, set[str]]) -> frozenset[str]:
    out, frontier = {code}, [code]
    while frontier:
        for old in before.get(frontier.pop(), ()):
            if old not in out:
                out.add(old)
                frontier.append(old)
    return frozenset(out)


class SuccessionTable:
    """Successions as (predecessor, successor, effective date) facts, walked forward to a date."""

    def __init__(self, successions: Sequence[tuple[str, str, date]]) -> None:
        self.after: dict[str, list[tuple[date, str]]] = {}
        self.before: dict[str, set[str]] = {}
        for old, new, effective in successions:
            self.after.setdefault(old, []).append((effective, new))
            self.before.setdefault(new, set()).add(old)
        self._lineages: dict[str, frozenset[str]] = {}

    def __call__(self, code: str, on: date) -> Sequence[str]:
        out: list[str] = []
        seen: set[str] = set()
        frontier = [code]
        while frontier:
            current = frontier.pop()
            if current in seen:
                continue
            seen.add(current)
            nexts = [new for effective, new in self.after.get(current, []) if effective <= on]
            if not nexts:
                out.append(current)
            frontier.extend(nexts)
        return tuple(sorted(out))

    def lineage(self, code: str) -> frozenset[str]:
        if code not in self._lineages:
            self._lineages[code] = _lineage(code, self.before)
        return self._lineages[code]

    def dates_of(self, codes: Iterable[str]) -> set[date]:
        return {d for c in codes for d, _ in self.after.get(c, ())}


class IndexCarryingOn:
    """The succession index (typed events, service/reference/successions.py) as a carrying-on."""

    def __init__(self, index: SuccessionIndex) -> None:
        self.index = index
        self._steps: object = None  # the index's event list the lineages were built from
        self._before: dict[str, set[str]] = {}
        self._lineages: dict[str, frozenset[str]] = {}

    def __call__(self, code: str, on: date) -> Sequence[str]:
        return self.index.resolve(code, on).codes

    def lineage(self, code: str) -> frozenset[str]:
        if self._steps is not self.index.steps:  # built again after the index refreshed
            self._steps, self._before, self._lineages = self.index.steps, {}, {}
            for step in self.index.steps:
                for new in step.resultings:
                    self._before.setdefault(new, set()).update(step.originals)
        if code not in self._lineages:
            self._lineages[code] = _lineage(code, self._before)
        return self._lineages[code]

    def dates_of(self, codes: Iterable[str]) -> set[date]:
        return {s.effective for c in codes for s in self.index.by_original.get(c, ())}


def successions_from_store(store: GraphStore) -> IndexCarryingOn:
    """The one succession index (stated events over inferred ones) as a carrying-on: the
    org_area table and the lookup walk the same successions."""
    return IndexCarryingOn(SuccessionIndex.from_store(store))
