"""Steward change sets: a small reviewable file of dated statements, compiled to triples.

A change set never edits what is stored: every change is additive (a new dated relation, the end
date of a current one, a typed event). Reverting retires the change set's graph as a whole.

    id: rd3-sites-to-r0d
    author: a.steward@nhs.net
    reason: The 2023 hospital list still files Poole's sites under RD3 (closed 2020-09-30).
    changes:
      - move_site: {site: RD304, to: R0D, from: 2020-10-01}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.term import Node

from service.mapping.spec import ORG, resolve_term
from service.rdf.store import GraphStore
from service.rdf.terms import ID
from service.rdf.vocab import NHSKG

Origin = tuple[int, str]  # (change number, field)


class ChangeSetError(ValueError):
    """The change set file itself is malformed (not a data problem the shapes would report)."""


@dataclass(frozen=True)
class Change:
    number: int  # 1-based position in the file
    kind: str
    fields: dict[str, Any]


@dataclass
class ChangeSet:
    id: str
    author: str
    reason: str
    changes: list[Change]
    source: str = "(mutation)"


@dataclass
class CompiledChangeSet:
    """The triples a change set would add, and where each came from in the file."""

    changeset: ChangeSet
    graph: Graph = field(default_factory=Graph)
    origins: dict[tuple[Node, Node | None], Origin] = field(default_factory=dict)
    affects: set[URIRef] = field(default_factory=set)

    def add(self, change: Change, fld: str, triple: tuple[Node, Node, Node]) -> None:
        self.graph.add(triple)
        self.origins.setdefault((triple[0], triple[1]), (change.number, fld))
        self.origins.setdefault((triple[0], None), (change.number, fld))


_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,80}$")


def parse_changeset(data: Any, source: str = "(mutation)") -> ChangeSet:
    if not isinstance(data, dict):
        raise ChangeSetError(
            f"{source}: a change set is a mapping with id, author, reason, changes"
        )
    missing = [k for k in ("id", "author", "reason", "changes") if not data.get(k)]
    if missing:
        raise ChangeSetError(f"{source}: missing {', '.join(missing)}")
    if not _ID.match(str(data["id"])):
        raise ChangeSetError(f"{source}: id must be lower-case letters, digits and dashes")
    changes = []
    for n, item in enumerate(data["changes"], start=1):
        if not isinstance(item, dict) or len(item) != 1:
            raise ChangeSetError(f"{source}: change {n} must be one kind: {{fields}}")
        [(kind, fields)] = item.items()
        if kind not in COMPILERS:
            raise ChangeSetError(
                f"{source}: change {n}: unknown kind {kind!r}; "
                f"known kinds: {', '.join(sorted(COMPILERS))}"
            )
        changes.append(Change(n, kind, dict(fields or {})))
    return ChangeSet(str(data["id"]), str(data["author"]), str(data["reason"]), changes, source)


def read_changeset(path: Path) -> ChangeSet:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ChangeSetError(f"{path.name}: not valid YAML: {exc}") from exc
    except ValueError as exc:  # a date YAML reads as one but cannot be (2021-02-30)
        raise ChangeSetError(
            f"{path.name}: a date is not a real day ({exc}); dates are YYYY-MM-DD"
        ) from exc
    return parse_changeset(data, path.name)


def compile_changeset(store: GraphStore, changeset: ChangeSet) -> CompiledChangeSet:
    compiled = CompiledChangeSet(changeset)
    for change in changeset.changes:
        COMPILERS[change.kind](store, change, compiled)
    return compiled


# ---------------------------------------------------------------- the kinds of change
Compiler = Callable[[GraphStore, Change, CompiledChangeSet], None]
COMPILERS: dict[str, Compiler] = {}


def kind(name: str) -> Callable[[Compiler], Compiler]:
    def register(fn: Compiler) -> Compiler:
        COMPILERS[name] = fn
        return fn

    return register


def _need(change: Change, *names: str) -> list[Any]:
    missing = [n for n in names if change.fields.get(n) in (None, "")]
    if missing:
        raise ChangeSetError(
            f"change {change.number} ({change.kind}): missing {', '.join(missing)}"
        )
    return [change.fields[n] for n in names]


def _date(change: Change, name: str) -> date:
    value = change.fields.get(name)
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ChangeSetError(
            f"change {change.number} ({change.kind}): {name} must be a date "
            f"YYYY-MM-DD, not {value!r}"
        ) from exc


def org(code: str) -> URIRef:
    return ID[f"org/{str(code).strip().upper()}"]


def area(code: str) -> URIRef:
    return ID[f"area/{str(code).strip().upper()}"]


OPERATIONS_OF_SITE = """
SELECT ?op ?site ?operator ?from ?to WHERE {
    ?op a nhskg:SiteOperation ; nhskg:operatedSite ?site ; nhskg:operator ?operator ;
        nhskg:validFrom ?from .
    OPTIONAL { ?op nhskg:validTo ?to }
    FILTER NOT EXISTS { ?correction nhskg:corrects ?op }
}"""


@kind("move_site")
def move_site(store: GraphStore, change: Change, out: CompiledChangeSet) -> None:
    """The site is operated by `to` from `from` (until `until`, if given). Another operator's
    operation running on `from` ends the day before; one that starts later within the period
    contradicts the move (a stale list) and is corrected (nhskg:corrects), never edited."""
    site_code, to_code = _need(change, "site", "to")
    start = _date(change, "from")
    until = _date(change, "until") if change.fields.get("until") else None
    site, operator = org(site_code), org(to_code)
    stale: list[URIRef] = []
    for row in store.select(OPERATIONS_OF_SITE, site=site):
        if row["operator"] == str(operator) or (until is not None and row["from"] > until):
            continue
        ends = row["to"]
        if row["from"] < start and (ends is None or ends >= start):
            out.add(
                change,
                "from",
                (URIRef(row["op"]), NHSKG.validTo, Literal(start - timedelta(days=1))),
            )
        elif row["from"] >= start:
            stale.append(URIRef(row["op"]))
    op = ID[f"site-operation/{site_code}/{to_code}/{start.isoformat()}"]
    out.add(change, "site", (op, RDF.type, NHSKG.SiteOperation))
    out.add(change, "site", (op, NHSKG.operatedSite, site))
    out.add(change, "to", (op, NHSKG.operator, operator))
    out.add(change, "from", (op, NHSKG.validFrom, Literal(start)))
    if until is not None:
        out.add(change, "until", (op, NHSKG.validTo, Literal(until)))
    for corrected in stale:
        out.add(change, "from", (op, NHSKG.corrects, corrected))
    out.affects |= {site, operator}


@kind("record_succession")
def record_succession(store: GraphStore, change: Change, out: CompiledChangeSet) -> None:
    """A typed event stated by a steward, with split weights where known."""
    event_type, predecessors, successors = _need(change, "type", "predecessors", "successors")
    day = _date(change, "date")
    event = ID[f"event/{out.changeset.id}/{change.number}"]
    out.add(change, "type", (event, RDF.type, resolve_term(str(event_type))))
    out.add(change, "date", (event, NHSKG.effectiveDate, Literal(day)))
    out.add(change, "type", (event, NHSKG.typeBasis, NHSKG.StatedType))
    for code in predecessors:
        out.add(change, "predecessors", (event, ORG.originalOrganization, org(code)))
        out.affects.add(org(code))
    for code in successors:
        out.add(change, "successors", (event, ORG.resultingOrganization, org(code)))
        out.affects.add(org(code))
    for code, weight in (change.fields.get("weights") or {}).items():
        share = ID[f"event/{out.changeset.id}/{change.number}/share/{code}"]
        out.add(change, "weights", (share, RDF.type, NHSKG.SuccessorShare))
        out.add(change, "weights", (share, NHSKG.shareOfEvent, event))
        out.add(change, "weights", (share, NHSKG.successor, org(code)))
        out.add(
            change, "weights", (share, NHSKG.share, Literal(str(weight), datatype=_XSD_DECIMAL))
        )


_XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")


@kind("area_membership")
def area_membership(store: GraphStore, change: Change, out: CompiledChangeSet) -> None:
    """A dated membership of one area in another (a correction, or a new geography's lookup)."""
    member, parent = _need(change, "member", "parent")
    start = _date(change, "from")
    node = ID[f"membership/{member}/{parent}/{start.isoformat()}/{out.changeset.id}"]
    out.add(change, "member", (node, RDF.type, NHSKG.AreaMembership))
    out.add(change, "member", (node, NHSKG.memberArea, area(member)))
    out.add(change, "parent", (node, NHSKG.parentArea, area(parent)))
    out.add(change, "from", (node, NHSKG.validFrom, Literal(start)))
    if change.fields.get("to"):
        out.add(change, "to", (node, NHSKG.validTo, Literal(_date(change, "to"))))
    if change.fields.get("share") is not None:
        out.add(
            change,
            "share",
            (node, NHSKG.share, Literal(str(change.fields["share"]), datatype=_XSD_DECIMAL)),
        )
    out.affects |= {area(member), area(parent)}


MEMBERSHIPS_OF = """
SELECT ?m ?member ?parent ?from ?to WHERE {
    ?m nhskg:memberArea ?member ; nhskg:parentArea ?parent ; nhskg:validFrom ?from .
    OPTIONAL { ?m nhskg:validTo ?to }
}"""


@kind("end_area_membership")
def end_area_membership(store: GraphStore, change: Change, out: CompiledChangeSet) -> None:
    """The membership of `member` in `parent` that runs on `last_day` ends that day."""
    member, parent = _need(change, "member", "parent")
    last = _date(change, "last_day")
    rows = [
        r
        for r in store.select(MEMBERSHIPS_OF, member=area(member), parent=area(parent))
        if r["from"] <= last and (r["to"] is None or r["to"] > last)
    ]
    if not rows:
        raise ChangeSetError(
            f"change {change.number} (end_area_membership): {member} is not "
            f"in {parent} on {last.isoformat()}"
        )
    for row in rows:
        out.add(change, "last_day", (URIRef(row["m"]), NHSKG.validTo, Literal(last)))
    out.affects |= {area(member), area(parent)}


@kind("assign_provider")
def assign_provider(store: GraphStore, change: Change, out: CompiledChangeSet) -> None:
    """Give an unregistered provider an organisation type, name and stated region."""
    code, cls, name = _need(change, "code", "class", "name")
    start = _date(change, "from") if change.fields.get("from") else date.today()
    node = org(code)
    out.add(change, "class", (node, RDF.type, resolve_term(str(cls))))
    out.add(change, "code", (node, NHSKG.odsCode, Literal(str(code).upper())))
    out.add(change, "name", (node, RDFS.label, Literal(str(name))))
    _record(out, change, node, str(code).upper(), start, str(name))
    out.affects.add(node)


@kind("rename")
def rename(store: GraphStore, change: Change, out: CompiledChangeSet) -> None:
    """A new name from a date, kept as a dated record so older names stay true for their dates."""
    code, name = _need(change, "code", "name")
    node = org(code)
    out.add(change, "name", (node, RDFS.label, Literal(str(name))))
    _record(out, change, node, str(code).upper(), _date(change, "from"), str(name))
    out.affects.add(node)


def _record(
    out: CompiledChangeSet, change: Change, node: URIRef, code: str, day: date, name: str
) -> None:
    record = ID[f"ods-record/{day.isoformat()}/{code}/{out.changeset.id}"]
    out.add(change, "name", (record, RDF.type, NHSKG.OdsRecord))
    out.add(change, "code", (record, NHSKG.recordOf, node))
    out.add(change, "from", (record, NHSKG.vintage, Literal(day)))
    out.add(change, "name", (record, RDFS.label, Literal(name)))
    for fld, prop in (("region", NHSKG.statedRegionCode), ("icb", NHSKG.statedHealthGeographyCode)):
        if change.fields.get(fld):
            out.add(change, fld, (record, prop, Literal(str(change.fields[fld]))))


@kind("add_geography_type")
def add_geography_type(store: GraphStore, change: Change, out: CompiledChangeSet) -> None:
    """A new kind of area (for example police force areas); its lookup comes as memberships."""
    key, label, definition = _need(change, "key", "label", "definition")
    cls = ID[f"geography-type/{key}"]
    out.add(change, "key", (cls, RDF.type, OWL.Class))
    out.add(change, "key", (cls, RDFS.subClassOf, NHSKG.GeographicArea))
    out.add(change, "key", (cls, NHSKG.apiName, Literal(str(key))))
    out.add(change, "label", (cls, RDFS.label, Literal(str(label))))
    out.add(change, "definition", (cls, SKOS.definition, Literal(str(definition))))
    for code, name in (change.fields.get("areas") or {}).items():
        node = area(code)
        out.add(change, "areas", (node, RDF.type, cls))
        out.add(change, "areas", (node, RDFS.label, Literal(str(name))))
        out.add(change, "areas", (node, NHSKG.gssCode, Literal(str(code).upper())))
