"""Ontology IRIs that GraphQL types and fields expose (checked against the ontology by a test)."""

from __future__ import annotations

from typing import Any

import strawberry

NHSKG = "https://w3id.org/nhskg/def#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ORG = "http://www.w3.org/ns/org#"


def term(name: str) -> str:
    return NHSKG + name


def iri_field(iri: str, description: str, **kwargs: Any) -> Any:
    """A field that exposes one ontology term; the term is recorded in the field's metadata."""
    return strawberry.field(description=description, metadata={"iri": iri}, **kwargs)
