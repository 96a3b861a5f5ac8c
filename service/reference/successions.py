"""Succession resolution: which organisation(s) carry on an ODS code at a date, and through what.

The change events are few (a few hundred), so they are read from the store once into plain
dictionaries; a lookup is then a short walk over them (microseconds), never a SPARQL query.
`refresh()` re-reads them after reference data changed; `refresh_if_changed()` does so only when
the store's set of loaded graphs differs from the one the index was built from.

    >>> index = SuccessionIndex.from_store(store)          # doctest: +SKIP
    >>> index.resolve("RD3", date(2021, 1, 1)).codes       # doctest: +SKIP
    ('R0D',)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from service.rdf.store import GraphStore
from service.rdf.terms import DEF

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
class Successor:
    code: str
    weight: float | None  # share of the original carried on here; None for an unweighted split
    chain: tuple[Step, ...]  # the events from the original code to this one, in date order


@dataclass(frozen=True)
class Resolution:
    code: str
    on: date
    successors: tuple[Successor, ...]

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
        self._store: GraphStore | None = None
        self._graphs: tuple[str, ...] = ()

    @classmethod
    def from_store(cls, store: GraphStore) -> SuccessionIndex:
        index = cls(*read_events(store))
        index._store, index._graphs = store, tuple(store.current_graphs())
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

    def resolve(self, code: str, on: date) -> Resolution:
        """The organisation(s) that carry `code` on at `on`, transitively, with their chains."""
        code = code.strip().upper()
        found: dict[str, Successor] = {}
        self._walk(code, on, 1.0, (), found, after=None)
        return Resolution(code, on, tuple(sorted(found.values(), key=lambda s: s.code)))

    def _walk(
        self,
        code: str,
        on: date,
        weight: float | None,
        chain: tuple[Step, ...],
        found: dict[str, Successor],
        after: date | None,
    ) -> None:
        step = self._next_step(code, on, after, chain)
        if step is None:
            earlier = found[code].weight if code in found else None
            if earlier is not None and weight is not None:
                weight += earlier  # two routes into one successor add up
            found[code] = Successor(code, weight, chain)
            return
        for successor in step.resultings:
            self._walk(
                successor,
                on,
                self._weight(step, successor, weight),
                (*chain, step),
                found,
                after=step.effective,
            )

    def _next_step(
        self, code: str, on: date, after: date | None, chain: tuple[Step, ...]
    ) -> Step | None:
        """The first event that carries `code` on, no later than `on` and not before the event
        that led to it (a code reused later starts a new life); never an event already taken."""
        for step in self.by_original.get(code, ()):
            if step.effective > on:
                return None
            if (after is None or step.effective >= after) and step not in chain:
                return step
        return None

    def _weight(self, step: Step, successor: str, weight: float | None) -> float | None:
        if weight is None:
            return None
        if len(step.resultings) == 1:
            return weight
        share = self.shares.get((step.event, successor))
        return weight * share if share is not None else None

    def predecessors(self, code: str) -> list[Step]:
        """The events in which `code` is a successor, in date order."""
        return list(self.by_resulting.get(code.strip().upper(), ()))

    def successor_events(self, code: str) -> list[Step]:
        """The events in which `code` is a predecessor, in date order."""
        return list(self.by_original.get(code.strip().upper(), ()))


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
