"""Where the ontology, shapes and mappings live, and the IRI bases for terms and instances."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Namespace

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
SHAPES_DIR = ROOT / "shapes"
MAPPINGS_DIR = ROOT / "mappings"
SAMPLE_DATA_DIR = ROOT / "data" / "sample"

DEF = "https://w3id.org/nhskg/def#"
ID = Namespace("https://w3id.org/nhskg/id/")
GRAPH = Namespace("https://w3id.org/nhskg/graph/")
ONTOLOGY_GRAPH = GRAPH["ontology"]


def ontology_files() -> list[Path]:
    return sorted(ONTOLOGY_DIR.glob("*.ttl"))


def shape_files() -> list[Path]:
    return sorted(SHAPES_DIR.glob("*.ttl"))


def load_ontology() -> Graph:
    graph = Graph()
    for path in ontology_files():
        graph.parse(path, format="turtle")
    return graph


def load_shapes() -> Graph:
    graph = Graph()
    for path in shape_files():
        graph.parse(path, format="turtle")
    return graph
