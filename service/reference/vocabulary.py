"""The lists the API offers, read from the ontology: placement methods and geography types.

One list each, in ontology order, from `ontology/*.ttl` (and `NHSKG_ONTOLOGY_EXTRA`); the GraphQL
and REST enums of placement methods, the roll-up's `Method`, the placement code's method list and
the geography types roll-ups are materialised for (`nhskg:rollUpTarget`) are all made from it.
Read from the files, not the store: the API's schema is built before any store is opened.

    >>> [m.key for m in placement_methods()][:2]
    ['SITES', 'HEADQUARTERS']
    >>> rollup_area_types()
    ('NHS_REGION', 'ICB', 'LRF')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from service.rdf.terms import DEF, load_ontology, ontology_files

API_NAME = URIRef(DEF + "apiName")
DISPLAY_ORDER = URIRef(DEF + "displayOrder")
IS_DEFAULT = URIRef(DEF + "isDefault")
ROLL_UP_TARGET = URIRef(DEF + "rollUpTarget")
PLACEMENT_METHOD = URIRef(DEF + "PlacementMethod")
GEOGRAPHIC_AREA = URIRef(DEF + "GeographicArea")


@dataclass(frozen=True)
class PlacementMethodTerm:
    key: str  # the API name (SITES, HEADQUARTERS, ...)
    iri: str
    label: str
    definition: str  # the rule the method follows
    default: bool = False


@dataclass(frozen=True)
class GeographyTypeTerm:
    key: str  # the API name (LRF, ICB, ...)
    iri: str
    label: str
    roll_up_target: bool = False


@dataclass(frozen=True)
class Vocabulary:
    methods: tuple[PlacementMethodTerm, ...]
    geography_types: tuple[GeographyTypeTerm, ...]


class OntologyListError(ValueError):
    """The ontology's lists are not usable (no default method, two with one API name, ...)."""


def placement_methods() -> tuple[PlacementMethodTerm, ...]:
    """Every nhskg:PlacementMethod with an API name, in nhskg:displayOrder."""
    return vocabulary().methods


def method_keys() -> tuple[str, ...]:
    return tuple(m.key for m in placement_methods())


def default_method_key() -> str:
    """The method used when a request names none (the one with nhskg:isDefault true)."""
    return next(m.key for m in placement_methods() if m.default)


def geography_types() -> tuple[GeographyTypeTerm, ...]:
    """Every subclass of nhskg:GeographicArea with an API name, in ontology order (the order
    of nhskg:displayOrder where given, then by API name)."""
    return vocabulary().geography_types


def rollup_area_types() -> tuple[str, ...]:
    """The geography types the organisation -> area table is built for (nhskg:rollUpTarget)."""
    return tuple(t.key for t in geography_types() if t.roll_up_target)


def vocabulary() -> Vocabulary:
    """The lists of the ontology files now configured (cached per set of files)."""
    return _vocabulary(tuple(ontology_files()))


@lru_cache(maxsize=4)
def _vocabulary(files: tuple[Path, ...]) -> Vocabulary:
    graph = load_ontology(list(files))
    return Vocabulary(_methods(graph), _geography_types(graph))


def _text(graph: Graph, node: URIRef, prop: URIRef) -> str:
    value = graph.value(node, prop)
    return str(value) if value is not None else ""


def _order(graph: Graph, node: URIRef) -> int:
    value = graph.value(node, DISPLAY_ORDER)
    return int(value) if isinstance(value, Literal) else 1_000_000


def _true(graph: Graph, node: URIRef, prop: URIRef) -> bool:
    value = graph.value(node, prop)
    return isinstance(value, Literal) and value.toPython() is True


def _methods(graph: Graph) -> tuple[PlacementMethodTerm, ...]:
    nodes = [n for n in graph.subjects(RDF.type, PLACEMENT_METHOD) if isinstance(n, URIRef)]
    found = sorted(
        (n for n in nodes if graph.value(n, API_NAME) is not None),
        key=lambda n: (_order(graph, n), _text(graph, n, API_NAME)),
    )
    methods = tuple(
        PlacementMethodTerm(
            key=_text(graph, n, API_NAME),
            iri=str(n),
            label=_text(graph, n, RDFS.label),
            definition=_text(graph, n, SKOS.definition),
            default=_true(graph, n, IS_DEFAULT),
        )
        for n in found
    )
    _check_unique("placement method", [m.key for m in methods])
    defaults = [m.key for m in methods if m.default]
    if methods and len(defaults) != 1:
        raise OntologyListError(
            f"exactly one placement method needs nhskg:isDefault true; found {defaults or 'none'}"
        )
    return methods


def _geography_types(graph: Graph) -> tuple[GeographyTypeTerm, ...]:
    classes = {
        c
        for c in graph.transitive_subjects(RDFS.subClassOf, GEOGRAPHIC_AREA)
        if isinstance(c, URIRef) and c != GEOGRAPHIC_AREA and graph.value(c, API_NAME) is not None
    }
    found = sorted(classes, key=lambda c: (_order(graph, c), _text(graph, c, API_NAME)))
    types = tuple(
        GeographyTypeTerm(
            key=_text(graph, c, API_NAME),
            iri=str(c),
            label=_text(graph, c, RDFS.label),
            roll_up_target=_true(graph, c, ROLL_UP_TARGET),
        )
        for c in found
    )
    _check_unique("geography type", [t.key for t in types])
    return types


def _check_unique(kind: str, keys: list[str]) -> None:
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise OntologyListError(f"two {kind}s share an nhskg:apiName: {', '.join(twice)}")
