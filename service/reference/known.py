"""The reference graph as known at a date (`asKnownAt`): organisations, areas, successions and
placements as the store held them at the end of that day (UTC), before any later load or steward
change. History is data (service/rdf/store.py: a graph is never changed, only written or
retired, each at a recorded time), so the graphs known on a day never change once it is past.

A snapshot as known at a past date is built once (copy the graphs known then into memory, build
the read model over them) and kept in a bounded LRU, keyed by the set of graphs known, so two
dates between the same writes share one. A date whose graphs are today's current ones is answered
by the current snapshot itself; a date before the first load is an error that names that load.

    >>> # reference.known_at(date(2026, 1, 10))   # ReferenceData.known_at, over this cache
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any, Protocol, TypeVar

from service.rdf.store import PROVENANCE_GRAPH, GraphStore
from service.rdf.terms import ONTOLOGY_GRAPH

# Snapshots kept (the national reference read model is a few hundred MB: keep this small).
CAPACITY = 4
_SERIAL = itertools.count(1)
_BOOKKEEPING = {str(ONTOLOGY_GRAPH), PROVENANCE_GRAPH}


class KnownAtError(ValueError):
    """A date the reference cannot be read as known at (before anything was loaded)."""


class Snapshot(Protocol):
    store: GraphStore
    serial: int  # 0: the current snapshot; else one number per snapshot built as known at


S = TypeVar("S", bound=Snapshot)


def end_of_day(day: date) -> datetime:
    """The last instant of a day (UTC): a write recorded on that day is known at it."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def graphs_known(store: GraphStore, day: date, earliest_held: bool = False) -> tuple[str, ...]:
    """The graphs known at the end of `day`; KnownAtError when nothing had been loaded, unless
    `earliest_held`: then, for a day before the first load, the graphs of that first load's day
    (a roll-up as published on a day of 2020 reads the releases out then, and places their
    values by the oldest reference the store holds, the nearest it has to what was known)."""
    graphs = tuple(store.known_at(end_of_day(day)))
    first = store.first_written()
    if not set(graphs) - _BOOKKEEPING and earliest_held and first is not None:
        graphs = tuple(store.known_at(end_of_day(first.date())))
        day = first.date()
    if not set(graphs) - _BOOKKEEPING:
        since = (
            f"the first load held was recorded on {first.date().isoformat()}"
            if first
            else "nothing is loaded"
        )
        raise KnownAtError(f"nothing had been loaded by {day.isoformat()} ({since})")
    return graphs


class KnownAtSnapshots:
    """A bounded LRU of reference snapshots as known at past dates, keyed by the graphs known."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, ...], Any] = OrderedDict()
        self.builds = 0  # snapshots built (a cache miss), for the benchmark and tests
        self.hits = 0

    def __getstate__(self) -> dict[str, Any]:  # saved with the reference: capacity only
        return {"capacity": self.capacity}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state.get("capacity", CAPACITY))  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self._cache)

    def get(
        self, current: S, day: date, build: Callable[[GraphStore], S], earliest_held: bool = False
    ) -> S:
        """`current` as known at the end of `day`: itself when nothing was written since, else
        the snapshot built by `build` over the graphs known then (cached)."""
        store = current.store
        graphs = graphs_known(store, day, earliest_held)
        first = store.first_written()
        if earliest_held and first is not None and day < first.date():
            day = first.date()
        if set(graphs) == set(store.current_graphs()):
            return current
        with self._lock:  # one build at a time: a second caller for the same date waits for it
            found = self._cache.get(graphs)
            if found is not None:
                self._cache.move_to_end(graphs)
                self.hits += 1
                return found
            snapshot = build(store.copy_known_at(end_of_day(day)))
            snapshot.serial = next(_SERIAL)
            self.builds += 1
            self._cache[graphs] = snapshot
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
            return snapshot
