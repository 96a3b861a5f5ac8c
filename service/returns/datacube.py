"""A slice of the reported values as RDF Data Cube observations (nhskg:ReportedValue, a
qb:Observation), for SPARQL users. The numbers live in DuckDB; this view is built on request
for one organisation, so it stays small."""

from __future__ import annotations

from datetime import date

from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef

from service.returns.numbers import NumbersStore
from service.terms import ID
from service.vocab import NHSKG

QB = Namespace("http://purl.org/linked-data/cube#")
STRUCTURE = ID["structure/returns"]

SLICE = """
SELECT v.batch_id, b.graph, v.org_iri, v.reported_code, v.stated_region, v.region_code, v.metric,
       v.period_start, v.period_end, v.value
FROM reported_value v JOIN batch b USING (batch_id)
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
) -> Graph:
    """The current values reported by (or restated to) `code` as Data Cube observations (only
    those whose return states one of `regions`, if given: the caller's scope)."""
    rows = (
        numbers.con.cursor()
        .execute(
            SLICE,
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
    for row in rows:
        batch_id, batch_graph, org, reported, region, region_code, metric_iri = row[:7]
        first, last, value = row[7:]
        batch = URIRef(batch_graph)
        # One value per reported code, stated region, metric and period in a batch (the rule).
        key = f"{batch_id}/{reported}/{region_code}/{metric_iri.rsplit('#', 1)[-1]}/{first}"
        node = ID[f"observation/{key}"]
        graph.add((batch, RDF.type, NHSKG.ReturnBatch))
        graph.add((batch, QB.structure, STRUCTURE))
        graph.add((node, RDF.type, NHSKG.ReportedValue))
        graph.add((node, NHSKG.inBatch, batch))
        graph.add((node, NHSKG.reportingOrganisation, URIRef(org)))
        graph.add((node, NHSKG.statedRegion, Literal(region)))
        graph.add((node, NHSKG.metric, URIRef(metric_iri)))
        graph.add((node, NHSKG.periodStart, Literal(first, datatype=XSD.date)))
        graph.add((node, NHSKG.periodEnd, Literal(last, datatype=XSD.date)))
        graph.add((node, NHSKG.reportedCode, Literal(reported)))
        graph.add((node, NHSKG.reportedValue, Literal(value, datatype=XSD.double)))
    return graph
