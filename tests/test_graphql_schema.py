"""The GraphQL schema: committed SDL, and every field's IRI is an ontology term."""

from __future__ import annotations

from rdflib import URIRef

from service.api.graphql.schema import SDL_FILE, schema
from service.rdf.terms import load_ontology

STANDARD = {
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
    "http://www.w3.org/2004/02/skos/core#definition",
    # W3C ORG terms the ontology reuses for change events (org:ChangeEvent).
    "http://www.w3.org/ns/org#originalOrganization",
    "http://www.w3.org/ns/org#resultingOrganization",
    # SKOS labels of concepts (metrics); PROV-O terms of batch records (ontology/returns.ttl).
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/ns/prov#wasDerivedFrom",
    "http://www.w3.org/ns/prov#startedAtTime",
}


def test_printed_schema_matches_the_committed_file() -> None:
    assert SDL_FILE.read_text() == schema.as_str() + "\n", (
        "schema changed: review it, then run python -m service.api.graphql.schema"
    )


def _field_iris() -> dict[str, str]:
    found: dict[str, str] = {}
    for type_def in schema.schema_converter.type_map.values():
        definition = type_def.definition
        for field in getattr(definition, "fields", []):
            iri = (field.metadata or {}).get("iri")
            if iri:
                found[f"{definition.name}.{field.python_name}"] = iri
    return found


def test_every_field_iri_is_defined_by_the_ontology() -> None:
    ontology = load_ontology()
    iris = _field_iris()
    assert len(iris) > 20
    undefined = {
        name: iri
        for name, iri in iris.items()
        if iri not in STANDARD and (URIRef(iri), None, None) not in ontology
    }
    assert undefined == {}
