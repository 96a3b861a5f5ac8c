"""A slice of the reported values as RDF Data Cube observations, for SPARQL and Data Cube users.

Each value is a `qb:Observation` (and an `nhskg:ReportedValue`) in its batch's `qb:DataSet`
(`qb:dataSet`), whose `qb:structure` is the data structure definition of ontology/returns.ttl,
included with its component properties so the slice reads alone. Values are written with their
metric's `nhskg:valueDatatype` (xsd:integer for counts). Observation IRIs are readable:
`id/observation/{dataset}/{publication}/{file hash}/{reported code}/{region}/{metric}/{day}`.
The numbers live in DuckDB; this view is built on request for one organisation.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from urllib.parse import quote

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from service.access.disclosure import RecordsProtection
from service.rdf.terms import ID, ONTOLOGY_DIR
from service.rdf.vocab import NHSKG
from service.reference.metrics import MetricIndex
from service.returns.numbers import NumbersStore

QB = Namespace("http://purl.org/linked-data/cube#")
STRUCTURE = ID["structure/returns"]

SLICE = """
SELECT v.batch_id, v.org_iri, v.reported_code, v.stated_region, v.region_code, v.metric,
       v.period_start, v.period_end, v.value, v.area_type, v.marker
FROM (SELECT * FROM {values}) v JOIN batch b ON b.batch_id = v.batch_id
WHERE b.status = 'current' AND (v.org_code = $code OR v.reported_code = $code)
  AND ($metric IS NULL OR v.metric = $metric) AND v.period_start BETWEEN $start AND $end
  AND ($regions IS NULL OR list_contains($regions, v.region_code))
ORDER BY v.metric, v.period_start, v.reported_code
"""


def datacube_slice(
    numbers: NumbersStore,
    code: str,
    metric: str | None = None,
    start: date | None = None,
    end: date | None = None,
    regions: list[str] | None = None,
    *,
    metrics: MetricIndex | None = None,
    protection: RecordsProtection | None = None,
) -> Graph:
    """The current values reported by (or restated to) `code` as Data Cube observations (as
    known on a day for `numbers.known_at(day)`; only those whose return states one of `regions`,
    if given: the caller's scope). `protection`: the caller's disclosure control (each value of a
    protected metric perturbed as every roll-up perturbs it, and said so)."""
    values = protection.relation(numbers.values) if protection else numbers.values
    rows = (
        numbers.reader()
        .execute(
            SLICE.replace("{values}", values),
            {
                "code": code.strip().upper(),
                "metric": metric,
                "start": start or date.min,
                "end": end or date.max,
                "regions": regions,
            },
        )
        .fetchall()
    )
    graph = Graph()
    graph.bind("qb", QB)
    graph.bind("nhskg", str(NHSKG))
    if rows:
        for triple in structure():
            graph.add(triple)
    for row in rows:
        batch_id, org, reported, region, region_code, metric_iri, first, last, value = row[:9]
        area_type, marker = row[9:]
        batch = URIRef(batch_id)
        key = metric_iri.rsplit("#", 1)[-1]
        # A value reported by area is one per area type (an LTLA and the same code as a UTLA).
        node = observation_iri(batch_id, reported, region_code or area_type or "", key, first)
        graph.add((batch, RDF.type, QB.DataSet))
        graph.add((batch, RDF.type, NHSKG.ReturnBatch))
        graph.add((batch, QB.structure, STRUCTURE))
        graph.add((node, RDF.type, QB.Observation))
        graph.add((node, RDF.type, NHSKG.ReportedValue))
        graph.add((node, QB.dataSet, batch))
        graph.add((node, NHSKG.inBatch, batch))
        if area_type is not None:
            graph.add((node, NHSKG.reportingAreaType, Literal(area_type)))
            if org:  # an area code the graph does not hold has no IRI
                graph.add((node, NHSKG.reportingArea, URIRef(org)))
        else:
            graph.add((node, NHSKG.reportingOrganisation, URIRef(org)))
        graph.add((node, NHSKG.statedRegion, Literal(region)))
        graph.add((node, NHSKG.metric, URIRef(metric_iri)))
        graph.add((node, NHSKG.periodStart, Literal(first, datatype=XSD.date)))
        graph.add((node, NHSKG.periodEnd, Literal(last, datatype=XSD.date)))
        graph.add((node, NHSKG.reportedCode, Literal(reported)))
        if marker == "suppressed":
            graph.add((node, NHSKG.suppressedValue, Literal(True)))
        else:
            graph.add((node, NHSKG.reportedValue, typed_value(value, metric_iri, metrics)))
            if protection is not None and protection.protects(metric_iri):
                graph.add((node, NHSKG.publishedWithProtection, NHSKG.CellKeyPerturbation))
    return graph


def observation_iri(batch_id: str, reported: str, region: str, metric: str, day: date) -> URIRef:
    """One value per reported code, stated region, metric and period in a batch (the rule)."""
    batch = batch_id.removeprefix(str(ID["batch/"]))
    parts = [batch, quote(reported, safe=""), quote(region, safe=""), metric, day.isoformat()]
    return ID["observation/" + "/".join(parts)]


def typed_value(value: float, metric_iri: str, metrics: MetricIndex | None) -> Literal:
    """The value with its metric's datatype: a count as xsd:integer (when whole, as counts
    are), anything else as xsd:decimal."""
    term = metrics.by_iri(metric_iri) if metrics else None
    if term is not None and term.value_datatype == str(XSD.integer) and float(value).is_integer():
        return Literal(int(value), datatype=XSD.integer)
    return Literal(repr(float(value)), datatype=XSD.decimal)


@lru_cache(maxsize=1)
def structure() -> tuple[tuple[Node, Node, Node], ...]:
    """The data structure definition and its component properties (type, label, range, code
    list), from ontology/returns.ttl: what a Data Cube reader needs beside the observations."""
    ontology = Graph().parse(ONTOLOGY_DIR / "returns.ttl", format="turtle")
    out: list[tuple[Node, Node, Node]] = list(ontology.triples((STRUCTURE, None, None)))
    for component in ontology.objects(STRUCTURE, QB.component):
        out += ontology.triples((component, None, None))
        for prop in ontology.objects(component, None):
            if isinstance(prop, URIRef) and prop.startswith(str(NHSKG)):
                for predicate in (RDF.type, RDFS.label, RDFS.range, QB.codeList):
                    out += [(prop, predicate, o) for o in ontology.objects(prop, predicate)]
    return tuple(out)
