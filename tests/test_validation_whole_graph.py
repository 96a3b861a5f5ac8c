"""Whole-graph SPARQL constraints on shapes written for the test: every target kind, message
templates, severities, the pySHACL fallback for constraints that cannot be rewritten, and the
standard SHACL results graph. Each is checked against plain pySHACL on the same shapes."""

from __future__ import annotations

import pytest
from rdflib import RDF, Graph, Literal, URIRef

from service.validation import rulebook
from service.validation.rulebook import SH
from service.validation.shacl import Rulebook, validate_graph, validate_graph_pyshacl
from tests.test_validation_differential import nowhere, results

PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex: sh:declare [ sh:prefix "ex" ; sh:namespace "https://example.org/"^^xsd:anyURI ] .
"""

DATA = (
    PREFIXES
    + """
ex:Hospital rdfs:subClassOf ex:Site .
ex:a a ex:Hospital ; ex:name "A" ; ex:next ex:b .
ex:b a ex:Site ; ex:next ex:a .
ex:c a ex:Site ; ex:name "C" .
"""
)

# A shape per target kind, each with a constraint that finds something.
TARGETS = {
    "class": "sh:targetClass ex:Site",
    "node": "sh:targetNode ex:b, ex:nowhere",
    "subjects-of": "sh:targetSubjectsOf ex:next",
    "objects-of": "sh:targetObjectsOf ex:next",
}


def shapes(body: str) -> Graph:
    return Graph().parse(data=PREFIXES + body, format="turtle")


def sparql_shape(target: str, select: str, extra: str = "", message: str | None = None) -> str:
    msg = message or "{$this} is unnamed ({?value})"
    return f"""
ex:Shape a sh:NodeShape ; {target} {extra} ;
    sh:sparql [ a sh:SPARQLConstraint ; sh:prefixes ex: ; sh:message "{msg}" ;
                sh:select \"\"\"{select}\"\"\" ] ."""


GROUPED = (
    "SELECT $this (COUNT(?v) AS ?value) WHERE { $this ex:next ?v }"
    " GROUP BY $this HAVING (COUNT(?v) > 0)"
)
UNNAMED = "SELECT $this WHERE { FILTER NOT EXISTS { $this ex:name ?n } }"
NEXT_UNNAMED = (
    "SELECT ?value WHERE { $this ex:next ?value . FILTER NOT EXISTS { ?value ex:name ?n } }"
)

STAR = "SELECT * WHERE { $this ex:next ?value . FILTER NOT EXISTS { ?value ex:name ?n } }"


def assert_same(shapes_graph: Graph, data: Graph) -> Graph:
    reference = validate_graph_pyshacl(data, nowhere, shapes_graph)
    fast = validate_graph(data, nowhere, Rulebook.from_shapes(shapes_graph))
    assert fast.conforms == reference.conforms
    assert results(fast) == results(reference)
    assert fast.results_graph is not None
    return fast.results_graph


@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize(
    "select",
    [UNNAMED, NEXT_UNNAMED, STAR, GROUPED],
    ids=["this-only", "value", "star", "grouped-by-this"],
)
def test_every_target_kind_matches_pyshacl(kind: str, select: str) -> None:
    graph = shapes(sparql_shape(TARGETS[kind], select))
    assert rulebook.fast_constraints(graph), "the constraint should take the fast path"
    assert_same(graph, Graph().parse(data=DATA, format="turtle"))


def test_implicit_class_target_matches_pyshacl() -> None:
    graph = shapes(
        sparql_shape("", UNNAMED, extra="; a rdfs:Class").replace("ex:Shape", "ex:Site", 1)
    )
    assert rulebook.sparql_constraints(graph)[0].targets.classes == (
        URIRef("https://example.org/Site"),
    )
    assert_same(graph, Graph().parse(data=DATA, format="turtle"))


def test_message_templates_and_extra_variables_are_filled_as_pyshacl_does() -> None:
    select = (
        "SELECT $this ?value ?label WHERE { $this ex:next ?value . BIND(STR(?value) AS ?label) }"
    )
    graph = shapes(
        sparql_shape(TARGETS["class"], select, message="{$this} -> {?value} [{?label}] {?none}")
    )
    report = assert_same(graph, Graph().parse(data=DATA, format="turtle"))
    messages = {str(m) for m in report.objects(None, SH.resultMessage)}
    assert (
        "https://example.org/a -> https://example.org/b [https://example.org/b] {?none}" in messages
    )


def test_a_warning_does_not_break_conformance() -> None:
    graph = shapes(sparql_shape(TARGETS["class"], UNNAMED, extra="; sh:severity sh:Warning"))
    report = assert_same(graph, Graph().parse(data=DATA, format="turtle"))
    assert (None, SH.conforms, Literal(True)) in report
    assert (None, SH.resultSeverity, SH.Warning) in report


@pytest.mark.parametrize(
    "select",
    [
        "SELECT $this WHERE { $this ex:next ?v } LIMIT 1",
        "SELECT (COUNT(?v) AS ?value) WHERE { $this ex:next ?v } HAVING (COUNT(?v) > 0)",
        "SELECT $this (COUNT(?v) AS ?value) WHERE { $this ex:next ?v } GROUP BY ?v",
        "SELECT $this WHERE { { SELECT $this WHERE { $this ex:next ?v } } }",
    ],
    ids=["limit", "ungrouped-aggregate", "grouped-by-other", "nested-select"],
)
def test_constraints_that_cannot_be_rewritten_stay_with_pyshacl(select: str) -> None:
    graph = shapes(sparql_shape(TARGETS["class"], select))
    [constraint] = rulebook.sparql_constraints(graph)
    assert constraint.unsafe is not None
    assert rulebook.fast_constraints(graph) == []
    assert (constraint.shape, SH.sparql, constraint.node) in rulebook.core_shapes(graph)
    assert_same(graph, Graph().parse(data=DATA, format="turtle"))


def test_deactivated_constraint_reports_nothing() -> None:
    graph = shapes(sparql_shape(TARGETS["class"], UNNAMED, extra="; sh:deactivated true"))
    report = assert_same(graph, Graph().parse(data=DATA, format="turtle"))
    assert not set(report.subjects(RDF.type, SH.ValidationResult))


def test_results_graph_is_a_standard_shacl_report() -> None:
    graph = shapes(sparql_shape(TARGETS["class"], NEXT_UNNAMED))
    report = assert_same(graph, Graph().parse(data=DATA, format="turtle"))
    [root] = report.subjects(RDF.type, SH.ValidationReport)
    assert report.value(root, SH.conforms) == Literal(False)
    [result] = report.objects(root, SH.result)
    assert report.value(result, RDF.type) == SH.ValidationResult
    assert report.value(result, SH.sourceConstraintComponent) == SH.SPARQLConstraintComponent
    assert report.value(result, SH.sourceShape) == URIRef("https://example.org/Shape")
    assert report.value(result, SH.focusNode) == URIRef("https://example.org/a")
    assert report.value(result, SH.value) == URIRef("https://example.org/b")
    assert report.value(result, SH.resultSeverity) == SH.Violation
    assert report.value(result, SH.sourceConstraint) is not None


PROPERTY_SHAPES = """
ex:SiteShape a sh:NodeShape ; sh:targetClass ex:Site ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "A site needs a name." ] ;
    sh:property [ sh:path ex:next ; sh:node ex:NamedShape ] .
ex:NamedShape a sh:NodeShape ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:severity sh:Warning ] .
"""


def test_property_shapes_are_lifted_only_when_nothing_else_reaches_them() -> None:
    graph = shapes(PROPERTY_SHAPES)
    lifted = rulebook.liftable_property_shapes(graph)
    holders = set(lifted.values())
    assert holders == {URIRef("https://example.org/SiteShape")}
    assert len(lifted) == 2  # ex:NamedShape is reached through sh:node: its shape stays nested
    core = rulebook.core_shapes(graph)
    assert all((p, SH.targetClass, URIRef("https://example.org/Site")) in core for p in lifted)
    assert_same(graph, Graph().parse(data=DATA, format="turtle"))


def test_validation_leaves_the_data_graph_as_it_was() -> None:
    from service.validation.shacl import validate_graph as default_validate

    data = Graph().parse(data=DATA, format="turtle")
    before = set(data)
    default_validate(data, nowhere)
    assert set(data) == before


# What a shape left to pySHACL targets, and data that does or does not hold such a focus node.
WITHOUT_FOCUS = {
    "class": "ex:d a ex:Ward .",
    "node": "ex:a ex:name 'A' .",
    "subjects-of": "ex:a ex:name 'A' .",
    "objects-of": "ex:a ex:name 'A' .",
}


@pytest.mark.parametrize("kind", TARGETS)
def test_pyshacl_is_skipped_exactly_when_the_data_holds_no_focus_node(kind: str) -> None:
    """Shapes left to pySHACL run only if the data has a focus node for them (the national
    reference files have none): the ASK that decides agrees with pySHACL's own targeting, and
    the report is the same either way."""
    from service.validation.whole_graph import data_store

    graph = shapes(sparql_shape(TARGETS[kind], "SELECT $this WHERE { $this ex:next ?v } LIMIT 1"))
    rules = Rulebook.from_shapes(graph)
    assert rules.core is not None and rules.core_focus is not None
    for body, found in ((DATA, True), (PREFIXES + WITHOUT_FOCUS[kind], False)):
        data = Graph().parse(data=body, format="turtle")
        # A target node is a focus node whether or not the data mentions it.
        assert bool(data_store([data]).query(rules.core_focus)) is (found or kind == "node")
        report = assert_same(graph, data)
        assert bool(set(report.subjects(RDF.type, SH.ValidationResult))) is found


def test_a_shape_with_an_advanced_target_always_runs_in_pyshacl() -> None:
    graph = shapes(
        sparql_shape(TARGETS["class"], "SELECT $this WHERE { $this ex:next ?v } LIMIT 1")
        + "\nex:Shape sh:target [ a sh:SPARQLTarget ; sh:select 'SELECT ?this WHERE { }' ] ."
    )
    assert Rulebook.from_shapes(graph).core_focus is None
