"""Run the SHACL shapes and turn the results into findings a steward can act on.

Two paths over the same shapes: `validate_graph` (the one loads use) runs the core constraints
with pySHACL and each SPARQL-based constraint as one whole-graph query in Oxigraph
(service/validation/whole_graph.py); `validate_graph_pyshacl` runs everything in pySHACL. A
differential test (tests/test_validation_differential.py) holds them to the same results.
"""

from __future__ import annotations

from collections.abc import Callable

from pyshacl import validate as pyshacl_validate
from rdflib import RDF, BNode, Graph, Literal
from rdflib.term import Node

from service.validation import rulebook, whole_graph
from service.validation.report import Finding, ValidationReport
from service.validation.rulebook import SH, ontology_graph, shapes_graph

# Where a finding points back to in a source file: (focus, path, value) -> (file, row, column).
Locator = Callable[[Node, Node | None, Node | None], tuple[str, int | None, str | None]]

__all__ = ["SH", "Locator", "ontology_graph", "shapes_graph", "validate_graph"]

_core_shapes: Graph | None = None


def core_shapes_graph() -> Graph:
    global _core_shapes
    if _core_shapes is None:
        _core_shapes = rulebook.core_shapes(shapes_graph())
    return _core_shapes


def validate_graph(data: Graph, locate: Locator) -> ValidationReport:
    """Validate `data` (candidate plus the reference slice it touches) with the ontology's class
    hierarchy available: core constraints in pySHACL, SPARQL-based ones in Oxigraph."""
    combined = _with_ontology(data)
    _, results = _run_pyshacl(combined, core_shapes_graph())
    store = whole_graph.data_store([combined])
    found = [
        r
        for c in rulebook.fast_constraints(shapes_graph())
        for r in whole_graph.run_constraint(store, c)
    ]
    whole_graph.add_to_report(results, shapes_graph(), found)
    return report_from_results(results, locate)


def validate_graph_pyshacl(data: Graph, locate: Locator) -> ValidationReport:
    """The reference path: every shape, SPARQL-based ones included, in pySHACL."""
    _, results = _run_pyshacl(_with_ontology(data), shapes_graph())
    return report_from_results(results, locate)


def report_from_results(results: Graph, locate: Locator) -> ValidationReport:
    report = results.value(None, RDF.type, SH.ValidationReport)
    conforms = results.value(report, SH.conforms)
    assert isinstance(conforms, Literal), "a SHACL results graph states sh:conforms"
    findings = [
        _finding(results, r, locate) for r in results.subjects(RDF.type, SH.ValidationResult)
    ]
    findings.sort(key=lambda f: (f.file, f.row or 0, f.column or "", f.rule))
    return ValidationReport(
        conforms=bool(conforms.toPython()), findings=findings, results_graph=results
    )


def _with_ontology(data: Graph) -> Graph:
    combined = Graph()
    for triple in ontology_graph():
        combined.add(triple)
    for triple in data:
        combined.add(triple)
    return combined


def _run_pyshacl(data: Graph, shapes: Graph) -> tuple[bool, Graph]:
    # inplace: `data` is our own copy and no inference runs, so pySHACL need not clone it.
    conforms, results, _ = pyshacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        inplace=True,
    )
    assert isinstance(results, Graph)
    return bool(conforms), results


def _finding(results: Graph, result: Node, locate: Locator) -> Finding:
    focus = results.value(result, SH.focusNode)
    path = results.value(result, SH.resultPath)
    value = results.value(result, SH.value)
    message = results.value(result, SH.resultMessage)
    source_shape = results.value(result, SH.sourceShape)
    severity = results.value(result, SH.resultSeverity)
    assert focus is not None
    file, row, column = locate(focus, path, value)
    # Property shapes are blank nodes; name the node shape that holds them.
    shape = source_shape
    if isinstance(source_shape, BNode):
        parent = shapes_graph().value(None, SH.property, source_shape)
        shape = parent or source_shape
    return Finding(
        file=file,
        row=row,
        column=column,
        value=str(value) if value is not None else None,
        rule=str(message) if message else "breaks a SHACL rule",
        shape=str(shape) if shape is not None else None,
        focus=str(focus),
        severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
    )
