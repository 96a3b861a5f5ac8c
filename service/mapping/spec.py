"""The declarative mapping format (mappings/*.yaml), parsed into typed objects.

A mapping says which file layout it reads, how each row becomes one or more entities (an IRI
template and a class), and which column fills which ontology property. Terms are resolved against
the ontology's closed namespace, so a mapping that names an undefined term fails when it is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rdflib import DCTERMS, OWL, RDF, RDFS, SKOS, XSD, Namespace, URIRef

from service.rdf.terms import DEF, MAPPINGS_DIR
from service.rdf.vocab import NHSKG
from service.validation.rulebook import ontology_graph

ORG = Namespace("http://www.w3.org/ns/org#")
PROV = Namespace("http://www.w3.org/ns/prov#")
PREFIXES: dict[str, Namespace] = {
    "rdfs": Namespace(str(RDFS)),
    "skos": Namespace(str(SKOS)),
    "org": ORG,
    "prov": PROV,
    "owl": Namespace(str(OWL)),
    "dcterms": Namespace(str(DCTERMS)),
}
DATATYPES = {
    "date": XSD.date,
    "decimal": XSD.decimal,
    "integer": XSD.integer,
    "string": XSD.string,
    "boolean": XSD.boolean,
}


class MappingError(ValueError):
    """A mapping file is not a valid mapping (a problem of the mapping, not of the data)."""


def resolve_term(name: str) -> URIRef:
    """`NHSTrust` -> nhskg:NHSTrust (closed namespace: unknown names fail); `rdfs:label` as is."""
    if name == "a":
        return RDF.type
    if ":" in name:
        prefix, local = name.split(":", 1)
        if prefix not in PREFIXES:
            raise MappingError(f"unknown prefix {prefix!r} in {name!r}")
        return PREFIXES[prefix][local]
    try:
        return NHSKG[name]
    except (AttributeError, KeyError) as exc:
        term = URIRef(DEF + name)  # a term of a configured ontology extension file
        if (term, None, None) in ontology_graph():
            return term
        raise MappingError(f"{name!r} is not a term of the nhskg ontology") from exc


@dataclass(frozen=True)
class PropertyRule:
    """One property of an entity: where its value comes from and how it is typed."""

    predicate: URIRef
    column: str | None = None  # value read from this column
    value: str | None = None  # or a template such as "{vintage}"
    ref: str | None = None  # or the IRI of another entity of the same row
    iri: str | None = None  # or an IRI template (a reference to something loaded elsewhere)
    term: URIRef | None = None  # or a term of the ontology (a concept such as InferredType)
    datatype: URIRef | None = None
    date_format: str | None = None
    transform: str | None = None
    optional: bool = False


@dataclass(frozen=True)
class EntityRule:
    name: str
    iri: str
    classes: tuple[URIRef, ...]
    properties: tuple[PropertyRule, ...]
    when: dict[str, str] = field(default_factory=dict)  # column -> regex the value must match


@dataclass(frozen=True)
class SourceLayout:
    format: str  # csv | xlsx
    header: bool
    columns: tuple[str, ...]  # headerless: names by position; with header: required headers
    encoding: str = "utf-8"
    delimiter: str = ","
    column_counts: tuple[int, ...] = ()
    skip_leading_columns: int = 0
    sheet: str | None = None


@dataclass(frozen=True)
class Mapping:
    id: str
    title: str
    description: str
    source: SourceLayout
    graph: str
    entities: tuple[EntityRule, ...]
    vintage_pattern: str | None = None
    row_filter: dict[str, str] = field(default_factory=dict)
    derive: str | None = None  # name of a row derivation in service.mapping.derive
    derive_options: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def vintage_of(self, file_name: str) -> str | None:
        """The YYYY-MM-01 vintage named in a file name, if the mapping knows how to find it."""
        if not self.vintage_pattern:
            return None
        match = re.search(self.vintage_pattern, file_name)
        if not match:
            return None
        parts = match.groupdict()
        return f"{parts['year']}-{parts.get('month') or '01'}-{parts.get('day') or '01'}"


def _property(predicate: str, spec: Any) -> PropertyRule:
    if isinstance(spec, str):
        spec = {"column": spec}
    if not isinstance(spec, dict):
        raise MappingError(f"property {predicate}: expected a column name or a mapping")
    sources = [k for k in ("column", "value", "ref", "iri", "term") if k in spec]
    if len(sources) != 1:
        raise MappingError(
            f"property {predicate}: give exactly one of column, value, ref, iri, term"
        )
    datatype = spec.get("datatype")
    if datatype is not None and datatype not in DATATYPES:
        raise MappingError(f"property {predicate}: unknown datatype {datatype!r}")
    return PropertyRule(
        predicate=resolve_term(predicate),
        column=spec.get("column"),
        value=spec.get("value"),
        ref=spec.get("ref"),
        iri=spec.get("iri"),
        term=resolve_term(spec["term"]) if "term" in spec else None,
        datatype=DATATYPES[datatype] if datatype else None,
        date_format=spec.get("format"),
        transform=spec.get("transform"),
        optional=bool(spec.get("optional", False)),
    )


def _entity(spec: dict[str, Any]) -> EntityRule:
    classes = spec.get("class", [])
    classes = [classes] if isinstance(classes, str) else classes
    return EntityRule(
        name=spec["name"],
        iri=spec["iri"],
        classes=tuple(resolve_term(c) for c in classes),
        properties=tuple(_property(p, s) for p, s in (spec.get("properties") or {}).items()),
        when=dict(spec.get("when") or {}),
    )


def parse_mapping(data: dict[str, Any], path: Path | None = None) -> Mapping:
    try:
        src = data["source"]
        source = SourceLayout(
            format=src["format"],
            header=bool(src.get("header", True)),
            columns=tuple(src.get("columns", [])),
            encoding=src.get("encoding", "utf-8"),
            delimiter=src.get("delimiter", ","),
            column_counts=tuple(src.get("column_counts", [])),
            skip_leading_columns=int(src.get("skip_leading_columns", 0)),
            sheet=src.get("sheet"),
        )
        return Mapping(
            id=data["id"],
            title=data["title"],
            description=data.get("description", ""),
            source=source,
            graph=data["graph"],
            entities=tuple(_entity(e) for e in data.get("entities", [])),
            vintage_pattern=data.get("vintage", {}).get("from_filename"),
            row_filter=dict(data.get("where") or {}),
            derive=data.get("derive", {}).get("name"),
            derive_options=dict(data.get("derive", {}).get("options") or {}),
            path=path,
        )
    except KeyError as exc:
        where = path.name if path else "mapping"
        raise MappingError(f"{where}: missing required key {exc.args[0]!r}") from exc


def load_mapping(name_or_path: str | Path) -> Mapping:
    path = Path(name_or_path)
    if not path.suffix:
        path = MAPPINGS_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(m.id for m in all_mappings())
        raise MappingError(f"no mapping {name_or_path!r}; known mappings: {known}")
    return parse_mapping(yaml.safe_load(path.read_text()), path)


def all_mappings() -> list[Mapping]:
    return [
        parse_mapping(yaml.safe_load(p.read_text()), p)
        for p in sorted(MAPPINGS_DIR.glob("*.yaml"))
        if p.name != "manifest.yaml"
    ]
