"""The shapes in shapes/*.ttl split into the two parts the validator runs: the SPARQL-based
constraints that can run as one whole-graph query each, and everything else (core constraints,
plus any SPARQL constraint that cannot be rewritten safely), which pySHACL runs.

The split is derived from the shapes on every start; nothing here restates a rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from service.rdf.store import to_ox
from service.rdf.terms import load_ontology, load_shapes, ontology_files
from service.validation.report import SH

# Shape-expecting parameters: a shape named by one of these is also validated on nodes reached
# from another shape, not only on its own targets, so its SPARQL constraints stay with pySHACL.
_SHAPE_REFERENCES = [SH.node, SH.property, SH["not"], SH["and"], SH["or"], SH.xone]
_SHAPE_REFERENCES += [SH.qualifiedValueShape]

# Query features whose meaning changes when $this is a join variable instead of a constant
# substituted per focus node (pre-binding): LIMIT/OFFSET (per focus vs overall), a nested SELECT,
# VALUES/MINUS/SERVICE (forbidden with pre-binding anyway), the other pre-bound variables, and
# aggregation that is not grouped by $this (grouping by $this keeps one group per focus node).
_UNSAFE = [
    (re.compile(r"\b(LIMIT|OFFSET)\b", re.I), "LIMIT or OFFSET"),
    (re.compile(r"\b(VALUES|MINUS|SERVICE)\b", re.I), "VALUES, MINUS or SERVICE"),
    (re.compile(r"[?$](PATH|shapesGraph|currentShape)\b"), "$PATH, $shapesGraph or $currentShape"),
]
_AGGREGATE = re.compile(r"\b(COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT)\s*\(|\bHAVING\b", re.I)
_GROUP_BY = re.compile(r"\bGROUP\s+BY\b(?P<keys>.*?)(?:\bHAVING\b|\bORDER\b|$)", re.I | re.S)
_THIS = re.compile(r"[?$]this\b")
_TARGET_KINDS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_SELECT = re.compile(r"\bSELECT\b", re.I)
# What a node shape may hold besides constraints (with none of those left it checks nothing).
_NOT_CONSTRAINING = {RDF.type, SH.message, SH.severity, SH.name, SH.description, SH.deactivated}
_NOT_CONSTRAINING |= {RDFS.label, RDFS.comment, *_TARGET_KINDS}


@dataclass(frozen=True)
class Targets:
    """A node shape's targets, as pySHACL finds them (sh:target is not among them)."""

    classes: tuple[URIRef, ...] = ()  # sh:targetClass, and the shape itself if it is a class
    nodes: tuple[Node, ...] = ()
    subjects_of: tuple[URIRef, ...] = ()
    objects_of: tuple[URIRef, ...] = ()

    def empty(self) -> bool:
        return not (self.classes or self.nodes or self.subjects_of or self.objects_of)


@dataclass(frozen=True)
class SparqlConstraint:
    """One sh:sparql constraint of one shape, with what pySHACL would need to report it."""

    shape: Node
    node: Node  # the sh:SPARQLConstraint node (sh:sourceConstraint)
    select: str
    prefixes: dict[str, str]
    messages: tuple[Literal, ...]  # the constraint's own sh:message values
    shape_messages: tuple[Literal, ...]  # sh:message on the shape itself
    severity: URIRef
    targets: Targets
    deactivated: bool = False
    # Why the whole-graph rewrite is not safe for this constraint (then pySHACL runs it).
    unsafe: str | None = field(default=None)


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    return load_shapes()


def ontology_graph() -> Graph:
    """The ontology, cached per set of files (extension files may be configured)."""
    return _ontology_graph(tuple(ontology_files()))


@lru_cache(maxsize=4)
def _ontology_graph(files: tuple[Path, ...]) -> Graph:
    return load_ontology(list(files))


def sparql_constraints(shapes: Graph) -> list[SparqlConstraint]:
    """Every sh:sparql constraint in the shapes graph, in a stable order."""
    found = [_constraint(shapes, s, c) for s, c in shapes.subject_objects(SH.sparql)]
    return sorted(found, key=lambda c: (str(c.shape), c.select))


def fast_constraints(shapes: Graph) -> list[SparqlConstraint]:
    """The SPARQL constraints that run as whole-graph queries (active and safe to rewrite)."""
    return [c for c in sparql_constraints(shapes) if c.unsafe is None and not c.deactivated]


def core_shapes(shapes: Graph, compiled: set[tuple[Node, Node, Node]] | None = None) -> Graph:
    """The shapes graph without the constraints the whole-graph queries run (the SPARQL-based
    ones, and the `compiled` core ones: sh:property and sh:or links), with property shapes
    lifted to top level (see `liftable_property_shapes`). A node shape left with no constraint
    loses its targets too, so pySHACL does not visit its focus nodes for nothing."""
    fast = {(c.shape, c.node) for c in fast_constraints(shapes)}
    compiled = compiled or set()
    kept = Graph()
    for s, p, o in shapes:
        if (p == SH.sparql and (s, o) in fast) or (s, p, o) in compiled:
            continue
        kept.add((s, p, o))
    for shape in {s for s, _, _ in compiled} | {c.shape for c in fast_constraints(shapes)}:
        if not any(p not in _NOT_CONSTRAINING for p in kept.predicates(shape, None)):
            for kind in _TARGET_KINDS:
                kept.remove((shape, kind, None))
    lifted = liftable_property_shapes(kept)
    core = Graph()
    for prefix, namespace in shapes.namespaces():
        core.bind(prefix, namespace)  # pySHACL's own messages name shapes by prefix
    for s, p, o in kept:
        if p == SH.property and o in lifted:
            continue
        core.add((s, p, o))
    for prop, holder in lifted.items():
        for kind in _TARGET_KINDS:
            for target in shapes.objects(holder, kind):
                core.add((prop, kind, target))
        if _targets(shapes, holder).classes != _explicit_classes(shapes, holder):
            core.add((prop, SH.targetClass, holder))  # the holder is also a class
    return core


def liftable_property_shapes(shapes: Graph) -> dict[Node, Node]:
    """Property shapes that can be validated as top-level shapes with their node shape's
    targets, mapped to that node shape. pySHACL validates a nested property shape once per focus
    node, rebuilding its constraint components each time; as a top-level shape it runs once for
    all focus nodes (about 4x faster at 30k sites), with the same results: same focus nodes,
    source shape, path, values, messages and severity. Only done when nothing else can reach
    the property shape: its node shape has plain targets, is active and unreferenced, and the
    property shape belongs to that node shape alone."""
    lifted: dict[Node, Node] = {}
    for holder in set(shapes.subjects(SH.property, None)):
        if _targets(shapes, holder).empty() or _referenced(shapes, holder):
            continue
        if (holder, SH.target, None) in shapes or _true(shapes.value(holder, SH.deactivated)):
            continue
        for prop in shapes.objects(holder, SH.property):
            holders = set(shapes.subjects(SH.property, prop))
            others = [p for p in _SHAPE_REFERENCES if p != SH.property]
            if holders != {holder} or any((None, p, prop) in shapes for p in others):
                continue
            if _in_list(shapes, prop) or any((prop, k, None) in shapes for k in _TARGET_KINDS):
                continue
            lifted[prop] = holder
    return lifted


def _constraint(shapes: Graph, shape: Node, node: Node) -> SparqlConstraint:
    select = str(shapes.value(node, SH.select) or "")
    return SparqlConstraint(
        shape=shape,
        node=node,
        select=select,
        prefixes=_prefixes(shapes, node),
        messages=_literals(shapes, node, SH.message),
        shape_messages=_literals(shapes, shape, SH.message),
        severity=_uri(shapes.value(shape, SH.severity)) or SH.Violation,
        targets=_targets(shapes, shape),
        deactivated=_true(shapes.value(shape, SH.deactivated))
        or _true(shapes.value(node, SH.deactivated)),
        unsafe=_unsafe(shapes, shape, select),
    )


def _unsafe(shapes: Graph, shape: Node, select: str) -> str | None:
    if not select:
        return "it has no sh:select"
    if (shape, SH.path, None) in shapes:
        return "it sits on a property shape"
    if _referenced(shapes, shape):
        return "its shape is referenced from another shape"
    if (shape, SH.target, None) in shapes:
        return "its shape has a SPARQL-based or custom target"
    if len(_SELECT.findall(select)) != 1:
        return "it has a nested SELECT"
    for pattern, what in _UNSAFE:
        if pattern.search(select):
            return f"it uses {what}"
    group_by = _GROUP_BY.search(select)
    if group_by and not _THIS.search(group_by.group("keys")):
        return "it groups by something other than $this"
    if _AGGREGATE.search(select) and not group_by:
        return "it aggregates without GROUP BY $this"
    return None


def _referenced(shapes: Graph, shape: Node) -> bool:
    return any((None, p, shape) in shapes for p in _SHAPE_REFERENCES) or _in_list(shapes, shape)


def _in_list(shapes: Graph, shape: Node) -> bool:
    # sh:or / sh:and / sh:xone take RDF lists of shapes.
    return (None, RDF.first, shape) in shapes


def _explicit_classes(shapes: Graph, shape: Node) -> tuple[URIRef, ...]:
    return tuple(sorted(_uris(shapes.objects(shape, SH.targetClass))))


def has_targets(shapes: Graph) -> bool:
    """Whether any shape has a target (without one, pySHACL has nothing to validate)."""
    return any((None, kind, None) in shapes for kind in (*_TARGET_KINDS, SH.target)) or any(
        isinstance(s, URIRef) and (s, RDF.type, RDFS.Class) in shapes
        for s in shapes.subjects(RDF.type, SH.NodeShape)
    )


def focus_query(shapes: Graph) -> str | None:
    """An ASK query true when the data holds a focus node of some shape in `shapes` (None when a
    shape has an sh:target, whose focus nodes only pySHACL can find). With no focus node pySHACL
    reports nothing, so it need not run (nor the data be copied into an rdflib graph for it)."""
    if (None, SH.target, None) in shapes:
        return None
    targeted = {s for kind in _TARGET_KINDS for s in shapes.subjects(kind, None)}
    targeted |= {s for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}
    patterns = [target_pattern(t) for t in map(partial(_targets, shapes), targeted)]
    patterns = sorted({p for p in patterns if p})
    return f"ASK {{ {' UNION '.join(patterns)} }}" if patterns else "ASK { FILTER(false) }"


def target_pattern(targets: Targets) -> str:
    """A SPARQL group binding ?this to every focus node of the targets, as pySHACL finds them
    (instances of a target class or its subclasses, target nodes, subjects or objects of)."""
    rdf_type = f"<{RDF.type}>"
    subclass = f"<{RDFS.subClassOf}>"
    branches = [f"?this {rdf_type}/{subclass}* <{c}> ." for c in targets.classes]
    branches += [f"BIND({to_ox(n)} AS ?this)" for n in targets.nodes]
    branches += [f"?this <{p}> ?_targetObject ." for p in targets.subjects_of]
    branches += [f"?_targetSubject <{p}> ?this ." for p in targets.objects_of]
    return " UNION ".join(f"{{ {b} }}" for b in branches)


def targets_of(shapes: Graph, shape: Node) -> Targets:
    return _targets(shapes, shape)


def _targets(shapes: Graph, shape: Node) -> Targets:
    classes = list(_explicit_classes(shapes, shape))
    class_types = {RDFS.Class, *shapes.subjects(RDFS.subClassOf, RDFS.Class)}
    if isinstance(shape, URIRef) and any(t in class_types for t in shapes.objects(shape, RDF.type)):
        classes.append(shape)  # implicit class target
    return Targets(
        classes=tuple(sorted(set(classes))),
        nodes=tuple(sorted(set(shapes.objects(shape, SH.targetNode)), key=str)),
        subjects_of=tuple(sorted(_uris(shapes.objects(shape, SH.targetSubjectsOf)))),
        objects_of=tuple(sorted(_uris(shapes.objects(shape, SH.targetObjectsOf)))),
    )


def _prefixes(shapes: Graph, node: Node) -> dict[str, str]:
    """PREFIX declarations as pySHACL collects them: rdf, rdfs and owl, then sh:declare of each
    sh:prefixes value and of every owl:Ontology in the shapes graph."""
    prefixes = {"rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL)}
    ontologies = set(shapes.subjects(RDF.type, OWL.Ontology))
    global_declares = {d for o in ontologies for d in shapes.objects(o, SH.declare)}
    for holder in shapes.objects(node, SH.prefixes):
        for declare in global_declares | set(shapes.objects(holder, SH.declare)):
            prefix = shapes.value(declare, SH.prefix)
            namespace = shapes.value(declare, SH.namespace)
            if prefix is not None and namespace is not None:
                prefixes[str(prefix)] = str(namespace)
    return prefixes


def _literals(shapes: Graph, node: Node, predicate: URIRef) -> tuple[Literal, ...]:
    found = [o for o in shapes.objects(node, predicate) if isinstance(o, Literal)]
    return tuple(sorted(found, key=str))


def _uris(nodes: Iterable[Node]) -> set[URIRef]:
    return {n for n in nodes if isinstance(n, URIRef)}


def _uri(node: Node | None) -> URIRef | None:
    return node if isinstance(node, URIRef) else None


def _true(node: Node | None) -> bool:
    return isinstance(node, Literal) and node.datatype == XSD.boolean and bool(node.toPython())
