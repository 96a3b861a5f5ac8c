"""Reading organisations from the graph: what ODS says a code is, with its latest name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.store import GraphStore

ORGANISATION = """
SELECT ?org ?code ?type ?openDate ?closeDate WHERE {
    ?org nhskg:odsCode ?code ; a ?type ; nhskg:openDate ?openDate .
    ?type rdfs:subClassOf* nhskg:Organisation .
    OPTIONAL { ?org nhskg:closeDate ?closeDate }
} LIMIT 1
"""

LATEST_NAME = """
SELECT ?org ?name WHERE {
    { ?record nhskg:recordOf ?org ; nhskg:vintage ?v ; rdfs:label ?name }
    UNION { ?org rdfs:label ?name . BIND("0001-01-01"^^xsd:date AS ?v) }
} ORDER BY DESC(?v) LIMIT 1
"""


@dataclass(frozen=True)
class Organisation:
    iri: str
    code: str
    name: str
    type_iri: str
    open_date: date
    close_date: date | None

    def open_on(self, day: date) -> bool:
        return self.open_date <= day and (self.close_date is None or day <= self.close_date)


def find_organisation(store: GraphStore, code: str) -> Organisation | None:
    rows = store.select(ORGANISATION, code=code.strip().upper())
    if not rows:
        return None
    row = rows[0]
    name = store.select(LATEST_NAME, org=_iri(row["org"]))[0]["name"]
    return Organisation(
        iri=row["org"],
        code=code.strip().upper(),
        name=name,
        type_iri=row["type"],
        open_date=row["openDate"],
        close_date=row["closeDate"],
    )


def _iri(value: str):
    from rdflib import URIRef

    return URIRef(value)
