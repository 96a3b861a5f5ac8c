"""Succession resolution: which organisation(s) carry on an ODS code at a date, and through what.

The change events are few (a few hundred), so they are read from the store once into plain
dictionaries; a lookup is then a short walk over them (microseconds), never a SPARQL query.

This module holds the one walker of the succession chains (`walk`, `later_carriers`,
`SuccessionIndex.lineage`): the lookup, the as-of answers, the org_area table, the roll-up's
restatement and the returns loader all ask it, through `SuccessionIndex` or through the
`Hops` interface (code -> the hops it is a predecessor in) that hand-written successions in
tests and benchmarks also offer.
`refresh()` re-reads them after reference data changed; `refresh_if_changed()` does so only when
the store's set of loaded graphs differs from the one the index was built from. `saved(store)`
reads the index saved beside the store (a returns load or a CLI roll-up on a national store
holding a retired graph would otherwise copy the current graphs into memory first: 12 s).

    >>> index = SuccessionIndex.from_store(store)          # doctest: +SKIP
    >>> index.resolve("RD3", date(2021, 1, 1)).codes       # doctest: +SKIP
    ('R0D',)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from service.rdf.store import GraphStore
from service.rdf.terms import DEF
from service.reference import saved as saved_reads

FILE_NAME = "nhskg-successions.snapshot"

# The most specific type wins when an event carries several (every one is a Succession).
TYPE_ORDER = ("Merger", "Acquisition", "Split", "CodeChange", "Rename", "Succession", "Closure")

EVENTS = """
SELECT DISTINCT ?event ?type ?effective ?basis ?original ?resulting ?also WHERE {
    ?event a ?type ; nhskg:effectiveDate ?effective .
    ?type rdfs:subClassOf* org:ChangeEvent .
    OPTIONAL { ?event nhskg:typeBasis ?basis }
    OPTIONAL { ?event org:originalOrganization/nhskg:odsCode ?original }
    OPTIONAL { ?event org:resultingOrganization/nhskg:odsCode ?resulting }
    OPTIONAL { ?event nhskg:alsoDatedOn ?also }
}
"""

SHARES = """
SELECT DISTINCT ?s ?event ?successor ?share WHERE {
    ?s nhskg:shareOfEvent ?event ; nhskg:successor/nhskg:odsCode ?successor ; nhskg:share ?share .
}
"""


@dataclass(frozen=True)
class Step:
    """One change event on the way from a code to its successors."""

    event: str  # IRI
    type: str  # Merger, Acquisition, Split, CodeChange, ... (local name of the nhskg class)
    effective: date
    basis: str  # "inferred" or "stated" (nhskg:typeBasis), "unknown" when not given
    originals: tuple[str, ...]
    resultings: tuple[str, ...]
    also_dated_on: tuple[date, ...] = ()


@dataclass(frozen=True)
class Hop:
    """A succession that took a code over: from `day`, the code's work is carried on by these
    successors (the code itself among them when it carries on in its own split, A -> A + B)."""

    day: date
    successors: tuple[str, ...]
    # The share of the code's work each successor takes (a split's stated weights); None when not
    # known. A single successor takes all of it whether or not this is given.
    weights: tuple[float | None, ...] | None = None
    step: Step | None = None  # the change event, when read from the graph

    def weight(self, i: int) -> float | None:
        if len(self.successors) == 1:
            return 1.0
        return self.weights[i] if self.weights is not None else None


# The interface to the walker: code -> the hops it is a predecessor in, in date order.
Hops = Callable[[str], Sequence[Hop]]

# A route longer than this stops where it is (a guard; the longest national chain is 4 events).
MAX_CHAIN = 20


@dataclass(frozen=True)
class Successor:
    code: str
    weight: float | None  # share of the original carried on here; None for an unweighted split
    chain: tuple[Step, ...]  # the events from the original code to this one, in date order


@dataclass(frozen=True)
class Resolution:
    code: str
    on: date
    successors: tuple[Successor, ...]
    # The successors of each split without weights met on the way with a known weight, in the
    # order the walk met them: what a roll-up says when it cannot divide a code's values.
    unweighted_splits: tuple[str, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.successors)

    @property
    def unweighted(self) -> bool:
        """True when a split on the way gave no shares: the successors' weights are unknown."""
        return any(s.weight is None for s in self.successors)

    @property
    def carried_on(self) -> bool:
        """False when the code itself still stands on the date (no event applied)."""
        return any(s.chain for s in self.successors)


@dataclass
class _EventRow:
    types: set[str] = field(default_factory=set)
    effective: date | None = None
    basis: str = "unknown"
    originals: set[str] = field(default_factory=set)
    resultings: set[str] = field(default_factory=set)
    also: set[date] = field(default_factory=set)


class SuccessionIndex:
    """All change events in memory, by predecessor and by successor code."""

    def __init__(self, steps: list[Step], shares: dict[tuple[str, str], float]) -> None:
        self.steps = sorted(stated_over_inferred(steps), key=lambda s: (s.effective, s.event))
        self.shares = shares
        self.by_original: dict[str, list[Step]] = defaultdict(list)
        self.by_resulting: dict[str, list[Step]] = defaultdict(list)
        for step in self.steps:
            for code in step.originals:
                self.by_original[code].append(step)
            for code in step.resultings:
                self.by_resulting[code].append(step)
        self._hops = {
            code: tuple(_hop(step, shares) for step in steps)
            for code, steps in self.by_original.items()
        }
        self._lineages: dict[str, frozenset[str]] = {}
        self._store: GraphStore | None = None
        self._graphs: tuple[str, ...] = ()

    @classmethod
    def from_store(cls, store: GraphStore) -> SuccessionIndex:
        index = cls(*read_events(store))
        index._store, index._graphs = store, tuple(store.current_graphs())
        return index

    @classmethod
    def saved(cls, store: GraphStore) -> SuccessionIndex:
        """`from_store`, saved beside the store and keyed by its current graphs less those of
        returns and values by area, which state no change event (service/reference/saved.py)."""
        index = saved_reads.load_or_build(
            store, cls.from_store, FILE_NAME, saved_reads.NUMBERS_GRAPHS
        )
        index._graphs = tuple(store.current_graphs())
        return index

    def refresh(self) -> None:
        """Re-read the events from the store (after successions or shares were loaded)."""
        assert self._store is not None, "an index built from a store can refresh"
        fresh = SuccessionIndex.from_store(self._store)
        self.__dict__.update(fresh.__dict__)

    def refresh_if_changed(self) -> bool:
        assert self._store is not None, "an index built from a store can refresh"
        if tuple(self._store.current_graphs()) == self._graphs:
            return False
        self.refresh()
        return True

    def resolve(self, code: str, on: date, after: date | None = None) -> Resolution:
        """The organisation(s) that carry `code` on at `on`, transitively, with their chains."""
        return walk(code.strip().upper(), on, self.hops, after)

    def hops(self, code: str) -> Sequence[Hop]:
        """The hops `code` is a predecessor in, in date order (the `Hops` interface)."""
        return self._hops.get(code, ())

    def later_carriers(self, codes: Iterable[str]) -> set[str]:
        """The codes and every organisation that carries one of them on, at any later date."""
        return later_carriers(codes, self.hops)

    def lineage(self, code: str) -> frozenset[str]:
        """The code and every code whose work passed to it, transitively, whatever the date."""
        if code not in self._lineages:
            out, todo = {code}, [code]
            while todo:
                for step in self.by_resulting.get(todo.pop(), ()):
                    todo += [c for c in step.originals if c not in out]
                    out.update(step.originals)
            self._lineages[code] = frozenset(out)
        return self._lineages[code]

    def dates_of(self, codes: Iterable[str]) -> set[date]:
        """The dates the events `codes` are predecessors in take effect."""
        return {s.effective for c in codes for s in self.by_original.get(c, ())}

    def predecessors(self, code: str) -> list[Step]:
        """The events in which `code` is a successor, in date order."""
        return list(self.by_resulting.get(code.strip().upper(), ()))

    def successor_events(self, code: str) -> list[Step]:
        """The events in which `code` is a predecessor, in date order."""
        return list(self.by_original.get(code.strip().upper(), ()))


def _hop(step: Step, shares: dict[tuple[str, str], float]) -> Hop:
    weights = tuple(shares.get((step.event, r)) for r in step.resultings)
    return Hop(
        step.effective,
        step.resultings,
        None if all(w is None for w in weights) else weights,
        step,
    )


def walk(code: str, on: date, hops: Hops, after: date | None = None) -> Resolution:
    """Who carries `code` on at `on`: each code on the way is moved by its first hop no later
    than `on` and not before the hop that brought the work to it (a code reused later starts a
    new life), never by a hop already taken on the same route (A -> A + B meets its split
    again). Chains multiply the shares, two routes into one code add up; past a split without
    weights the share is unknown (None) and the split is listed in `unweighted_splits`.
    `after`: only hops from that date move the code itself (a value the smaller A reports after
    A -> A + B moves only with A's later hops)."""
    found: dict[str, Successor] = {}
    unweighted: list[str] = []

    def go(
        current: str,
        weight: float | None,
        route: tuple[Hop, ...],
        chain: tuple[Step, ...],
        since: date | None,
    ) -> None:
        candidates = [
            h
            for h in hops(current)
            if h.day <= on and (since is None or h.day >= since) and h not in route
        ]
        nxt = (
            min(candidates, key=lambda h: h.day) if candidates and len(route) <= MAX_CHAIN else None
        )
        if nxt is None:
            earlier = found[current].weight if current in found else None
            if earlier is not None and weight is not None:
                weight += earlier  # two routes into one successor add up
            found[current] = Successor(current, weight, chain)
            return
        weights = [nxt.weight(i) for i in range(len(nxt.successors))]
        if weight is not None and any(w is None for w in weights):
            unweighted.extend(s for s in nxt.successors if s not in unweighted)
        link = nxt.step or Step("", "Succession", nxt.day, "unknown", (current,), nxt.successors)
        for successor, share in zip(nxt.successors, weights, strict=True):
            carried = None if weight is None or share is None else weight * share
            go(successor, carried, (*route, nxt), (*chain, link), nxt.day)

    go(code, 1.0, (), (), after)
    carriers = tuple(sorted(found.values(), key=lambda s: s.code))
    return Resolution(code, on, carriers, tuple(unweighted))


def later_carriers(codes: Iterable[str], hops: Hops) -> set[str]:
    """The codes and every organisation that carries one of them on, at any later date."""
    out = set(codes)
    todo = list(out)
    while todo:
        for hop in hops(todo.pop()):
            for successor in hop.successors:
                if successor not in out:
                    out.add(successor)
                    todo.append(successor)
    return out


def stated_over_inferred(steps: list[Step]) -> list[Step]:
    """Stated facts win over inferred ones for the same event: an event inferred from the ODS
    files is dropped when a stated one (a steward's change set) takes one of its predecessors
    over on the same day (its own date or a date it is also known by). RW6 -> R0A + RM3 on
    2021-10-01 is inferred from the successor file with no weights; a change set stating the
    split with weights replaces it everywhere the successions are read."""
    stated: set[tuple[str, date]] = set()
    for step in steps:
        if step.basis == "stated":
            for day in (step.effective, *step.also_dated_on):
                stated.update((code, day) for code in step.originals)

    def superseded(step: Step) -> bool:
        days = (step.effective, *step.also_dated_on)
        return step.basis != "stated" and any(
            (code, day) in stated for code in step.originals for day in days
        )

    return [step for step in steps if not superseded(step)]


def read_events(store: GraphStore) -> tuple[list[Step], dict[tuple[str, str], float]]:
    rows: dict[str, _EventRow] = defaultdict(_EventRow)
    for r in store.select(EVENTS):
        row = rows[r["event"]]
        row.types.add(r["type"].removeprefix(DEF))
        row.effective = r["effective"] if isinstance(r["effective"], date) else row.effective
        if r["basis"]:
            row.basis = "inferred" if r["basis"].endswith("InferredType") else "stated"
        for key, target in (("original", row.originals), ("resulting", row.resultings)):
            if r[key]:
                target.add(r[key])
        if isinstance(r["also"], date):
            row.also.add(r["also"])
    steps = [
        Step(
            event=iri,
            type=next((t for t in TYPE_ORDER if t in row.types), "Succession"),
            effective=row.effective,
            basis=row.basis,
            originals=tuple(sorted(row.originals)),
            resultings=tuple(sorted(row.resultings)),
            also_dated_on=tuple(sorted(row.also)),
        )
        for iri, row in rows.items()
        if row.effective is not None
    ]
    shares = {(r["event"], r["successor"]): float(r["share"]) for r in store.select(SHARES)}
    return steps, shares
