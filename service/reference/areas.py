"""Geographic areas, their types (from the ontology) and dated memberships, indexed for reads."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from service.rdf.store import GraphStore

AREA_TYPES = """
SELECT ?type ?apiName ?label ?definition ?byCode WHERE {
    ?type rdfs:subClassOf+ nhskg:GeographicArea ; nhskg:apiName ?apiName ;
          rdfs:label ?label ; skos:definition ?definition .
    OPTIONAL { ?type nhskg:containsByCode ?byCode }
}"""

AREAS = """
SELECT DISTINCT ?area ?type ?label ?gss ?ods WHERE {
    ?area a ?type . ?type rdfs:subClassOf+ nhskg:GeographicArea .
    ?area rdfs:label ?label .
    OPTIONAL { ?area nhskg:gssCode ?gss }
    OPTIONAL { ?area nhskg:odsCode ?ods }
}"""

# DISTINCT: a membership two files state (England's regions) is one membership, not two rows.
MEMBERSHIPS = """
SELECT DISTINCT ?member ?parent ?from ?to ?share WHERE {
    ?m a nhskg:AreaMembership ; nhskg:memberArea ?member ; nhskg:parentArea ?parent ;
       nhskg:validFrom ?from .
    OPTIONAL { ?m nhskg:validTo ?to }
    OPTIONAL { ?m nhskg:share ?share }
}"""


# Each label of an area with the latest day a graph stating it lists the code (codeListedOn).
LABELS = """
SELECT ?area ?label ?g (MAX(?listed) AS ?latest) WHERE {
    GRAPH ?g { ?area rdfs:label ?label . OPTIONAL { ?area nhskg:codeListedOn ?listed } }
    ?area a/rdfs:subClassOf+ nhskg:GeographicArea .
} GROUP BY ?area ?label ?g"""


def preferred_labels(store: GraphStore) -> dict[str, str]:
    """The name of each area that files name differently (a CCG's code kept by the Sub-ICB
    location it became): the one stated with the latest listing of the code, then the first
    in alphabetical order; never the order the store returns rows in."""
    current = set(store.current_graphs())
    stated: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in store.lexical_select(LABELS):
        if r["g"] in current and r["label"] is not None:
            stated[str(r["area"])].append((str(r["latest"] or ""), str(r["label"])))
    out = {}
    for area, labels in stated.items():
        latest = max(day for day, _ in labels)
        out[area] = min(label for day, label in labels if day == latest)
    return out


@dataclass(frozen=True)
class AreaType:
    key: str  # the ontology's nhskg:apiName, e.g. LRF
    iri: str
    label: str
    definition: str
    # nhskg:containsByCode: its areas hold members by code, whether or not they are in use
    contains_by_code: bool = False


@dataclass(frozen=True)
class Area:
    iri: str
    code: str  # GSS code where the area has one, else its ODS code
    name: str
    type_iris: frozenset[str]
    gss_code: str | None = None
    ods_code: str | None = None


@dataclass(frozen=True)
class AreaMembership:
    member: str
    parent: str
    valid_from: date
    valid_to: date | None
    share: float

    def holds_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class AreaIndex:
    def __init__(
        self, types: list[AreaType], areas: list[Area], memberships: list[AreaMembership]
    ) -> None:
        self.types = {t.key: t for t in sorted(types, key=lambda t: t.key)}
        self._type_by_iri = {t.iri: t for t in types}
        self.by_iri = {a.iri: a for a in areas}
        self._by_code: dict[str, Area] = {}
        for area in areas:
            for code in (area.gss_code, area.ods_code):
                if code:
                    self._by_code[code.upper()] = area
        self._parents: dict[str, list[AreaMembership]] = defaultdict(list)
        self._children: dict[str, list[AreaMembership]] = defaultdict(list)
        for m in memberships:
            self._parents[m.member].append(m)
            self._children[m.parent].append(m)
        by_code = {t.iri for t in types if t.contains_by_code}
        # Memberships that show an area in use: all but those into an area that holds its
        # members by code (England holds every E-coded region, retired or not)
        self._in_use_links: dict[str, list[AreaMembership]] = {
            iri: [
                m
                for m in self._parents[iri]
                if not (m.parent in self.by_iri and self.by_iri[m.parent].type_iris & by_code)
            ]
            + self._children[iri]
            for iri in set(self._parents) | set(self._children)
        }

    @classmethod
    def build(cls, store: GraphStore) -> AreaIndex:
        types = [
            AreaType(r["apiName"], r["type"], r["label"], r["definition"], r["byCode"] is True)
            for r in store.select(AREA_TYPES)
        ]
        rows: dict[str, dict[str, Any]] = {}
        types_of: dict[str, set[str]] = defaultdict(set)
        for r in store.select(AREAS):
            rows.setdefault(r["area"], r)
            types_of[r["area"]].add(r["type"])
        names = preferred_labels(store)
        areas = [
            Area(
                iri=iri,
                code=r["gss"] or r["ods"] or iri.rsplit("/", 1)[-1],
                name=names.get(iri, r["label"]),
                type_iris=frozenset(types_of[iri]),
                gss_code=r["gss"],
                ods_code=r["ods"],
            )
            for iri, r in rows.items()
        ]
        memberships = [
            AreaMembership(
                r["member"],
                r["parent"],
                r["from"],
                r["to"],
                float(r["share"]) if r["share"] is not None else 1.0,
            )
            for r in store.select(MEMBERSHIPS)
        ]
        return cls(types, areas, memberships)

    def memberships(self) -> list[AreaMembership]:
        return [m for held in self._parents.values() for m in held]

    def type_keys(self, area: Area) -> list[str]:
        return sorted(self._type_by_iri[t].key for t in area.type_iris if t in self._type_by_iri)

    def find(self, code: str) -> Area | None:
        return self._by_code.get(code.strip().upper())

    def of_type(self, key: str, on: date | None = None) -> list[Area]:
        """Areas of a type; with a date, those that take part in a membership on that date (an
        area type without memberships is listed whole). Belonging to an area that holds its
        members by code (nhskg:containsByCode: England) does not count."""
        iri = self.types[key].iri
        found = [a for a in self.by_iri.values() if iri in a.type_iris]
        if on is None:
            return sorted(found, key=lambda a: a.code)
        dated = [a for a in found if self._in_use(a.iri, on)]
        undated = all(not self._parents[a.iri] and not self._children[a.iri] for a in found)
        return sorted(found if undated else dated, key=lambda a: a.code)

    def _in_use(self, iri: str, on: date) -> bool:
        return any(m.holds_on(on) for m in self._in_use_links.get(iri, ()))

    def parents(self, area: Area, on: date) -> list[tuple[Area, AreaMembership]]:
        return [
            (self.by_iri[m.parent], m)
            for m in self._parents[area.iri]
            if m.holds_on(on) and m.parent in self.by_iri
        ]

    def children(self, area: Area, on: date) -> list[tuple[Area, AreaMembership]]:
        """Its members on the date; of an area that holds its members by code (England), those
        in use on the date (not every region it ever had)."""
        by_code = any(self._type_by_iri[t].contains_by_code for t in area.type_iris
                      if t in self._type_by_iri)  # fmt: skip
        return [
            (self.by_iri[m.member], m)
            for m in self._children[area.iri]
            if m.holds_on(on)
            and m.member in self.by_iri
            and (not by_code or self._in_use(m.member, on))
        ]
