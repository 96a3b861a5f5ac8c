"""The fast validation path against plain pySHACL with every shape, on the same data.

The fast path runs core constraints in pySHACL and each SPARQL-based constraint as one
whole-graph query in Oxigraph. Both must give the same verdict and the same results. The SPARQL
constraints are discovered from shapes/*.ttl, and each must have a valid and a broken case in
tests/validation_cases/, so a new constraint cannot go untested.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal
from rdflib.term import Node

from service.validation import rulebook
from service.validation.report import ValidationReport
from service.validation.rulebook import SH
from service.validation.shacl import validate_graph, validate_graph_pyshacl

CASES = Path(__file__).parent / "validation_cases"
VALID = sorted((CASES / "valid").glob("*.ttl"))
INVALID = sorted((CASES / "invalid").glob("*.ttl"))
ILL_TYPED = sorted((CASES / "ill-typed").glob("*.ttl"))
CONSTRAINTS = rulebook.sparql_constraints(rulebook.shapes_graph())

Result = tuple[Node, Node, Node | None, frozenset[str], Node | None, Node | None, Node | None]


def nowhere(focus: Node, path: Node | None, value: Node | None) -> tuple[str, None, None]:
    return ("case", None, None)


def _term(node: Node | None) -> Node | None:
    # Oxigraph and rdflib spell a plain string literal differently; the RDF term is the same.
    if isinstance(node, Literal) and node.datatype == XSD.string:
        return Literal(str(node))
    return node


def results(report: ValidationReport) -> set[Result]:
    """(focus node, source shape, value, messages, path, constraint component, severity) of every
    result in the SHACL results graph."""
    graph = report.results_graph
    assert graph is not None
    found = set()
    for r in graph.subjects(RDF.type, SH.ValidationResult):
        focus, shape = graph.value(r, SH.focusNode), graph.value(r, SH.sourceShape)
        assert focus is not None and shape is not None
        messages = frozenset(str(m) for m in graph.objects(r, SH.resultMessage))
        value = _term(graph.value(r, SH.value))
        path = graph.value(r, SH.resultPath)
        component = graph.value(r, SH.sourceConstraintComponent)
        severity = graph.value(r, SH.resultSeverity)
        found.add((focus, _shape_key(shape), value, messages, path, component, severity))
    return found


def _shape_key(shape: Node) -> Node:
    # Property shapes are blank nodes, relabelled per run: name them by node shape and path.
    if not isinstance(shape, BNode):
        return shape
    shapes = rulebook.shapes_graph()
    holder = shapes.value(None, SH.property, shape)
    return Literal(f"{holder} {sorted(str(t) for t in shapes.predicate_objects(shape))}")


def both(data: Graph) -> tuple[ValidationReport, ValidationReport]:
    return validate_graph_pyshacl(data, nowhere), validate_graph(data, nowhere)


def load_case(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


@cache
def reference_report(path: Path) -> ValidationReport:
    return validate_graph_pyshacl(load_case(path), nowhere)


def sparql_results(report: ValidationReport, constraint: rulebook.SparqlConstraint) -> set[Node]:
    graph = report.results_graph
    assert graph is not None
    return {
        r
        for r in graph.subjects(SH.sourceConstraintComponent, SH.SPARQLConstraintComponent)
        if graph.value(r, SH.sourceConstraint) == constraint.node
    }


@pytest.mark.parametrize("case", VALID + INVALID, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fast_path_agrees_with_pyshacl(case: Path) -> None:
    reference, fast = reference_report(case), validate_graph(load_case(case), nowhere)
    assert fast.conforms == reference.conforms == (case.parent.name == "valid")
    assert results(fast) == results(reference)


@pytest.mark.parametrize("case", ILL_TYPED, ids=lambda p: p.stem)
def test_ill_typed_literals_differ_only_in_sparql_results(case: Path) -> None:
    """rdflib compares ill-typed literals in SPARQL FILTERs where SPARQL 1.1 and Oxigraph raise a
    type error; both paths reject the data through sh:datatype (see validation_cases/README.md)."""
    reference, fast = both(load_case(case))
    assert not fast.conforms and not reference.conforms
    assert results(fast) <= results(reference)
    assert any("datatype" in str(s) for _, s, *_ in results(fast))
    sparql_shapes = {c.shape for c in CONSTRAINTS}
    assert {shape for _, shape, *_ in results(reference) - results(fast)} <= sparql_shapes


def _constraint_id(constraint: rulebook.SparqlConstraint) -> str:
    message = str(constraint.messages[0]) if constraint.messages else constraint.select
    return f"{str(constraint.shape).rsplit('#')[-1]}: {message[:40]}"


@pytest.mark.parametrize("constraint", CONSTRAINTS, ids=_constraint_id)
def test_every_sparql_constraint_has_a_valid_and_a_broken_case(
    constraint: rulebook.SparqlConstraint,
) -> None:
    """A valid case gives the constraint focus nodes and it stays silent; a broken case makes
    plain pySHACL report it (so the differential test above really exercises it)."""
    quiet, broken = [], []
    for case in VALID + INVALID:
        data = load_case(case)
        has_targets = any((None, RDF.type, c) in data for c in _classes(constraint))
        reported = sparql_results(reference_report(case), constraint)
        if reported:
            broken.append(case.stem)
        elif has_targets and case.parent.name == "valid":
            quiet.append(case.stem)
    assert quiet, f"no valid case in {CASES}/valid gives {constraint.shape} focus nodes"
    assert broken, f"no case in {CASES}/invalid breaks the SPARQL constraint of {constraint.shape}"


def test_every_sparql_constraint_runs_on_the_fast_path() -> None:
    """The shapes in this repository need no pySHACL fallback; if one does, say which and why."""
    slow = {str(c.shape): c.unsafe for c in CONSTRAINTS if c.unsafe}
    assert slow == {}


def _classes(constraint: rulebook.SparqlConstraint) -> set[Node]:
    ontology = rulebook.ontology_graph()
    found: set[Node] = set()
    for target in constraint.targets.classes:
        found |= set(ontology.transitive_subjects(RDFS.subClassOf, target))
    return found
