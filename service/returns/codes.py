"""Which organisation a returned code means on the day of the value.

A code the reference data registers is that organisation. A registered code used after a
succession that took it over is restated to the successor with a warning (strict mode: an error);
a split with several successors cannot be restated without shares and is an error. For roll-ups,
`carried_on` restates a code with the share each successor takes (a split's weights where a
steward stated them; a split without weights is reported, never guessed). A code the
reference data does not know becomes an unregistered provider with the name and region the return
states: neither dropped nor a failure, it waits in the steward queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from service.rdf.store import GraphStore
from service.rdf.terms import ID
from service.returns.candidate import CandidateValues

# Classes first, then their members, de-duplicated before the optional dates: asking each of the
# ~35,000 nodes with an ODS code for its classes took 2 s on the national store, this 0.05 s.
REFERENCE_ORGANISATIONS = """
SELECT DISTINCT ?org ?code ?open ?close WHERE {
    { SELECT DISTINCT ?org ?code WHERE {
        ?type rdfs:subClassOf* nhskg:Organisation .
        FILTER (?type != nhskg:UnregisteredProvider)
        ?org a ?type ; nhskg:odsCode ?code .
    } }
    FILTER NOT EXISTS { ?org a nhskg:UnregisteredProvider }
    OPTIONAL { ?org nhskg:openDate ?open }
    OPTIONAL { ?org nhskg:closeDate ?close }
}
"""

KNOWN_UNREGISTERED = (
    "SELECT DISTINCT ?code WHERE { ?org a nhskg:UnregisteredProvider ; nhskg:odsCode ?code }"
)


@dataclass(frozen=True)
class Step:
    """A succession that took a code over: from `day`, the code's work is carried on by these."""

    day: date
    successors: tuple[str, ...]
    # The share of the code's work each successor takes (a split's stated weights); None when not
    # known. A single successor takes all of it whether or not this is given.
    weights: tuple[float, ...] | None = None

    def weight(self, i: int) -> float | None:
        if len(self.successors) == 1:
            return 1.0
        return self.weights[i] if self.weights is not None else None


# The interface to the succession resolver: code -> the successions it is a predecessor in.
Successions = Callable[[str], list[Step]]


@dataclass(frozen=True)
class Registered:
    iri: str
    open_date: date | None
    close_date: date | None


def reference_organisations(store: GraphStore) -> dict[str, Registered]:
    out: dict[str, Registered] = {}
    for row in store.select(REFERENCE_ORGANISATIONS):
        out.setdefault(str(row["code"]).upper(), Registered(row["org"], row["open"], row["close"]))
    return out


def known_unregistered(store: GraphStore) -> set[str]:
    return {str(r["code"]).upper() for r in store.select(KNOWN_UNREGISTERED)}


def graph_successions(store: GraphStore) -> Successions:
    """Successions read from the event graph through the one succession index
    (service/reference/successions.py: stated events win over inferred ones for the same change)."""
    from service.reference.successions import SuccessionIndex

    return successions_from_index(SuccessionIndex.from_store(store))


@dataclass
class Resolution:
    """Per value: the organisation code and IRI it is attributed to; plus what the steward sees."""

    org_code: list[str] = field(default_factory=list)
    org_iri: list[str] = field(default_factory=list)
    restated: dict[int, str] = field(default_factory=dict)  # value index -> original code
    split: dict[int, tuple[str, ...]] = field(default_factory=dict)  # value index -> successors
    unregistered: dict[str, tuple[str, set[str]]] = field(
        default_factory=dict
    )  # code -> name, regions


def successor_on(code: str, day: date, successions: Successions, depth: int = 0) -> tuple[str, ...]:
    """The code(s) that carry `code` on at `day`, following chains (RQ6 -> REM -> ...)."""
    steps = [s for s in successions(code) if s.day <= day]
    if not steps or depth > 20:
        return (code,)
    last = steps[-1]
    if len(last.successors) != 1:
        return last.successors
    return successor_on(last.successors[0], day, successions, depth + 1)


def _weights(weights: list[float | None]) -> tuple[float, ...] | None:
    """All successors' weights, or None when any is unknown (a split is weighted whole or not)."""
    known = [w for w in weights if w is not None]
    return tuple(known) if len(known) == len(weights) else None


def unweighted_split_reason(successors: tuple[str, ...] | list[str]) -> str:
    """Why a code carried on by a split without weights has no figure or place of its own: the
    one wording the roll-up (unmapped values) and the lookup (no areas) both give."""
    return (
        f"split without weights ({', '.join(sorted(successors))}): no share of the split is "
        "stated, so its values are not divided among the successors; a steward change set "
        "(record_succession with weights) states them"
    )


# A code restated at a date: (successor, share) pairs, or the successors of a split without weights.
Carried = tuple[tuple[tuple[str, float], ...], tuple[str, ...]]


def carried_on(
    code: str, day: date, successions: Successions, reported: date | None = None
) -> Carried:
    """The codes that carry `code` on at `day`, each with the share of its work it takes (chains
    multiply, two routes into one code add up); or, when a split on the way has no weights,
    ((), the successors of that split), so the caller can say why the code stays unmapped.

    Each code on the way is moved by its first step after the work reached it. `reported` is
    the date of the value being carried on, for a code that carries on in its own split
    (A -> A + B): a value A reports after the split is the smaller A's, and only A's later
    steps move it. None: the work as it was before the code's first step."""
    shares: dict[str, float] = {}
    unweighted: list[str] = []

    def walk(
        current: str, share: float, after: date | None, taken: frozenset[Step], depth: int
    ) -> None:
        # `taken`: the steps already followed on this route; A -> A + B meets its split again.
        steps = [
            s
            for s in successions(current)
            if s.day <= day and (after is None or s.day >= after) and s not in taken
        ]
        if not steps or depth > 20:
            shares[current] = shares.get(current, 0.0) + share
            return
        first = min(steps, key=lambda s: s.day)
        for i, successor in enumerate(first.successors):
            weight = first.weight(i)
            if weight is None:
                unweighted.extend(s for s in first.successors if s not in unweighted)
                return
            walk(successor, share * weight, first.day, taken | {first}, depth + 1)

    start = None if reported is None else reported + timedelta(days=1)
    walk(code, 1.0, start, frozenset(), 0)
    if unweighted:
        return (), tuple(unweighted)
    return tuple(sorted(shares.items())), ()


def resolve_codes(
    values: CandidateValues,
    registered: dict[str, Registered],
    successions: Successions,
) -> Resolution:
    out = Resolution()
    cache: dict[tuple[str, date], tuple[str, ...]] = {}
    has_steps = {c for c in set(values.code) if c.upper() in registered and successions(c.upper())}
    for i, raw_code in enumerate(values.code):
        code = raw_code.upper()
        if code not in registered:
            _, regions = out.unregistered.setdefault(code, (values.name[i], set()))
            regions.add(values.region[i])
            out.org_code.append(code)
            out.org_iri.append(str(ID[f"org/{code}"]))
            continue
        if raw_code in has_steps:
            key = (code, values.period_start[i])
            if key not in cache:
                cache[key] = successor_on(code, key[1], successions)
            target = cache[key]
            if len(target) > 1:
                out.split[i] = target
            elif target[0] != code and target[0] in registered:
                out.restated[i] = code
                code = target[0]
        out.org_code.append(code)
        out.org_iri.append(registered[code].iri)
    return out


def successions_from_index(index: object) -> Successions:
    """Adapt service.reference.successions.SuccessionIndex (its successor_events(code) steps) to the
    Successions interface used here, with the index's split weights."""
    shares: dict[tuple[str, str], float] = index.shares  # type: ignore[attr-defined]

    def steps(code: str) -> list[Step]:
        out = []
        for e in index.successor_events(code):  # type: ignore[attr-defined]
            others = tuple(r for r in e.resultings if r != code)
            if others:
                out.append(
                    Step(e.effective, others, _weights([shares.get((e.event, r)) for r in others]))
                )
        return sorted(out, key=lambda s: s.day)

    return steps
