"""Validate a batch with the SHACL shapes: the candidate values as Data Cube observations, the
organisations and metrics they name, and the batch node the batch-wide rules run on once. pySHACL
runs the per-value shapes as written. The batch-wide SPARQL constraints (plain joins) need
seconds per batch on rdflib and on Oxigraph (8.5 s for the KH03 quarter's 1,950 values), so the
load runs their DuckDB twins; `sparql_findings` runs them verbatim on Oxigraph, and the
differential tests require the same findings from both."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

import pyoxigraph as ox
from pyshacl import validate as pyshacl_validate
from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef

from service.rdf.store import to_ox
from service.rdf.vocab import NHSKG
from service.returns.context import BatchContext, return_shapes
from service.validation.report import Finding
from service.validation.shacl import SH, ontology_graph


def batch_graph(ctx: BatchContext) -> Graph:
    graph = Graph()
    for triple in ontology_graph():
        graph.add(triple)
    batch = URIRef(ctx.batch_iri)
    graph.add((batch, RDF.type, NHSKG.ReturnBatch))
    v = ctx.values
    add = graph.add
    reported = v.reported_codes()
    for i in range(len(v)):
        node = URIRef(ctx.value_node(i))
        add((node, RDF.type, NHSKG.ReportedValue))
        add((node, NHSKG.inBatch, batch))
        add((node, NHSKG.metric, URIRef(v.metric[i])))
        add((node, NHSKG.reportingOrganisation, URIRef(ctx.resolution.org_iri[i])))
        add((node, NHSKG.reportedCode, Literal(reported[i])))
        add((node, NHSKG.periodStart, Literal(v.period_start[i])))
        add((node, NHSKG.statedRegion, Literal(v.region[i])))
        add((node, NHSKG.reportedValue, _decimal(v.value[i], v.raw[i])))
    _organisations(ctx, graph)
    return graph


def _decimal(number: float | None, raw: str | None) -> Literal:
    if raw is not None:  # ill-typed: the datatype rule reports it
        literal = Literal(raw, datatype=XSD.decimal)
        # rdflib reads "1e999", "nan" and "inf" as decimals; xsd:decimal has no exponent,
        # infinity or NaN (the reader refused them as numbers), so they stay ill-typed here too.
        return (
            Literal(f"not a decimal: {raw}", datatype=XSD.decimal)
            if not literal.ill_typed
            else literal
        )
    try:  # fixed-point: xsd:decimal has no exponent form (1e300 would be ill-typed)
        return Literal(format(Decimal(repr(number)), "f"), datatype=XSD.decimal)
    except InvalidOperation:
        return Literal(str(number), datatype=XSD.decimal)


def _organisations(ctx: BatchContext, graph: Graph) -> None:
    by_iri = {r.iri: r for r in ctx.registered.values()}
    for iri in set(ctx.resolution.org_iri):
        node = URIRef(iri)
        reg = by_iri.get(iri)
        if reg is None:
            graph.add((node, RDF.type, NHSKG.UnregisteredProvider))
            continue
        graph.add((node, RDF.type, NHSKG.Organisation))
        if reg.open_date:
            graph.add((node, NHSKG.openDate, Literal(reg.open_date)))
        if reg.close_date:
            graph.add((node, NHSKG.closeDate, Literal(reg.close_date)))


@lru_cache(maxsize=1)
def core_shapes() -> Graph:
    """The return shapes without their SPARQL constraints (those run on Oxigraph)."""
    shapes = return_shapes()
    core = Graph()
    sparql = set(shapes.objects(None, SH.sparql))
    for s, p, o in shapes:
        if p != SH.sparql and s not in sparql:
            core.add((s, p, o))
    return core


def shacl_findings(ctx: BatchContext, *, batch_rules: str = "duckdb") -> list[Finding]:
    """pySHACL on the per-value shapes; the batch-wide SPARQL constraints as their DuckDB twins
    (batch_rules="duckdb", the load path) or verbatim on Oxigraph (batch_rules="sparql")."""
    graph = batch_graph(ctx)
    _, results, _ = pyshacl_validate(
        graph,
        shacl_graph=core_shapes(),
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=True,  # no inference, so nothing is added; saves pySHACL's copy of the graph
    )
    assert isinstance(results, Graph)
    findings = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = str(results.value(result, SH.focusNode))
        message = str(results.value(result, SH.resultMessage) or "breaks a SHACL rule")
        severity = str(results.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        shape = _shape_name(results.value(result, SH.sourceShape))
        index = ctx.index_of(focus)
        if index is None:
            findings.append(
                Finding(ctx.values.file, None, None, None, message, shape, focus, severity)
            )
        else:
            findings.append(ctx.finding(index, message, shape, severity))
    if batch_rules == "sparql":
        return findings + sparql_findings(ctx, graph)
    from service.returns.vectorised import vectorised_findings

    return findings + vectorised_findings(ctx, batch_rules_only=True)


def sparql_findings(ctx: BatchContext, graph: Graph) -> list[Finding]:
    """Each SPARQL constraint of the shapes targeting nhskg:ReturnBatch, run once for the batch."""
    shapes = return_shapes()
    store = ox.Store()
    store.extend([ox.Quad(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in graph])
    prefixes = "".join(
        f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>\n"
        for d in shapes.objects(None, SH.declare)
    )
    findings = []
    for shape in shapes.subjects(SH.targetClass, NHSKG.ReturnBatch):
        for constraint in shapes.objects(shape, SH.sparql):
            select = str(shapes.value(constraint, SH.select))
            query = select.replace("SELECT $this ?value", "SELECT ?value", 1)
            query = prefixes + query.replace("$this", f"<{ctx.batch_iri}>")
            message = str(shapes.value(constraint, SH.message))
            severity = shapes.value(constraint, SH.severity) or shapes.value(shape, SH.severity)
            level = str(severity or SH.Violation).rsplit("#", 1)[-1]
            solutions = store.query(query)
            assert isinstance(solutions, ox.QuerySolutions)
            seen: set[int] = set()
            for solution in solutions:
                index = ctx.index_of(str(solution["value"].value))
                if index is not None and index not in seen:
                    seen.add(index)
                    findings.append(ctx.finding(index, message, str(shape), level))
    return findings


def _shape_name(source: object) -> str | None:
    """Property and SPARQL shapes are blank nodes; name the node shape that holds them."""
    shapes = return_shapes()
    if isinstance(source, BNode):
        parent = shapes.value(None, SH.property, source) or shapes.value(None, SH.sparql, source)
        return str(parent) if parent is not None else None
    return str(source) if source is not None else None
