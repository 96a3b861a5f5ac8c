"""Where the ontology, shapes and mappings live, and the IRI bases for terms and instances."""

from __future__ import annotations

import os
from pathlib import Path

from rdflib import Graph, Namespace

ROOT = Path(__file__).resolve().parents[2]
ONTOLOGY_DIR = ROOT / "ontology"
SHAPES_DIR = ROOT / "shapes"
MAPPINGS_DIR = ROOT / "mappings"
SAMPLE_DATA_DIR = ROOT / "data" / "sample"

DEF = "https://w3id.org/nhskg/def#"
ID = Namespace("https://w3id.org/nhskg/id/")
GRAPH = Namespace("https://w3id.org/nhskg/graph/")
ONTOLOGY_GRAPH = GRAPH["ontology"]


# Extra ontology files (os.pathsep-separated), read after ontology/*.ttl: a deployment's or a
# test's own terms (a local geography type, say) join the ontology without editing it.
ONTOLOGY_EXTRA_ENV = "NHSKG_ONTOLOGY_EXTRA"


def ontology_files() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(ONTOLOGY_EXTRA_ENV, "").split(os.pathsep) if p]
    return sorted(ONTOLOGY_DIR.glob("*.ttl")) + extra


def shape_files() -> list[Path]:
    return sorted(SHAPES_DIR.glob("*.ttl"))


def load_ontology(files: list[Path] | None = None) -> Graph:
    graph = Graph()
    for path in ontology_files() if files is None else files:
        graph.parse(path, format="turtle")
    return graph


def load_shapes() -> Graph:
    graph = Graph()
    for path in shape_files():
        graph.parse(path, format="turtle")
    return graph
