"""SPARQL result formats and content negotiation (SPARQL 1.1 Protocol, section 2.1.6).

SELECT and ASK answers are written here (SPARQL JSON, XML, CSV and TSV: the four W3C result
formats), from the capped list of solutions; CONSTRUCT and DESCRIBE graphs are written by
Oxigraph (Turtle, N-Triples, RDF/XML, JSON-LD).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

SPARQL_JSON = "application/sparql-results+json"
SPARQL_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
N_TRIPLES = "application/n-triples"
RDF_XML = "application/rdf+xml"
JSON_LD = "application/ld+json"

SOLUTION_TYPES = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
GRAPH_TYPES = (TURTLE, N_TRIPLES, RDF_XML, JSON_LD)
RDF_FORMATS = {
    TURTLE: ox.RdfFormat.TURTLE,
    N_TRIPLES: ox.RdfFormat.N_TRIPLES,
    RDF_XML: ox.RdfFormat.RDF_XML,
    JSON_LD: ox.RdfFormat.JSON_LD,
}
# Aliases a client may ask for instead of a media type (`format=json`, as SPARQLWrapper
# sends, or `application/json`, `text/xml`, `application/xml`, `text/plain`).
ALIASES = {
    "json": SPARQL_JSON,
    "application/json": SPARQL_JSON,
    "xml": SPARQL_XML,
    "application/xml": SPARQL_XML,
    "text/xml": SPARQL_XML,
    "csv": CSV,
    "tsv": TSV,
    "turtle": TURTLE,
    "ttl": TURTLE,
    "application/x-turtle": TURTLE,
    "n3": TURTLE,
    "text/n3": TURTLE,
    "nt": N_TRIPLES,
    "ntriples": N_TRIPLES,
    "n-triples": N_TRIPLES,
    "text/plain": N_TRIPLES,
    "rdf": RDF_XML,
    "rdf+xml": RDF_XML,
    "json-ld": JSON_LD,
    "jsonld": JSON_LD,
}


class NotAcceptable(ValueError):
    """No format the client accepts can carry this kind of answer."""


@dataclass(frozen=True)
class Accepted:
    media_type: str
    quality: float
    order: int


def parse_accept(header: str | None) -> list[Accepted]:
    """The media types of an Accept header, best first (q-values, then the order given)."""
    found: list[Accepted] = []
    for order, part in enumerate((header or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        quality = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        found.append(Accepted(fields[0].lower(), quality, order))
    return sorted((a for a in found if a.quality > 0), key=lambda a: (-a.quality, a.order))


def choose(kind: str, accept: str | None, format_param: str | None) -> str:
    """The media type to answer a `kind` ("solutions", "boolean" or "graph") with: the
    `format` parameter if given, else the best acceptable one, else the default (SPARQL JSON
    for solutions and booleans, Turtle for graphs)."""
    offered: tuple[str, ...] = GRAPH_TYPES if kind == "graph" else SOLUTION_TYPES
    if kind == "boolean":
        offered = (SPARQL_JSON, SPARQL_XML)
    if format_param:
        wanted = ALIASES.get(format_param.lower(), format_param.lower())
        if wanted in offered:
            return wanted
        raise NotAcceptable(
            f"format {format_param!r} cannot carry a {kind} answer; use one of {', '.join(offered)}"
        )
    ranked = parse_accept(accept)
    if not ranked:
        return offered[0]
    for item in ranked:
        media = ALIASES.get(item.media_type, item.media_type)
        if media in offered:
            return media
        if media in ("*/*", "application/*", "text/*") and (
            media == "*/*" or any(o.startswith(media[:-1]) for o in offered)
        ):
            return next(o for o in offered if media == "*/*" or o.startswith(media[:-1]))
    raise NotAcceptable(
        f"none of the accepted types ({accept}) can carry a {kind} answer; "
        f"use one of {', '.join(offered)}"
    )


# ---------------------------------------------------------------- SELECT and ASK writers
def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"cannot write {term!r}")


def _xml_term(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            kind = quoteattr(term.datatype.value)
            return f"<literal datatype={kind}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    raise TypeError(f"cannot write {term!r} as SPARQL XML")


def write_solutions(media: str, variables: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """SELECT solutions (each row a tuple of Oxigraph terms or None, in `variables` order)."""
    if media == SPARQL_JSON:
        bindings = [
            {v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
            for row in rows
        ]
        doc = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
        return json.dumps(doc, ensure_ascii=False).encode()
    if media == SPARQL_XML:
        out = io.StringIO()
        out.write('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">')
        out.write("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in variables))
        out.write("</head><results>")
        for row in rows:
            out.write("<result>")
            for v, t in zip(variables, row, strict=True):
                if t is not None:
                    out.write(f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>")
            out.write("</result>")
        out.write("</results></sparql>\n")
        return out.getvalue().encode()
    if media == CSV:  # plain values (section 2 of SPARQL 1.1 CSV and TSV results)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(variables)
        for row in rows:
            writer.writerow(["" if t is None else _csv_value(t) for t in row])
        return buffer.getvalue().encode()
    if media == TSV:  # terms in their Turtle/N-Triples form
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode()
    raise NotAcceptable(f"{media} cannot carry solutions")


def _csv_value(term: Any) -> str:
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term.value) if hasattr(term, "value") else str(term)


def write_boolean(media: str, value: bool) -> bytes:
    if media == SPARQL_JSON:
        return json.dumps({"head": {}, "boolean": value}).encode()
    if media == SPARQL_XML:
        body = "true" if value else "false"
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{body}</boolean></sparql>\n"
        ).encode()
    raise NotAcceptable(f"{media} cannot carry a boolean")


def write_graph(media: str, triples: Sequence[Any], prefixes: dict[str, str]) -> bytes:
    out = ox.serialize(triples, format=RDF_FORMATS[media], prefixes=prefixes)
    assert out is not None
    return out
