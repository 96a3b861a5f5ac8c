"""Run the SHACL shapes and turn the results into findings a steward can act on.

Two paths over the same shapes: `validate_graph` / `validate_store` (the one loads use) run the
core constraints as compiled whole-graph queries (service/validation/core_queries.py) and each
SPARQL-based constraint as one whole-graph query (service/validation/whole_graph.py), all in
Oxigraph, with pySHACL only for shapes the compiler does not cover (none in shapes/ today);
`validate_graph_pyshacl` runs everything in pySHACL. Differential tests
(tests/test_validation_differential.py) hold them to the same results, on hand-written cases
and on generated data that makes every compiled check both fire and stay quiet.

Where the time went (profiled on the national reference files): first pySHACL's per-focus-node
SPARQL queries in rdflib (10-30 s per file), then its core constraints node by node (48 s for
the 300k triples of the OHID MSOA catchment table) and building rdflib graphs for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
from pyshacl import validate as pyshacl_validate
from rdflib import RDF, BNode, Graph, Literal
from rdflib.term import Node

from service.validation import core_queries, rulebook, whole_graph
from service.validation.report import Finding, ValidationReport
from service.validation.rulebook import SH, ontology_graph, shapes_graph

# Where a finding points back to in a source file: (focus, path, value) -> (file, row, column).
Locator = Callable[[Node, Node | None, Node | None], tuple[str, int | None, str | None]]

__all__ = ["SH", "Locator", "Rulebook", "ontology_graph", "shapes_graph", "validate_graph"]


@dataclass(frozen=True)
class Rulebook:
    """The shapes, split once into what runs as whole-graph queries (compiled core constraints
    and SPARQL-based constraints) and what is left for pySHACL (`core`; None when nothing is)."""

    shapes: Graph
    core: Graph | None
    fast: tuple[rulebook.SparqlConstraint, ...]
    checks: tuple[core_queries.CoreCheck, ...] = ()
    core_focus: str | None = None  # ASK: does the data hold a focus node of `core`?

    @classmethod
    def from_shapes(cls, shapes: Graph, *, compile_core: bool = True) -> Rulebook:
        fast = tuple(rulebook.fast_constraints(shapes))
        checks, covered = core_queries.compile_shapes(shapes) if compile_core else ([], set())
        core = rulebook.core_shapes(shapes, covered)
        return cls(
            shapes=shapes,
            core=core if rulebook.has_targets(core) else None,
            fast=fast,
            checks=tuple(checks),
            core_focus=rulebook.focus_query(core),
        )


@lru_cache(maxsize=1)
def default_rulebook() -> Rulebook:
    return Rulebook.from_shapes(shapes_graph())


def validate_graph(data: Graph, locate: Locator, rules: Rulebook | None = None) -> ValidationReport:
    """Validate `data` (candidate plus the reference slice it touches) with the ontology's class
    hierarchy available: compiled core constraints and SPARQL-based ones in Oxigraph, whatever
    the compiler does not cover in pySHACL."""
    rules = rules or default_rulebook()
    store = whole_graph.data_store([data, ontology_graph()])
    return validate_store(
        store, locate, rules, data=data, originals=core_queries.typed_literals(data)
    )


def validate_store(
    store: ox.Store,
    locate: Locator,
    rules: Rulebook | None = None,
    *,
    data: Graph | None = None,
    originals: core_queries.Originals | None = None,
    judged: set[Node] | None = None,
) -> ValidationReport:
    """Validate the triples in an Oxigraph store's default graph (ontology included). `data`,
    the same triples as an rdflib graph, is needed only if some shape is left for pySHACL;
    `originals` gives typed literals in the form the data states them (see
    `core_queries.typed_literals`). With `judged`, results on other focus nodes may be left
    out (the compiled checks do not look at them)."""
    rules = rules or default_rulebook()
    if rules.core is not None and _has_core_focus(store, rules):
        if data is None:
            data = whole_graph.rdflib_graph(store)
        with _ontology_added(data):
            _, results = _run_pyshacl(data, rules.core)
    else:
        results = Graph()
    core_results = core_queries.run_checks(store, rules.checks, originals, only=judged)
    core_queries.add_to_report(results, rules.shapes, core_results)
    found = [r for c in rules.fast for r in whole_graph.run_constraint(store, c)]
    whole_graph.add_to_report(results, rules.shapes, found)
    return report_from_results(results, locate, rules.shapes)


def _has_core_focus(store: ox.Store, rules: Rulebook) -> bool:
    """Whether pySHACL has anything to visit: reference files hold no access request, so their
    loads skip copying the national slice into rdflib (about half the national load's time)."""
    return rules.core_focus is None or bool(store.query(rules.core_focus))


def validate_graph_pyshacl(
    data: Graph, locate: Locator, shapes: Graph | None = None
) -> ValidationReport:
    """The reference path: every shape, SPARQL-based ones included, in pySHACL."""
    shapes = shapes if shapes is not None else shapes_graph()
    with _ontology_added(data):
        _, results = _run_pyshacl(data, shapes)
    return report_from_results(results, locate, shapes)


def report_from_results(results: Graph, locate: Locator, shapes: Graph) -> ValidationReport:
    report = results.value(None, RDF.type, SH.ValidationReport)
    conforms = results.value(report, SH.conforms)
    assert isinstance(conforms, Literal), "a SHACL results graph states sh:conforms"
    findings = [
        _finding(results, r, locate, shapes)
        for r in results.subjects(RDF.type, SH.ValidationResult)
    ]
    findings.sort(key=lambda f: (f.file, f.row or 0, f.column or "", f.rule))
    return ValidationReport(
        conforms=bool(conforms.toPython()), findings=findings, results_graph=results
    )


@contextmanager
def _ontology_added(data: Graph) -> Iterator[None]:
    """The ontology's triples (the class hierarchy) added to `data` for the duration, then taken
    out again: copying a national-size graph into a fresh one costs seconds, the ontology
    a few hundred triples."""
    added = [t for t in ontology_graph() if t not in data]
    for triple in added:
        data.add(triple)
    try:
        yield
    finally:
        for triple in added:
            data.remove(triple)


def _run_pyshacl(data: Graph, shapes: Graph) -> tuple[bool, Graph]:
    # inplace: no inference runs, so pySHACL does not change `data` and need not clone it.
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


def _finding(results: Graph, result: Node, locate: Locator, shapes: Graph) -> Finding:
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
        parent = shapes.value(None, SH.property, source_shape)
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
