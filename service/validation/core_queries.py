"""Core SHACL constraints compiled into whole-graph SPARQL queries run by Oxigraph.

pySHACL checks core constraints node by node in Python (about 50 s for the 300k triples of the
OHID MSOA catchment table). Here each constraint of each supported shape becomes one query over
the data, with the shape's focus nodes joined in as `?this` (the target kinds pySHACL uses), and
results are built as pySHACL builds them: focus node, value, the property shape's path, the
source shape, the constraint component, the shape's severity and its sh:message values.

Value checks whose meaning rests on rdflib's view of a literal (datatype well-formedness, regex
matching, ordering) are split in two: the query drops the values that plainly pass (a literal of
the right datatype with a lexical form every engine agrees on, a clean regex match, a numeric or
date comparison between well-formed literals) and every other value is judged in Python with the
logic pySHACL uses. Whatever the compiler does not recognise stays with pySHACL
(`service/validation/rulebook.py:core_shapes`). tests/test_validation_differential.py holds the
two paths to the same results.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from pyshacl.rdfutil.compare import compare_literal
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from service.rdf.store import to_ox, to_rdflib
from service.validation.report import result_triples as validation_result
from service.validation.rulebook import SH, Targets, target_pattern, targets_of

# Parameters of a property shape that do not constrain anything (or that this module handles
# as part of the shape rather than as a constraint).
_NOT_CONSTRAINTS = {
    RDF.type,
    SH.path,
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.defaultValue,
}
_RANGE = {
    SH.minInclusive: (">=", SH.MinInclusiveConstraintComponent),
    SH.maxInclusive: ("<=", SH.MaxInclusiveConstraintComponent),
    SH.minExclusive: (">", SH.MinExclusiveConstraintComponent),
    SH.maxExclusive: ("<", SH.MaxExclusiveConstraintComponent),
}
_SUPPORTED = {
    SH.minCount,
    SH.maxCount,
    SH["class"],
    SH.datatype,
    SH.pattern,
    SH.flags,
    SH.lessThanOrEquals,
    *_RANGE,
}
_NUMERIC = (XSD.decimal, XSD.integer)
# Every "plainly passes" condition below sits in COALESCE(..., false): a type error (DATATYPE of
# a blank node) makes the value a suspect, never silently drops it.
# Lexical forms that rdflib and Oxigraph both read as well-formed values of the datatype (a
# subset of the valid forms: anything else is judged in Python).
_PLAIN_FORM = {
    # Days 29-31 where every year has them; 29 February goes to Python.
    XSD.date: r"^[0-9]{4}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)"
    r"|(0[13578]|1[02])-31)$",
    XSD.decimal: r"^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$",
    XSD.integer: r"^[+-]?[0-9]+$",
    XSD.boolean: r"^(true|false)$",
}
# Regex syntax on which Python's `re` and Oxigraph's regex engine agree (no escapes, classes
# or anchors that differ); other patterns are matched in Python only.
_PORTABLE_PATTERN = re.compile(r"^[A-Za-z0-9^$\[\]{}()|?*+,\- ]*$")


@dataclass(frozen=True)
class CoreCheck:
    """One constraint of one shape, compiled: a query for the suspects and a Python verdict."""

    targets: Targets  # the shape's focus nodes (see `mark_focus_nodes`)
    shape: Node  # sh:sourceShape (the property shape, or the node shape for sh:or)
    component: URIRef
    path: URIRef | None
    messages: tuple[Literal, ...]
    severity: URIRef
    query: str
    # (suspect row as rdflib terms) -> the value to report, or None when the row passes after all.
    judge: Callable[[dict[str, Node]], Node | None] | None = None
    other: URIRef | None = None  # sh:lessThanOrEquals: the path compared with (its values: ?w)


@dataclass(frozen=True)
class CoreResult:
    check: CoreCheck
    focus: Node
    value: Node | None


def compile_shapes(shapes: Graph) -> tuple[list[CoreCheck], set[tuple[Node, Node, Node]]]:
    """The checks for every constraint this module can run, and the shape triples they cover
    (to be left out of what pySHACL runs)."""
    checks: list[CoreCheck] = []
    covered: set[tuple[Node, Node, Node]] = set()
    for holder in sorted(set(shapes.subjects(SH.property, None)) | _or_holders(shapes), key=str):
        if not _plain_node_shape(shapes, holder):
            continue
        targets = targets_of(shapes, holder)
        for prop in sorted(shapes.objects(holder, SH.property), key=str):
            found = _property_checks(shapes, holder, prop, targets)
            if found is not None:
                checks += found
                covered.add((holder, SH.property, prop))
        for or_list in shapes.objects(holder, SH["or"]):
            check = _or_check(shapes, holder, or_list, targets)
            if check is not None:
                checks.append(check)
                covered.add((holder, SH["or"], or_list))
    return checks, covered


# (subject, predicate) -> the typed literals the data states for it, in their own lexical form.
Originals = dict[tuple[Node, Node], list[Literal]]


def typed_literals(triples: Iterable[tuple[Node, Node, Node]]) -> Originals:
    """Typed (non-string) literals by subject and predicate. Oxigraph keeps one canonical form
    per value ("1.0"^^xsd:decimal comes back as "1"); pySHACL sees, and reports, the form the
    data has, so results and lexical checks use that form."""
    found: Originals = {}
    plain = (None, XSD.string)  # looked up once: a namespace attribute costs 2 us a literal
    for s, p, o in triples:
        if isinstance(o, Literal) and o.datatype not in plain:
            found.setdefault((s, p), []).append(o)
    return found


def _restore(row: dict[str, Node], name: str, path: Node | None, originals: Originals) -> None:
    value = row.get(name)
    if not isinstance(value, Literal) or value.datatype in (None, XSD.string) or path is None:
        return
    stated = originals.get((row["this"], path), ())
    if value in stated:
        return
    for o in stated:
        if o.datatype == value.datatype and o.value is not None and o.value == value.value:
            row[name] = o
            return


# Focus nodes are found once per target set and marked in a named graph of the scratch store
# (the data is in its default graph, so the marks are invisible to every check and constraint).
_FOCUS_GRAPH = ox.NamedNode("urn:x-nhskg-validation:focus")
_FOCUS_OF = ox.NamedNode("urn:x-nhskg-validation:focusOf")
FOCUS_SLOT = "%FOCUS%"


def mark_focus_nodes(
    store: ox.Store, checks: Iterable[CoreCheck], only: Iterable[Node] | None = None
) -> dict[Targets, str]:
    """For each target set of the checks that has focus nodes in the data, the pattern that
    binds ?this to them (target sets without focus nodes are left out: nothing to check).
    `only` limits focus nodes to those nodes (the loader judges only the nodes a batch
    describes; the others in its slice are context, valid when they were loaded): each is
    looked at once, not found by a query over the whole slice per target set."""
    target_sets = list(dict.fromkeys(c.targets for c in checks))
    judged = None if only is None else _JudgedNodes(store, only, target_sets)
    found: dict[Targets, str] = {}
    for targets in target_sets:
        mark = ox.NamedNode(f"urn:x-nhskg-validation:targets/{len(found)}")
        if judged is None:
            store.update(
                f"INSERT {{ GRAPH {_FOCUS_GRAPH} {{ ?this {_FOCUS_OF} {mark} }} }}"
                f" WHERE {{ SELECT DISTINCT ?this WHERE {{ {target_pattern(targets)} }} }}"
            )
        else:
            store.bulk_extend(
                [ox.Quad(n, _FOCUS_OF, mark, _FOCUS_GRAPH) for n in judged.focus(targets)]
            )
        if next(iter(store.quads_for_pattern(None, _FOCUS_OF, mark, _FOCUS_GRAPH)), None):
            found[targets] = f"GRAPH {_FOCUS_GRAPH} {{ ?this {_FOCUS_OF} {mark} }}"
    return found


_DEFAULT = ox.DefaultGraph()
_TYPE, _SUBCLASS = ox.NamedNode(str(RDF.type)), ox.NamedNode(str(RDFS.subClassOf))


class _JudgedNodes:
    """The judged nodes indexed by what makes a node a focus node of a target set, as
    `target_pattern` binds them in the data (the store's default graph): each rdf:type, each
    target predicate it is the subject ("out") or object ("in") of."""

    def __init__(self, store: ox.Store, only: Iterable[Node], target_sets: list[Targets]) -> None:
        self.store = store
        self.nodes = {to_ox(n) for n in only}
        out = {ox.NamedNode(str(p)) for t in target_sets for p in t.subjects_of}
        into = {ox.NamedNode(str(p)) for t in target_sets for p in t.objects_of}
        self.by_key: dict[Any, set[Any]] = {}
        for n in self.nodes:
            keys: set[Any] = {q.object for q in store.quads_for_pattern(n, _TYPE, None, _DEFAULT)}
            keys |= {("out", p) for p in out if self._has(n, p, None)}
            if not isinstance(n, ox.Literal):
                keys |= {("in", p) for p in into if self._has(None, p, n)}
            for key in keys:
                self.by_key.setdefault(key, set()).add(n)

    def _has(self, s: Any, p: Any, o: Any) -> bool:
        return next(iter(self.store.quads_for_pattern(s, p, o, _DEFAULT)), None) is not None

    def focus(self, targets: Targets) -> set[Any]:
        """The judged nodes that are focus nodes of `targets`: instances of a target class or
        of a subclass of one (rdfs:subClassOf*, zero steps included), target nodes, subjects
        or objects of a target predicate."""
        keys: set[Any] = {("out", ox.NamedNode(str(p))) for p in targets.subjects_of}
        keys |= {("in", ox.NamedNode(str(p))) for p in targets.objects_of}
        frontier: list[Any] = [ox.NamedNode(str(c)) for c in targets.classes]
        while frontier:
            known = frontier.pop()
            if known not in keys:
                keys.add(known)
                frontier += [
                    q.subject
                    for q in self.store.quads_for_pattern(None, _SUBCLASS, known, _DEFAULT)
                ]
        found = {n for n in (to_ox(t) for t in targets.nodes) if n in self.nodes}
        for key in keys:
            found |= self.by_key.get(key, set())
        return found


def run_checks(
    store: ox.Store,
    checks: Iterable[CoreCheck],
    originals: Originals | None = None,
    *,
    only: Iterable[Node] | None = None,
) -> list[CoreResult]:
    checks = list(checks)
    focus = mark_focus_nodes(store, checks, only)
    results = [
        r
        for c in checks
        if c.targets in focus
        for r in run_check(store, c, originals, focus=focus[c.targets])
    ]
    store.remove_graph(_FOCUS_GRAPH)
    return results


def run_check(
    store: ox.Store,
    check: CoreCheck,
    originals: Originals | None = None,
    *,
    focus: str | None = None,
) -> list[CoreResult]:
    """Run one check; `focus` is the pattern from `mark_focus_nodes` (default: find the focus
    nodes in the query itself)."""
    focus = focus or f"{{ SELECT DISTINCT ?this WHERE {{ {target_pattern(check.targets)} }} }}"
    solutions = store.query(check.query.replace(FOCUS_SLOT, focus))
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    results = []
    for solution in solutions:
        row = {n: to_rdflib(solution[n]) for n in names if solution[n] is not None}
        if originals:
            _restore(row, "v", check.path, originals)
            _restore(row, "w", check.other, originals)
        if check.judge is None:
            value = row.get("v")
        else:
            value = check.judge(row)
            if value is None:
                continue
        results.append(CoreResult(check, row["this"], value))
    return results


def result_triples(node: BNode, result: CoreResult) -> Iterator[tuple[Node, Node, Node]]:
    c = result.check
    return validation_result(
        node, component=c.component, shape=c.shape, severity=c.severity, focus=result.focus,
        value=result.value, path=c.path, messages=c.messages,
    )  # fmt: skip


# ---------------------------------------------------------------------------- which shapes


def _or_holders(shapes: Graph) -> set[Node]:
    return set(shapes.subjects(SH["or"], None))


_SHAPE_REFERENCES = [SH.node, SH.property, SH["not"], SH["and"], SH["or"], SH.xone]
_SHAPE_REFERENCES += [SH.qualifiedValueShape]


def _referenced(shapes: Graph, shape: Node) -> bool:
    return any((None, p, shape) in shapes for p in _SHAPE_REFERENCES) or (
        (None, RDF.first, shape) in shapes
    )


def _plain_node_shape(shapes: Graph, shape: Node) -> bool:
    """A node shape validated only on its own targets (so its checks can run as queries)."""
    return (
        not targets_of(shapes, shape).empty()
        and not _referenced(shapes, shape)
        and (shape, SH.target, None) not in shapes
        and (shape, SH.path, None) not in shapes
        and not _true(shapes.value(shape, SH.deactivated))
    )


def _own_property(shapes: Graph, holder: Node, prop: Node) -> bool:
    if set(shapes.subjects(SH.property, prop)) != {holder}:
        return False
    if any((None, p, prop) in shapes for p in _SHAPE_REFERENCES if p != SH.property):
        return False
    if (None, RDF.first, prop) in shapes:
        return False
    kinds = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
    return not any((prop, k, None) in shapes for k in kinds)


def _messages(shapes: Graph, shape: Node) -> tuple[Literal, ...]:
    return tuple(o for o in shapes.objects(shape, SH.message) if isinstance(o, Literal))


def _severity(shapes: Graph, shape: Node) -> URIRef:
    severity = shapes.value(shape, SH.severity)
    return severity if isinstance(severity, URIRef) else SH.Violation


# ---------------------------------------------------------------------------- property shapes


def _property_checks(
    shapes: Graph, holder: Node, prop: Node, targets: Targets
) -> list[CoreCheck] | None:
    """The checks of one property shape, or None if any part of it must stay with pySHACL."""
    if not _own_property(shapes, holder, prop) or _true(shapes.value(prop, SH.deactivated)):
        return None
    path = shapes.value(prop, SH.path)
    messages = _messages(shapes, prop)
    # Without sh:message pySHACL writes its own wording; leave those shapes to it.
    if not isinstance(path, URIRef) or not messages:
        return None
    params: dict[URIRef, list[Node]] = {}
    for p, o in shapes.predicate_objects(prop):
        if p in _NOT_CONSTRAINTS:
            continue
        if p not in _SUPPORTED or not isinstance(p, URIRef):
            return None
        params.setdefault(p, []).append(o)
    if any(len(v) != 1 for v in params.values()) or (SH.flags in params) > (SH.pattern in params):
        return None
    base = _PropertyBase(prop, path, messages, _severity(shapes, prop), targets)
    checks: list[CoreCheck] = []
    for p, (o,) in sorted(params.items()):
        if p == SH.flags:
            continue
        flags = params.get(SH.flags, [None])[0] if p == SH.pattern else None
        check = _one_check(base, p, o, flags)
        if check is None:
            return None
        checks.append(check)
    return checks


@dataclass(frozen=True)
class _PropertyBase:
    shape: Node
    path: URIRef
    messages: tuple[Literal, ...]
    severity: URIRef
    targets: Targets

    def check(
        self,
        component: URIRef,
        where: str,
        *,
        select: str = "?this ?v",
        tail: str = "",
        **kw: object,
    ) -> CoreCheck:
        query = f"SELECT {select} WHERE {{\n  {FOCUS_SLOT}\n  {where}\n}}{tail}"
        return CoreCheck(
            self.targets,
            self.shape,
            component,
            self.path,
            self.messages,
            self.severity,
            query,
            **kw,  # type: ignore[arg-type]
        )


def _one_check(
    base: _PropertyBase, param: URIRef, arg: Node, flags: Node | None
) -> CoreCheck | None:
    p = f"<{base.path}>"
    if param in (SH.minCount, SH.maxCount):
        n = _count(arg)
        if n is None:
            return None
        if param == SH.maxCount and n == 1:
            # Two different values; cheaper than grouping every focus node.
            where = f"?this {p} ?v . ?this {p} ?w . FILTER (!sameTerm(?v, ?w))"
            return base.check(SH.MaxCountConstraintComponent, where, select="DISTINCT ?this")
        if param == SH.maxCount:
            return base.check(
                SH.MaxCountConstraintComponent,
                f"?this {p} ?v .",
                select="?this",
                tail=f" GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n})",
            )
        if n == 0:
            return base.check(SH.MinCountConstraintComponent, "FILTER (false)", select="?this")
        if n == 1:
            where = f"FILTER NOT EXISTS {{ ?this {p} ?v }}"
            return base.check(SH.MinCountConstraintComponent, where, select="?this")
        return base.check(
            SH.MinCountConstraintComponent,
            f"OPTIONAL {{ ?this {p} ?v }}",
            select="?this",
            tail=f" GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})",
        )
    if param == SH["class"]:
        if not isinstance(arg, URIRef):
            return None
        where = (
            f"?this {p} ?v . FILTER NOT EXISTS {{ ?v <{RDF.type}>/"
            f"<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{arg}> }}"
        )
        return base.check(SH.ClassConstraintComponent, where)
    if param == SH.datatype:
        if not isinstance(arg, URIRef):
            return None
        plain = _plain_form(arg, "?v")
        where = f"?this {p} ?v . FILTER (!COALESCE(isLiteral(?v) && {plain}, false))"
        return base.check(SH.DatatypeConstraintComponent, where, judge=_datatype_judge(arg))
    if param == SH.pattern:
        return _pattern_check(base, p, arg, flags)
    if param in _RANGE:
        return _range_check(base, p, param, arg)
    if param == SH.lessThanOrEquals:
        if not isinstance(arg, URIRef):
            return None
        plain = " || ".join(
            f"({_plain_form(d, '?v')} && {_plain_form(e, '?w')} && ?v <= ?w)"
            for d, e in _COMPARABLE
        )
        where = (
            f"?this {p} ?v . ?this <{arg}> ?w .\n"
            f"  FILTER (!COALESCE(isLiteral(?v) && isLiteral(?w) && ({plain}), false))"
        )
        return base.check(
            SH.LessThanOrEqualsConstraintComponent,
            where,
            select="?this ?v ?w",
            judge=_less_or_equal_judge,
            other=arg,
        )
    return None


_COMPARABLE = [(XSD.date, XSD.date)] + [(d, e) for d in _NUMERIC for e in _NUMERIC]


def _plain_form(datatype: URIRef, var: str) -> str:
    form = _PLAIN_FORM.get(datatype)
    if datatype == XSD.string:
        return f"(DATATYPE({var}) = <{XSD.string}>)"
    if form is None:
        return "false"
    return f'(DATATYPE({var}) = <{datatype}> && REGEX(STR({var}), "{form}"))'


def _pattern_check(base: _PropertyBase, p: str, arg: Node, flags: Node | None) -> CoreCheck | None:
    if not isinstance(arg, Literal) or (flags is not None and not isinstance(flags, Literal)):
        return None
    pattern = str(arg.value) if arg.value is not None and len(str(arg.value)) > 1 else str(arg)
    flag_text = str(flags.value).lower() if isinstance(flags, Literal) else ""
    re_flags = (re.I if "i" in flag_text else 0) | (re.M if "m" in flag_text else 0)
    compiled = re.compile(pattern, re_flags)
    portable = _PORTABLE_PATTERN.match(pattern) and set(flag_text) <= {"i"}
    if portable:
        # Only strings and IRIs: other literals are matched in Python on their stated form.
        ox_flags = ', "i"' if "i" in flag_text else ""
        plain = (
            f"(isIRI(?v) || DATATYPE(?v) IN (<{XSD.string}>, <{RDF.langString}>))"
            f' && !CONTAINS(STR(?v), "\\n") && REGEX(STR(?v), "{pattern}"{ox_flags})'
        )
    else:
        plain = "false"

    def judge(row: dict[str, Node]) -> Node | None:
        v = row["v"]
        if isinstance(v, BNode):
            return v
        return None if compiled.search(_string_of(v)) else v

    return base.check(
        SH.PatternConstraintComponent,
        f"?this {p} ?v . FILTER (!COALESCE({plain}, false))",
        judge=judge,
    )


def _string_of(v: Node) -> str:
    # pySHACL's value_node_to_string: a literal's lexical form, an IRI's text.
    return str(v)


def _range_check(base: _PropertyBase, p: str, param: URIRef, arg: Node) -> CoreCheck | None:
    if not isinstance(arg, Literal) or arg.datatype not in _NUMERIC or arg.ill_typed:
        return None
    op, component = _RANGE[param]
    bound = to_ox(arg)
    plain = " || ".join(f"{_plain_form(d, '?v')}" for d in _NUMERIC)
    where = (
        f"?this {p} ?v . FILTER (!COALESCE(isLiteral(?v) && ({plain}) && ?v {op} {bound}, false))"
    )
    return base.check(component, where, judge=_range_judge(param, arg))


# ---------------------------------------------------------------------------- sh:or


def _or_check(shapes: Graph, holder: Node, or_list: Node, targets: Targets) -> CoreCheck | None:
    """sh:or of property shapes that each only require a value (`sh:path p ; sh:minCount 1`):
    the focus node fails when it has a value for none of the paths."""
    messages = _messages(shapes, holder)
    if not messages:
        return None
    paths = []
    for member in shapes.items(or_list):
        triples = {(p, o) for p, o in shapes.predicate_objects(member) if p != RDF.type}
        path = shapes.value(member, SH.path)
        count = shapes.value(member, SH.minCount)
        if not isinstance(path, URIRef) or triples != {(SH.path, path), (SH.minCount, count)}:
            return None
        if (
            _count(count) != 1
            or not isinstance(member, BNode)
            or _referenced_elsewhere(shapes, member)
        ):
            return None
        paths.append(path)
    if not paths:
        return None
    none_of = " && ".join(f"NOT EXISTS {{ ?this <{p}> ?_{i} }}" for i, p in enumerate(paths))
    query = f"SELECT ?this WHERE {{\n  {FOCUS_SLOT}\n  FILTER ({none_of})\n}}"
    return CoreCheck(
        targets,
        holder,
        SH.OrConstraintComponent,
        None,
        messages,
        _severity(shapes, holder),
        query,
        judge=lambda row: row["this"],  # sh:or reports the focus node as the value
    )


def _referenced_elsewhere(shapes: Graph, member: Node) -> bool:
    return len(list(shapes.subjects(RDF.first, member))) != 1 or any(
        (None, p, member) in shapes for p in _SHAPE_REFERENCES
    )


# ---------------------------------------------------------------------------- verdicts


def _datatype_judge(datatype: URIRef) -> Callable[[dict[str, Node]], Node | None]:
    def judge(row: dict[str, Node]) -> Node | None:
        v = row["v"]
        return None if _datatype_matches(v, datatype) else v

    return judge


@lru_cache(maxsize=65536)
def _datatype_matches(v: Node, rule: URIRef) -> bool:
    """pySHACL's DatatypeConstraintComponent for one value."""
    from pyshacl.constraints.core.value_constraints import DatatypeConstraintComponent

    if not isinstance(v, Literal):
        return False
    assert_actual = DatatypeConstraintComponent._assert_actual_datatype
    if v.datatype == rule:
        return False if getattr(v, "ill_typed", None) is True else assert_actual(None, v, rule)  # type: ignore[arg-type]
    if rule == URIRef("http://www.w3.org/2000/01/rdf-schema#Literal"):
        return True
    if rule == URIRef("http://www.w3.org/2000/01/rdf-schema#Datatype") and v.datatype:
        return True
    if v.datatype is None and v.language is None and rule == XSD.string:
        return bool(assert_actual(None, v, rule))  # type: ignore[arg-type]
    if rule == RDF.langString and v.language:
        return bool(assert_actual(None, v, rule))  # type: ignore[arg-type]
    return False


def _range_judge(param: URIRef, bound: Literal) -> Callable[[dict[str, Node]], Node | None]:
    """pySHACL's value range components for one value."""
    bound_is_string = isinstance(bound.value, str)

    def judge(row: dict[str, Node]) -> Node | None:
        v = row["v"]
        passed = False
        if isinstance(v, Literal):
            v_is_string = isinstance(v.value, str)
            if v_is_string == bound_is_string:
                try:
                    cmp = compare_literal(v, bound)
                    passed = {
                        SH.minInclusive: cmp >= 0,
                        SH.maxInclusive: cmp <= 0,
                        SH.minExclusive: cmp > 0,
                        SH.maxExclusive: cmp < 0,
                    }[param]
                except (TypeError, NotImplementedError):
                    passed = False
        return None if passed else v

    return judge


def _less_or_equal_judge(row: dict[str, Node]) -> Node | None:
    """pySHACL's LessThanOrEqualsConstraintComponent for one pair of values."""
    original, v, w = row["v"], row["v"], row["w"]
    if isinstance(v, BNode) or isinstance(w, BNode):
        return original
    left: object = v
    right: object = w
    left_is_string = right_is_string = False
    if isinstance(v, URIRef) or (isinstance(v, Literal) and isinstance(v.value, str)):
        left, left_is_string = (str(v) if isinstance(v, URIRef) else v.value), True
    if isinstance(w, URIRef) or (isinstance(w, Literal) and isinstance(w.value, str)):
        right, right_is_string = (str(w) if isinstance(w, URIRef) else w.value), True
    if left_is_string != right_is_string:
        return original
    try:
        passed = bool(left <= right)  # type: ignore[operator]
    except TypeError:
        passed = False
    return None if passed else original


def _count(node: Node | None) -> int | None:
    if isinstance(node, Literal) and isinstance(node.value, int) and node.value >= 0:
        return int(node.value)
    return None


def _true(node: Node | None) -> bool:
    return isinstance(node, Literal) and node.datatype == XSD.boolean and bool(node.toPython())


def add_to_report(results_graph: Graph, shapes: Graph, results: list[CoreResult]) -> None:
    """Add the results as sh:ValidationResult nodes to a SHACL results graph (made if empty) and
    update its sh:conforms (Warning and Info results do not break conformance)."""
    report = results_graph.value(None, RDF.type, SH.ValidationReport)
    if report is None:
        report = BNode()
        results_graph.add((report, RDF.type, SH.ValidationReport))
        results_graph.add((report, SH.conforms, Literal(True)))
    described: set[Node] = set()
    for result in results:
        node = BNode()
        results_graph.add((report, SH.result, node))
        for triple in result_triples(node, result):
            results_graph.add(triple)
        shape = result.check.shape
        if isinstance(shape, BNode) and shape not in described:
            # A blank-node shape is copied into the report so sh:sourceShape can be read there.
            described.add(shape)
            for p, o in shapes.predicate_objects(shape):
                results_graph.add((shape, p, o))
    if any(r.check.severity == SH.Violation for r in results):
        results_graph.set((report, SH.conforms, Literal(False)))
