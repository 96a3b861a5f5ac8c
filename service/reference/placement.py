"""The reference facts placement needs (areas, memberships, site locations and operations,
headquarters, postcodes, catchment tables, ODS records, trusts), read from the store once into
plain Python objects (service/geography/ places organisations with them).

Area types are read from the ontology (every subclass of nhskg:GeographicArea with an
nhskg:apiName), so a new kind of area with memberships needs no code change here. Each fact keeps
the named graph it came from: answers cite their source graphs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from service.rdf.store import GraphStore, lexical_date
from service.rdf.terms import ID
from service.reference.areas import preferred_labels

AREA = str(ID["area/"])
ORG = str(ID["org/"])


def code_of(iri: str) -> str:
    """The code at the end of an instance IRI (area/E08000025 -> E08000025)."""
    return iri.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Area:
    iri: str
    code: str
    label: str
    types: frozenset[str]  # API names (LAD, LRF, ...)
    ods_code: str | None = None
    listed_on: tuple[date, ...] = ()


@dataclass(frozen=True)
class Membership:
    iri: str
    member: str
    parent: str
    start: date
    end: date | None
    share: float
    graph: str

    def holds_on(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


@dataclass(frozen=True)
class SiteOperation:
    site: str
    operator: str  # ODS code
    start: date
    end: date | None


@dataclass(frozen=True)
class CatchmentRow:
    iri: str
    area: str
    share: float


@dataclass(frozen=True)
class OdsStatement:
    iri: str
    vintage: date
    region_code: str | None
    geography_code: str | None
    graph: str


@dataclass(frozen=True)
class Organisation:
    code: str
    label: str
    opened: date | None
    closed: date | None

    def open_on(self, on: date) -> bool:
        return (self.opened is None or self.opened <= on) and (
            self.closed is None or on <= self.closed
        )


@dataclass
class Reference:
    area_types: dict[str, str] = field(default_factory=dict)  # class IRI -> API name
    areas: dict[str, Area] = field(default_factory=dict)
    memberships: dict[str, list[Membership]] = field(default_factory=dict)  # by member
    located_in: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # site -> (lad, g)
    # site -> how a location without a point of its own was found (shared postcode)
    location_basis: dict[str, dict[str, str]] = field(default_factory=dict)
    headquarters: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # code -> (lad, g)
    site_operations: list[SiteOperation] = field(default_factory=list)
    catchments: dict[str, dict[str, list[CatchmentRow]]] = field(default_factory=dict)
    catchment_labels: dict[str, str] = field(default_factory=dict)
    ods_records: dict[str, list[OdsStatement]] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    areas_by_ods: dict[str, list[Area]] = field(default_factory=dict)

    def api_names(self) -> list[str]:
        return sorted(set(self.area_types.values()))


_TYPES = """SELECT DISTINCT ?cls ?name WHERE {
  ?cls rdfs:subClassOf+ nhskg:GeographicArea ; nhskg:apiName ?name }"""
_AREAS = """SELECT DISTINCT ?area ?cls ?label ?ods ?listed WHERE {
  ?area a ?cls . ?cls rdfs:subClassOf+ nhskg:GeographicArea .
  OPTIONAL { ?area rdfs:label ?label } OPTIONAL { ?area nhskg:odsCode ?ods }
  OPTIONAL { ?area nhskg:codeListedOn ?listed } }"""
# The end of a membership may be stated in another graph than the membership (a steward's
# end_area_membership): read from any current graph, the earliest stated.
_MEMBERSHIPS = """SELECT ?m ?member ?parent ?from ?share ?g (MIN(?end) AS ?to) WHERE {
  GRAPH ?g {
    ?m a nhskg:AreaMembership ; nhskg:memberArea ?member ; nhskg:parentArea ?parent ;
       nhskg:validFrom ?from .
    OPTIONAL { ?m nhskg:share ?share } }
  OPTIONAL { ?m nhskg:validTo ?end } }
GROUP BY ?m ?member ?parent ?from ?share ?g"""
_LOCATED = """SELECT DISTINCT ?site ?lad ?g WHERE { GRAPH ?g { ?site nhskg:locatedIn ?lad } }"""
_HQ = (
    """SELECT DISTINCT ?org ?lad ?g WHERE { GRAPH ?g { ?org nhskg:headquartersLocatedIn ?lad } }"""
)
_SITE_OPS = """SELECT DISTINCT ?site ?code ?from ?to WHERE {
  ?op a nhskg:SiteOperation ; nhskg:operatedSite ?site ; nhskg:operator ?org ;
      nhskg:validFrom ?from .
  ?org nhskg:odsCode ?code . OPTIONAL { ?op nhskg:validTo ?to }
  FILTER NOT EXISTS { ?correction nhskg:corrects ?op } }"""
_POSTCODES = """SELECT DISTINCT ?x ?pc WHERE { ?x nhskg:postcode ?pc }"""
_CATCHMENTS = """SELECT DISTINCT ?s ?table ?org ?area ?share WHERE {
  ?s a nhskg:CatchmentShare ; nhskg:catchmentTable ?table ; nhskg:catchmentOf ?org ;
     nhskg:catchmentArea ?area ; nhskg:share ?share }"""
_TABLES = """SELECT DISTINCT ?table ?label WHERE {
  ?table a nhskg:CatchmentTable . OPTIONAL { ?table rdfs:label ?label } }"""
_RECORDS = """SELECT DISTINCT ?r ?code ?vintage ?region ?geo ?g ?label WHERE { GRAPH ?g {
  ?r a nhskg:OdsRecord ; nhskg:recordOf ?org ; nhskg:vintage ?vintage .
  OPTIONAL { ?r nhskg:statedRegionCode ?region }
  OPTIONAL { ?r nhskg:statedHealthGeographyCode ?geo } }
  OPTIONAL { ?r rdfs:label ?label }
  ?org nhskg:odsCode ?code }"""
# Trusts, and the providers returns name that the reference files do not (a steward may state
# their region: ODS_STATED then places their values).
_ORGS = """SELECT DISTINCT ?code ?label ?open ?close WHERE {
  { ?org a nhskg:NHSTrust } UNION { ?org a nhskg:UnregisteredProvider }
  ?org nhskg:odsCode ?code .
  OPTIONAL { ?org rdfs:label ?label } OPTIONAL { ?org nhskg:openDate ?open }
  OPTIONAL { ?org nhskg:closeDate ?close } }"""


def _current(store: GraphStore, query: str) -> list[dict[str, str | None]]:
    """Rows of a query over named graphs (GRAPH ?g), from current graphs only: GRAPH ?g also
    sees graphs a later load replaced, which the store keeps as history."""
    current = set(store.current_graphs())
    return [r for r in store.lexical_select(query) if r["g"] in current]


def read_reference(store: GraphStore) -> Reference:
    with store.reading_in_memory():
        return _read_reference(store)


def _read_reference(store: GraphStore) -> Reference:
    ref = Reference()
    ref.area_types = {str(r["cls"]): str(r["name"]) for r in store.lexical_select(_TYPES)}
    _read_areas(store, ref)
    # One membership per node: two files may state the same one (England's regions are in the
    # 2019 and the 2022 NHS region files), and counting it twice would double its share.
    stated: dict[str, Membership] = {}
    for r in sorted(_current(store, _MEMBERSHIPS), key=lambda r: str(r["g"])):
        if str(r["m"]) in stated:
            continue
        start = lexical_date(r["from"])
        if start is None:
            continue  # the shapes require a valid start date
        share = float(r["share"]) if r["share"] is not None else 1.0
        m = Membership(
            str(r["m"]),
            str(r["member"]),
            str(r["parent"]),
            start,
            lexical_date(r["to"]),
            share,
            str(r["g"]),
        )
        stated[m.iri] = m
        ref.memberships.setdefault(m.member, []).append(m)
    for r in _current(store, _LOCATED):
        ref.located_in.setdefault(str(r["site"]), []).append((str(r["lad"]), str(r["g"])))
    for r in _current(store, _HQ):
        ref.headquarters.setdefault(code_of(str(r["org"])), []).append((str(r["lad"]), str(r["g"])))
    ref.site_operations = [
        SiteOperation(str(r["site"]), str(r["code"]), start, lexical_date(r["to"]))
        for r in store.lexical_select(_SITE_OPS)
        if (start := lexical_date(r["from"])) is not None
    ]
    for r in store.lexical_select(_TABLES):
        ref.catchment_labels[str(r["table"])] = str(r["label"] or code_of(str(r["table"])))
    _read_catchments(store, ref)
    newest: dict[str, tuple[date, str]] = {}  # each code's name in its newest ODS record
    records_read: set[OdsStatement] = set()
    for r in _current(store, _RECORDS):
        vintage = lexical_date(r["vintage"])
        if vintage is None:
            continue
        code = str(r["code"])
        if r["label"] is not None and (vintage, str(r["label"])) > newest.get(code, (date.min, "")):
            newest[code] = (vintage, str(r["label"]))
        statement = OdsStatement(str(r["r"]), vintage, r["region"], r["geo"], str(r["g"]))
        if statement not in records_read:  # once, whatever labels the record has
            records_read.add(statement)
            ref.ods_records.setdefault(code, []).append(statement)
    for records in ref.ods_records.values():
        records.sort(key=lambda s: s.vintage)
    for r in sorted(store.lexical_select(_ORGS), key=lambda r: str(r["label"] or ""), reverse=True):
        code = str(r["code"])  # the newest ODS record's name, else the alphabetically first
        label = newest[code][1] if code in newest else str(r["label"] or code)
        ref.organisations[code] = Organisation(
            code, label, lexical_date(r["open"]), lexical_date(r["close"])
        )
    postcodes: dict[str, set[str]] = defaultdict(set)
    for r in store.lexical_select(_POSTCODES):
        postcodes[str(r["x"])].add(str(r["pc"]))
    _in_canonical_order(ref)
    locate_by_postcode(ref, postcodes)
    return ref


def _in_canonical_order(ref: Reference) -> None:
    """Every list in an order of its own content, not the order the store returned the rows:
    shares are summed in that order, and a float sum in another order can round one millionth
    to another area (service/geography/millionths.py), so two copies of the same graphs (on
    disk, in memory) must read as the same reference."""
    for held in ref.memberships.values():
        held.sort(key=lambda m: (m.parent, m.start, m.end or date.max, m.iri))
    for points in (*ref.located_in.values(), *ref.headquarters.values()):
        points.sort()
    ref.site_operations.sort(key=lambda o: (o.site, o.operator, o.start, o.end or date.max))
    for trusts in ref.catchments.values():
        for rows in trusts.values():
            rows.sort(key=lambda r: (r.area, r.iri))


def locate_by_postcode(ref: Reference, postcodes: dict[str, set[str]]) -> None:
    """Give a site with no point of its own (the ODS etrust file lists ambulance stations and
    clinics by postcode only) the district of a located place with the same postcode: a hospital
    site from the NHS website lists, or a trust headquarters whose latest ODS record states
    that postcode. Only when every such place is in one district; the basis is kept as
    evidence."""
    known: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)  # pc -> lad -> (graph, by)
    for site, points in sorted(ref.located_in.items()):
        for pc in sorted(postcodes.get(site, ())):
            for lad, graph in points:
                known[pc].setdefault(lad, (graph, code_of(site)))
    for code, records in sorted(ref.ods_records.items()):
        for lad, graph in ref.headquarters.get(code, ()):
            for pc in postcodes.get(records[-1].iri, ()):
                known[pc].setdefault(lad, (graph, f"{code} headquarters"))
    for site in sorted({op.site for op in ref.site_operations} - set(ref.located_in)):
        for pc in sorted(postcodes.get(site, ())):
            found = known.get(pc, {})
            if len(found) == 1:
                [(lad, (graph, by))] = found.items()
                ref.located_in[site] = [(lad, graph)]
                ref.location_basis[site] = {"postcode": pc, "shared_with": by}
                break


def _read_areas(store: GraphStore, ref: Reference) -> None:
    types: dict[str, set[str]] = defaultdict(set)
    info: dict[str, tuple[str, str | None]] = {}
    listed: dict[str, set[date]] = defaultdict(set)
    for r in store.lexical_select(_AREAS):
        iri = str(r["area"])
        if r["cls"] in ref.area_types:
            types[iri].add(ref.area_types[r["cls"]])
        label, ods = info.get(iri, ("", None))
        info[iri] = (label or str(r["label"] or ""), ods or (str(r["ods"]) if r["ods"] else None))
        if (day := lexical_date(r["listed"])) is not None:
            listed[iri].add(day)
    names = preferred_labels(store)
    for iri, (label, ods) in info.items():
        area = Area(
            iri,
            code_of(iri),
            names.get(iri, label),
            frozenset(types[iri]),
            ods,
            tuple(sorted(listed[iri])),
        )
        ref.areas[iri] = area
        if ods:
            ref.areas_by_ods.setdefault(ods, []).append(area)
    for held in ref.areas_by_ods.values():
        held.sort(key=lambda a: a.iri)


def _read_catchments(store: GraphStore, ref: Reference) -> None:
    # ~60,000 rows: read the terms' lexical values directly (typed conversion costs seconds).
    for solution in store.raw_query(_CATCHMENTS):
        table = ref.catchments.setdefault(solution["table"].value, {})
        row = CatchmentRow(
            solution["s"].value, solution["area"].value, float(solution["share"].value)
        )
        table.setdefault(code_of(solution["org"].value), []).append(row)
