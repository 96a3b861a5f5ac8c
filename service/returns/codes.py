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

from dataclasses import dataclass, field
from datetime import date, timedelta

from service.rdf.store import GraphStore
from service.rdf.terms import ID
from service.reference.reporters import Registered
from service.reference.successions import Hop, Hops, SuccessionIndex, walk
from service.returns.candidate import CandidateValues

# The interface to the succession walker (service/reference/successions.py): code -> the hops it
# is a predecessor in. `Step` is the name the roll-up, the tests and the benchmarks know a hop by.
Step = Hop
Successions = Hops


def graph_successions(store: GraphStore) -> Successions:
    """Successions read from the event graph through the one succession index
    (service/reference/successions.py: stated events win over inferred ones for the same change)."""
    return SuccessionIndex.saved(store).hops


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


def successor_on(code: str, day: date, successions: Successions) -> tuple[str, ...]:
    """The code(s) that carry `code` on at `day`, following chains (RQ6 -> REM -> ...)."""
    return walk(code, day, successions).codes


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
    start = None if reported is None else reported + timedelta(days=1)
    carried = walk(code, day, successions, start)
    if carried.unweighted_splits:
        return (), carried.unweighted_splits
    return tuple((s.code, s.weight or 0.0) for s in carried.successors), ()


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


def successions_from_index(index: SuccessionIndex) -> Successions:
    """The succession index as the Successions interface used here (its hops, with the split
    weights)."""
    return index.hops
