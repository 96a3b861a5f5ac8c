"""Which organisation a returned code means on the day of the value.

A code the reference data registers is that organisation. A registered code used after a
succession that took it over is restated to the successor with a warning (strict mode: an error);
a split with several successors cannot be restated without shares and is an error. A code the
reference data does not know becomes an unregistered provider with the name and region the return
states: neither dropped nor a failure, it waits in the steward queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from service.returns.candidate import CandidateValues
from service.store import GraphStore
from service.terms import ID

REFERENCE_ORGANISATIONS = """
SELECT DISTINCT ?org ?code ?open ?close WHERE {
    ?org nhskg:odsCode ?code ; a ?type .
    ?type rdfs:subClassOf* nhskg:Organisation .
    FILTER (?type != nhskg:UnregisteredProvider)
    FILTER NOT EXISTS { ?org a nhskg:UnregisteredProvider }
    OPTIONAL { ?org nhskg:openDate ?open }
    OPTIONAL { ?org nhskg:closeDate ?close }
}
"""

KNOWN_UNREGISTERED = (
    "SELECT DISTINCT ?code WHERE { ?org a nhskg:UnregisteredProvider ; nhskg:odsCode ?code }"
)

SUCCESSIONS = """
SELECT DISTINCT ?event ?pred ?succ ?day WHERE {
    ?event a ?type ; org:originalOrganization ?p ; org:resultingOrganization ?s ;
           nhskg:effectiveDate ?day .
    ?type rdfs:subClassOf* nhskg:Succession .
    ?p nhskg:odsCode ?pred . ?s nhskg:odsCode ?succ .
}
"""


@dataclass(frozen=True)
class Step:
    """A succession that took a code over: from `day`, the code's work is carried on by these."""

    day: date
    successors: tuple[str, ...]


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
    """Successions read from the event graph (nhskg:Succession and subclasses)."""
    # Per event and predecessor: a merger's predecessors each take the step.
    events: dict[tuple[str, str], tuple[date, set[str]]] = {}
    for row in store.select(SUCCESSIONS):
        _, succs = events.setdefault((row["event"], row["pred"]), (row["day"], set()))
        succs.add(row["succ"])
    by_code: dict[str, list[Step]] = {}
    for (_, pred), (day, succs) in events.items():
        others = tuple(sorted(s for s in succs if s != pred))
        if others:
            by_code.setdefault(pred.upper(), []).append(Step(day, others))
    for steps in by_code.values():
        steps.sort(key=lambda s: s.day)
    return lambda code: by_code.get(code, [])


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
    """Adapt service.succession.SuccessionIndex (its successor_events(code) steps) to the
    Successions interface used here."""

    def steps(code: str) -> list[Step]:
        events = index.successor_events(code)  # type: ignore[attr-defined]
        out = [Step(e.effective, tuple(r for r in e.resultings if r != code)) for e in events]
        return sorted((s for s in out if s.successors), key=lambda s: s.day)

    return steps
