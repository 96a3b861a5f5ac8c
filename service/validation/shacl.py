"""Run the SHACL shapes with pySHACL and turn its results into findings a steward can act on."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from pyshacl import validate as pyshacl_validate
from rdflib import RDF, BNode, Graph, Namespace
from rdflib.term import Node

from service.terms import load_ontology, load_shapes
from service.validation.report import Finding, ValidationReport

SH = Namespace("http://www.w3.org/ns/shacl#")

# Where a finding points back to in a source file: (focus, path, value) -> (file, row, column).
Locator = Callable[[Node, Node | None, Node | None], tuple[str, int | None, str | None]]


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    return load_shapes()


@lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    return load_ontology()


def validate_graph(data: Graph, locate: Locator) -> ValidationReport:
    """Validate `data` (candidate plus the reference slice it touches) with the ontology's class
    hierarchy available, as one SHACL run over one graph."""
    combined = Graph()
    for triple in ontology_graph():
        combined.add(triple)
    for triple in data:
        combined.add(triple)
    conforms, results, _ = pyshacl_validate(
        combined,
        shacl_graph=shapes_graph(),
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    assert isinstance(results, Graph)
    findings = [
        _finding(results, r, locate) for r in results.subjects(RDF.type, SH.ValidationResult)
    ]
    findings.sort(key=lambda f: (f.file, f.row or 0, f.column or "", f.rule))
    return ValidationReport(conforms=bool(conforms), findings=findings, results_graph=results)


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
