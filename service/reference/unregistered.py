"""Unregistered providers: those returns name under codes the reference data does not know (the
steward queue), and which of them a steward has since assigned."""

from __future__ import annotations

from dataclasses import dataclass

from service.rdf.store import GraphStore
from service.rdf.vocab import NHSKG

QUEUE = """
SELECT ?org ?code ?name (GROUP_CONCAT(DISTINCT ?region; separator="|") AS ?regions)
       (SAMPLE(?batch) AS ?first) WHERE {
    ?org a nhskg:UnregisteredProvider ; nhskg:odsCode ?code ; rdfs:label ?name .
    OPTIONAL { ?org nhskg:statedRegion ?region }
    OPTIONAL { ?org nhskg:firstReportedIn ?batch }
} GROUP BY ?org ?code ?name ORDER BY ?code
"""


@dataclass(frozen=True)
class QueuedProvider:
    iri: str
    code: str
    name: str
    regions: tuple[str, ...]
    first_reported_in: str | None


def steward_queue(store: GraphStore) -> list[QueuedProvider]:
    """Every unregistered provider with the name and regions the returns state for it."""
    out: dict[str, QueuedProvider] = {}
    for row in store.select(QUEUE):
        regions = tuple(sorted(r for r in str(row["regions"] or "").split("|") if r))
        out.setdefault(
            row["code"],
            QueuedProvider(row["org"], row["code"], str(row["name"]), regions, row["first"]),
        )
    return list(out.values())


def known_unregistered(store: GraphStore) -> set[str]:
    """The codes of the providers typed unregistered in a current graph: pattern lookups, not a
    query (on a store holding a retired graph a query of the current state first copies the
    graphs into memory, 18 s nationally: service/rdf/store.py `_reading`)."""
    providers = store.typed(str(NHSKG.UnregisteredProvider))
    codes = store.values_of(providers, str(NHSKG.odsCode))
    return {code.upper() for values in codes.values() for code in values}


ASSIGNED = """SELECT DISTINCT ?code WHERE {
    ?org a nhskg:UnregisteredProvider , ?type ; nhskg:odsCode ?code .
    ?type rdfs:subClassOf* nhskg:Organisation . FILTER (?type != nhskg:UnregisteredProvider) }"""


def assigned_codes(store: GraphStore) -> set[str]:
    """Codes of unregistered providers a steward has given an organisation type since."""
    return {str(r["code"]) for r in store.select(ASSIGNED)}
