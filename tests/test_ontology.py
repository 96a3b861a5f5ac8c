"""The ontology parses, defines every term it, the shapes, the mappings and the code use."""

from __future__ import annotations

import re

from rdflib import OWL, RDF, RDFS, SKOS, URIRef

from service.mapping.spec import all_mappings
from service.rdf import vocab_gen
from service.rdf.terms import DEF, ROOT, load_ontology, load_shapes

DEFINING = {
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    SKOS.ConceptScheme,
    SKOS.Concept,
}


def defined() -> set[URIRef]:
    graph = load_ontology()
    return {s for t in DEFINING for s in graph.subjects(RDF.type, t) if isinstance(s, URIRef)}


def test_every_term_has_label_and_definition() -> None:
    graph = load_ontology()
    missing = [
        str(t)
        for t in defined()
        if str(t).startswith(DEF)
        and (graph.value(t, RDFS.label) is None or graph.value(t, SKOS.definition) is None)
    ]
    assert missing == []


def test_terms_used_in_our_namespace_are_defined() -> None:
    ours = {t for t in defined() if str(t).startswith(DEF)}
    for graph in (load_ontology(), load_shapes()):
        used = {
            n
            for triple in graph
            for n in triple
            if isinstance(n, URIRef) and str(n).startswith(DEF) and str(n) != DEF
        }
        assert used - ours == set()


def test_terms_named_in_code_are_defined() -> None:
    ours = {str(t)[len(DEF) :] for t in defined() if str(t).startswith(DEF)}
    pattern = re.compile(r"NHSKG\.([A-Za-z0-9]+)")
    used = {
        m
        for path in (ROOT / "service").rglob("*.py")
        if path.name != "vocab.py"
        for m in pattern.findall(path.read_text())
    }
    sparql = re.compile(r"nhskg:([A-Za-z0-9]+)")
    used |= {
        m for path in (ROOT / "service").rglob("*.py") for m in sparql.findall(path.read_text())
    }
    assert used - ours == set()


def test_generated_vocabulary_is_current() -> None:
    assert vocab_gen.TARGET.read_text() == vocab_gen.render(), (
        "run: python -m service.rdf.vocab_gen"
    )


def test_every_mapping_parses_against_the_ontology() -> None:
    mappings = all_mappings()
    assert len(mappings) >= 3
    assert len({m.id for m in mappings}) == len(mappings)
