"""Organisations (trusts, sites, ...) with their ODS records over vintages, indexed for reads."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from service.rdf.store import GraphStore

ORGANISATIONS = """
SELECT DISTINCT ?org ?code ?type ?label ?openDate ?closeDate WHERE {
    ?org nhskg:odsCode ?code ; a ?type ; rdfs:label ?label .
    ?type rdfs:subClassOf* ?root .
    VALUES ?root { nhskg:Organisation nhskg:Site }
    OPTIONAL { ?org nhskg:openDate ?openDate }
    OPTIONAL { ?org nhskg:closeDate ?closeDate }
}"""

ODS_RECORDS = """
SELECT ?org ?vintage ?label ?region ?geography WHERE {
    ?record a nhskg:OdsRecord ; nhskg:recordOf ?org ; nhskg:vintage ?vintage ;
            rdfs:label ?label .
    OPTIONAL { ?record nhskg:statedRegionCode ?region }
    OPTIONAL { ?record nhskg:statedHealthGeographyCode ?geography }
}"""


SITE_PLACES = """
SELECT ?site ?postcode ?lat ?long ?vintage WHERE {
    { ?site a nhskg:Site ; nhskg:postcode ?postcode }
    UNION
    { ?record nhskg:siteRecordOf ?site ; nhskg:vintage ?vintage .
      OPTIONAL { ?record nhskg:postcode ?postcode }
      OPTIONAL { ?record nhskg:latitude ?lat ; nhskg:longitude ?long } }
}"""


@dataclass(frozen=True)
class OdsRecord:
    vintage: date
    name: str
    region_code: str | None
    health_geography_code: str | None


@dataclass
class Organisation:
    iri: str
    code: str
    type_iri: str
    open_date: date | None
    close_date: date | None
    names: set[str] = field(default_factory=set)
    records: list[OdsRecord] = field(default_factory=list)  # sorted by vintage
    postcode: str | None = None  # sites: the postcode the files state (newest first, by code)
    latitude: float | None = None  # sites: WGS84 point, where a hospital list gives one
    longitude: float | None = None

    @property
    def name(self) -> str:
        """The name in the newest vintage that states one."""
        if self.records:
            return self.records[-1].name
        return sorted(self.names)[0] if self.names else self.code

    def open_on(self, day: date) -> bool:
        opened = self.open_date is None or self.open_date <= day
        return opened and (self.close_date is None or day <= self.close_date)

    def record_on(self, day: date) -> OdsRecord | None:
        """The ODS record of the latest vintage at or before the day (else the earliest)."""
        if not self.records:
            return None
        i = bisect_right([r.vintage for r in self.records], day)
        return self.records[i - 1] if i else self.records[0]


class OrganisationIndex:
    def __init__(self, organisations: list[Organisation]) -> None:
        self.by_code = {o.code: o for o in organisations}
        self.by_iri = {o.iri: o for o in organisations}
        self.codes = sorted(self.by_code)

    @classmethod
    def build(cls, store: GraphStore) -> OrganisationIndex:
        orgs: dict[str, Organisation] = {}
        for r in store.select(ORGANISATIONS):
            org = orgs.get(r["org"])
            if org is None or _more_specific(r["type"], org.type_iri):
                names = org.names if org else set()
                org = Organisation(
                    r["org"], r["code"], r["type"], r["openDate"], r["closeDate"], names
                )
                orgs[r["org"]] = org
            org.names.add(r["label"])
        records: dict[str, list[OdsRecord]] = defaultdict(list)
        for r in store.select(ODS_RECORDS):
            records[r["org"]].append(
                OdsRecord(r["vintage"], r["label"], r["region"], r["geography"])
            )
        for iri, recs in records.items():
            if iri in orgs:
                # by vintage (two files of one vintage: by name, not by the order rows came in)
                orgs[iri].records = sorted(recs, key=lambda rec: (rec.vintage, rec.name))
        _add_site_places(store, orgs)
        return cls(list(orgs.values()))

    def find(self, code: str) -> Organisation | None:
        return self.by_code.get(code.strip().upper())

    def near_matches(self, code: str, limit: int = 5) -> list[str]:
        return near_matches(code, self.codes, limit)


def _add_site_places(store: GraphStore, orgs: dict[str, Organisation]) -> None:
    """Postcode and point of each site, from the newest site record that states them (else the
    postcode the ODS etrust file gives the site itself)."""
    rows = store.select(SITE_PLACES)
    rows.sort(key=lambda r: (r["vintage"] is not None, str(r["vintage"] or "")), reverse=True)
    for r in rows:  # newest vintage first, the undated etrust postcode last
        site = orgs.get(r["site"])
        if site is None:
            continue
        if site.postcode is None and r["postcode"]:
            site.postcode = str(r["postcode"])
        if site.latitude is None and r["lat"] is not None and r["long"] is not None:
            site.latitude, site.longitude = float(r["lat"]), float(r["long"])


_GENERIC = ("#Organisation", "#Site", "#FormalOrganization", "#Organization", "#Agent")


def _more_specific(candidate: str, current: str) -> bool:
    # An organisation carries its ontology class and the classes above it; keep the narrowest.
    return current.endswith(_GENERIC) and not candidate.endswith(_GENERIC)


# Codes longer than this are not ODS or GSS codes (the longest are 9 characters); near matches
# look at no more of an unknown code than this, so their cost never depends on the input.
NEAR_MATCH_PREFIX = 12


def near_matches(code: str, known: list[str], limit: int = 5) -> list[str]:
    """Known codes (sorted) that share the most leading characters with an unknown one: a
    bisection per prefix length, at most NEAR_MATCH_PREFIX of them (O(log n) each)."""
    code = code[: NEAR_MATCH_PREFIX * 4].strip().upper()[:NEAR_MATCH_PREFIX]
    for size in range(len(code), 0, -1):
        prefix = code[:size]
        start = bisect_left(known, prefix)
        hits = [c for c in known[start : start + limit] if c.startswith(prefix)]
        if hits:
            return hits
    return []


ORGANISATION_LIFETIMES = """
SELECT ?code ?open ?close WHERE {
    { SELECT DISTINCT ?type WHERE { ?type rdfs:subClassOf* nhskg:Organisation } }
    ?org a ?type ; nhskg:odsCode ?code ; nhskg:openDate ?open .
    OPTIONAL { ?org nhskg:closeDate ?close }
}
"""


def organisation_lifetimes(store: GraphStore) -> dict[str, tuple[date, date | None]]:
    """ODS code -> (open date, close date) of every organisation in the store. (The classes
    first: joined from the organisations' side, Oxigraph took 8x longer.)"""
    return {
        r["code"]: (r["open"], r["close"])
        for r in store.select(ORGANISATION_LIFETIMES)
        if isinstance(r["open"], date)
    }
