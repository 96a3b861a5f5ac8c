"""shapes/ontology/supplies.ttl over the ontology: ratio metrics, strain thresholds and
supplies terms conform; a ratio metric without its denominator, a threshold without a value
and a supplies metric that does not say whether it is public do not."""

from __future__ import annotations

from pyshacl import validate
from rdflib import Graph, Literal

from service.rdf.terms import SHAPES_DIR, load_ontology
from service.rdf.vocab import NHSKG


def check(data: Graph) -> tuple[bool, str]:
    shapes = Graph().parse(SHAPES_DIR / "ontology" / "supplies.ttl")
    conforms, _, text = validate(data, shacl_graph=shapes, inference="rdfs")
    return bool(conforms), str(text)


def test_the_ontology_conforms() -> None:
    conforms, text = check(load_ontology())
    assert conforms, text


def test_broken_terms_are_reported() -> None:
    graph = load_ontology()
    graph.remove((NHSKG.GownsDaysOfStock, NHSKG.denominatorMetric, None))
    graph.remove((NHSKG.GownsStrain, NHSKG.thresholdValue, None))
    graph.remove((NHSKG.GlovesHeld, NHSKG.openToPublic, None))
    graph.add((NHSKG.GlovesUsed, NHSKG.openToPublic, Literal("no")))
    conforms, text = check(graph)
    assert not conforms
    for message in (
        "exactly one denominator metric",
        "exactly one decimal value",
        "whether the public role may see it",
    ):
        assert message in text, text
    assert "nhskg:GlovesUsed" in text  # its datatype is not xsd:boolean
