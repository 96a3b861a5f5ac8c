"""Generate service/rdf/vocab.py, a closed rdflib namespace of every term the ontology defines.

Run `python -m service.rdf.vocab_gen` after editing ontology/; tests/test_ontology.py fails while
the file is stale, so code can only name terms the ontology defines.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import RDF, URIRef

from service.rdf.terms import DEF, load_ontology

TARGET = Path(__file__).with_name("vocab.py")
DEFINING_TYPES = (
    "Class",
    "ObjectProperty",
    "DatatypeProperty",
    "AnnotationProperty",
    "ConceptScheme",
    "Concept",
    "NamedIndividual",
)


def defined_terms() -> list[str]:
    graph = load_ontology()
    names: set[str] = set()
    for subject, rdf_type in graph.subject_objects(RDF.type):
        ours = isinstance(subject, URIRef) and str(subject).startswith(DEF)
        if ours and str(rdf_type).rsplit("#", 1)[-1] in DEFINING_TYPES:
            names.add(str(subject)[len(DEF) :])
    return sorted(names)


def render() -> str:
    lines = [
        '"""Closed namespace of the nhskg ontology.',
        "",
        'Generated from ontology/*.ttl by service/rdf/vocab_gen.py; do not edit."""',
        "",
        "from rdflib import URIRef",
        "from rdflib.namespace import DefinedNamespace, Namespace",
        "",
        "",
        "class NHSKG(DefinedNamespace):",
        '    _NS = Namespace("' + DEF + '")',
        "    _fail = True",
        "",
    ]
    lines += [f"    {name}: URIRef" for name in defined_terms()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    TARGET.write_text(render())
    print(f"wrote {TARGET}")
