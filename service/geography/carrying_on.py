"""Which organisations carry on an organisation's work on a date (the interface area assignment
needs from the succession resolver).

`CarryingOn` is any callable `(ods_code, on) -> codes`: the code itself while it is open, else its
successors that are open on that date (following chains of successions). The full resolver
(service/succession.py, typed change events) plugs in here; until it is available,
`successions_from_store` reads nhskg:Succession events straight from the graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from service.store import GraphStore

CarryingOn = Callable[[str, date], Sequence[str]]

_SUCCESSIONS = """SELECT DISTINCT ?from ?to ?date WHERE {
  ?e a ?type ; org:originalOrganization ?a ; org:resultingOrganization ?b ;
     nhskg:effectiveDate ?date .
  ?type rdfs:subClassOf* nhskg:Succession .
  ?a nhskg:odsCode ?from . ?b nhskg:odsCode ?to }"""


def itself(code: str, on: date) -> Sequence[str]:
    """No successions known: every organisation carries on itself."""
    return (code,)


class SuccessionTable:
    """Successions as (predecessor, successor, effective date) facts, walked forward to a date."""

    def __init__(self, successions: Sequence[tuple[str, str, date]]) -> None:
        self.after: dict[str, list[tuple[date, str]]] = {}
        for old, new, effective in successions:
            self.after.setdefault(old, []).append((effective, new))

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


def successions_from_store(store: GraphStore) -> SuccessionTable:
    rows = store.select(_SUCCESSIONS)
    return SuccessionTable([(str(r["from"]), str(r["to"]), r["date"]) for r in rows])
