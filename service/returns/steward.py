"""The steward queue: providers that returns name under codes the reference data does not know."""

from __future__ import annotations

from dataclasses import dataclass

from service.rdf.store import GraphStore

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
