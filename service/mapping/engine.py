"""Apply a mapping to rows: a pure function from rows to triples, remembering where each came from.

Values are typed but not judged here: an unparseable date becomes an ill-typed xsd:date literal
and the SHACL shapes reject it, so every data problem is reported the same way (file, row, column).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from service.mapping.readers import Row
from service.mapping.spec import EntityRule, Mapping, MappingError, PropertyRule
from service.rdf.terms import ID

Origin = tuple[int, str | None]  # (row number, column)

_TEMPLATE = re.compile(r"\{([^}]+)\}")


def _title_case(value: str) -> str:
    # ODS names are upper case; keep the NHS acronyms readable.
    words = value.title().split()
    keep = {
        "Nhs": "NHS",
        "Ft": "FT",
        "Ccg": "CCG",
        "Icb": "ICB",
        "Gp": "GP",
        "And": "and",
        "Of": "of",
        "The": "the",
        "For": "for",
    }
    fixed = [keep.get(w, w) for w in words]
    if fixed:
        fixed[0] = fixed[0][0].upper() + fixed[0][1:]
    return " ".join(fixed)


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "title_case": _title_case,
    "upper": str.upper,
    "postcode": lambda v: " ".join(v.upper().split()),
}


@dataclass
class MappedBatch:
    """The candidate triples of one source file, with the origin of every triple.

    The triples are kept as a plain insertion-ordered set: an rdflib Graph costs about 60 us per
    triple to build (20 s for a 300k-triple file) and the loader only iterates them. `graph`
    builds the rdflib Graph on first use, for callers that want one."""

    mapping: Mapping
    file_name: str
    triples: dict[tuple[Node, Node, Node], None]
    row_count: int
    origins: dict[tuple[Node, Node, Node | None], Origin] = field(default_factory=dict)
    subject_rows: dict[Node, int] = field(default_factory=dict)
    skipped_rows: int = 0
    # Rows left out, and rows loaded only in part, by reason: a load never drops anything silently.
    skipped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    _graph: Graph | None = field(default=None, repr=False)

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            self._graph = Graph()
            for triple in self.triples:
                self._graph.add(triple)
        return self._graph

    def origin(self, focus: Node, path: Node | None, value: Node | None) -> Origin | None:
        for key in ((focus, path, value), (focus, path, None)):
            if key in self.origins:
                return self.origins[key]
        row = self.subject_rows.get(focus)
        return (row, None) if row is not None else None


def expand(template: str, values: dict[str, str], *, for_iri: bool) -> str:
    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise MappingError(f"template {template!r} names {key!r}, which the row does not have")
        value = values[key]
        return quote(value, safe="") if for_iri else value

    return _TEMPLATE.sub(sub, template)


def _literal(rule: PropertyRule, raw: str) -> Literal:
    if rule.transform and rule.transform not in TRANSFORMS:
        raise MappingError(f"unknown transform {rule.transform!r}")
    return _typed_literal(rule.transform, rule.datatype, rule.date_format, raw)


@lru_cache(maxsize=200_000)
def _typed_literal(
    transform: str | None, datatype: URIRef | None, date_format: str | None, raw: str
) -> Literal:
    # Cached: dates and codes repeat across rows, and strptime and Literal() are slow.
    if transform:
        raw = TRANSFORMS[transform](raw)
    if datatype == XSD.date and date_format:
        try:
            return Literal(datetime.strptime(raw, date_format).date())
        except ValueError:
            return Literal(raw, datatype=XSD.date)  # ill-typed: the shapes report it
    if datatype is None or datatype == XSD.string:
        return Literal(raw)
    return Literal(raw, datatype=datatype)


def _applies(entity: EntityRule, values: dict[str, str]) -> bool:
    return all(_matches(pattern, values.get(col, "")) for col, pattern in entity.when.items())


@lru_cache(maxsize=100_000)
def _matches(pattern: str, value: str) -> bool:
    # Cached: the same few values (a role code, an empty cell) decide every row.
    return re.fullmatch(pattern, value) is not None


# Keys a derivation may set on a row: SKIP leaves the row out, NOTE loads it and records why part
# of it was not (both are counted by reason and reported with the load).
SKIP = "_skip"
NOTE = "_note"


def _skip_reason(mapping: Mapping, values: dict[str, str]) -> str | None:
    if values.get(SKIP):
        return values[SKIP]
    for column, pattern in mapping.row_filter.items():
        if not re.fullmatch(pattern, values.get(column, "")):
            return f"{column} does not match {pattern} (outside this mapping's scope)"
    return None


def map_rows(
    mapping: Mapping, rows: Iterable[Row], *, file_name: str, context: dict[str, str]
) -> MappedBatch:
    triples: dict[tuple[Node, Node, Node], None] = {}
    batch = MappedBatch(mapping=mapping, file_name=file_name, triples=triples, row_count=0)
    # Source rows, not derived ones: a derivation may turn one source row into several (an event
    # and its participants), each keeping the source row's number.
    numbers: set[int] = set()
    for row in rows:
        if row.number not in numbers:
            numbers.add(row.number)
            batch.row_count += 1
        values = {**context, **row.values}
        reason = _skip_reason(mapping, values)
        if reason:
            batch.skipped_rows += 1
            batch.skipped[reason] += 1
            continue
        if values.get(NOTE):
            batch.notes[values[NOTE]] += 1
        subjects: dict[str, URIRef] = {}
        for entity in mapping.entities:
            if not _applies(entity, values):
                continue
            subject = ID[expand(entity.iri, values, for_iri=True)]
            subjects[entity.name] = subject
            batch.subject_rows.setdefault(subject, row.number)
            for cls in entity.classes:
                triples[(subject, RDF.type, cls)] = None
            for rule in entity.properties:
                _add_property(batch, subject, rule, values, subjects, row.number)
    return batch


def _add_property(
    batch: MappedBatch,
    subject: URIRef,
    rule: PropertyRule,
    values: dict[str, str],
    subjects: dict[str, URIRef],
    row: int,
) -> None:
    obj: Node | None
    if rule.term is not None:
        obj = rule.term
    elif rule.ref is not None:
        if rule.ref not in subjects:
            return  # the referenced entity does not apply to this row
        obj = subjects[rule.ref]
    elif rule.iri is not None:
        obj = ID[expand(rule.iri, values, for_iri=True)]
        if any(values.get(k, "") == "" for k in _TEMPLATE.findall(rule.iri)):
            obj = None
    else:
        raw = (
            values.get(rule.column, "")
            if rule.column
            else expand(rule.value or "", values, for_iri=False)
        )
        obj = _literal(rule, raw) if raw != "" else None
    if obj is None:
        # Remember which column should have filled it, for the minCount report.
        batch.origins.setdefault((subject, rule.predicate, None), (row, rule.column))
        return
    batch.triples[(subject, rule.predicate, obj)] = None
    batch.origins.setdefault((subject, rule.predicate, obj), (row, rule.column))
