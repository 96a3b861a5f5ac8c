"""SPARQL-based constraints run as ONE query each over the whole data graph in Oxigraph.

pySHACL runs a constraint's SELECT once per focus node with $this pre-bound, in rdflib's
pure-Python SPARQL engine (seconds per thousand focus nodes). Here $this is a free variable,
joined at the start of the query's WHERE group to the shape's targets (the same target kinds
pySHACL uses), so Oxigraph evaluates every focus node in one pass. Results are built the way
pySHACL builds them: focus node, value (?value, or the focus node), path, the constraint's and
the shape's messages with {?var} / {$var} filled in, source shape, constraint and severity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal
from rdflib.term import Node

from service.rdf.store import to_ox, to_rdflib
from service.validation.report import result_triples as validation_result
from service.validation.rulebook import SH, SparqlConstraint, target_pattern

# The projection of the query's (only) SELECT, and the brace that opens its WHERE group.
_HEAD = re.compile(
    r"\bSELECT\s+(?P<modifier>DISTINCT\s+|REDUCED\s+)?(?P<projection>.*?)\s*(?:WHERE\s*)?\{",
    re.I | re.S,
)
_THIS = re.compile(r"[?$]this\b")


@dataclass(frozen=True)
class SparqlResult:
    """One violation found by a SPARQL-based constraint, as pySHACL would report it."""

    constraint: SparqlConstraint
    focus: Node
    value: Node | None
    path: Node | None
    messages: tuple[str, ...]


def data_store(graphs: Iterable[Graph]) -> ox.Store:
    """An in-memory Oxigraph store holding the triples of the given graphs in its default graph."""
    store = ox.Store()
    converted: dict[Node, Any] = {}  # IRIs repeat a lot; convert each once

    def term(node: Node) -> Any:
        found = converted.get(node)
        if found is None:
            found = converted[node] = to_ox(node)
        return found

    store.bulk_extend(ox.Quad(term(s), term(p), term(o)) for graph in graphs for s, p, o in graph)
    return store


def rdflib_graph(store: ox.Store) -> Graph:
    """The default graph of an in-memory store as an rdflib graph (for shapes left to pySHACL)."""
    graph = Graph()
    for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph


def projects_this(constraint: SparqlConstraint) -> bool:
    """Whether the constraint's own SELECT returns $this. pySHACL fills {$this} in messages only
    then (it fills templates from the solution), so the fast path does the same."""
    head = _head(constraint)
    return head.group("projection").strip() == "*" or bool(_THIS.search(head.group("projection")))


def whole_graph_query(constraint: SparqlConstraint) -> str:
    """The constraint's SELECT with $this joined to the shape's targets, prefixes prepended."""
    head = _head(constraint)
    projection = head.group("projection")
    if not projects_this(constraint):
        projection = "?this " + projection
    rewritten = (
        constraint.select[: head.start()]
        + f"SELECT {head.group('modifier') or ''}{projection} WHERE {{\n"
        + f"  {{ SELECT DISTINCT ?this WHERE {{ {target_pattern(constraint.targets)} }} }}\n"
        + constraint.select[head.end() :]
    )
    prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in constraint.prefixes.items())
    return prefixes + rewritten


def _head(constraint: SparqlConstraint) -> re.Match[str]:
    head = _HEAD.search(constraint.select)
    if head is None:
        raise ValueError(f"cannot find the SELECT ... {{ of the constraint on {constraint.shape}")
    return head


def run_constraint(store: ox.Store, constraint: SparqlConstraint) -> list[SparqlResult]:
    if constraint.targets.empty():
        return []  # no focus nodes, so nothing to check (pySHACL agrees)
    solutions = store.query(whole_graph_query(constraint))
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    fill_this = projects_this(constraint)
    results: list[SparqlResult] = []
    seen: set[tuple[object, ...]] = set()
    for solution in solutions:
        bound = {n: to_rdflib(solution[n]) for n in names if solution[n] is not None}
        focus = bound.pop("this")
        path = bound.pop("path", None)
        value = bound.pop("value", None)
        key = (focus, path, value, *sorted(bound.items()))
        if key in seen:  # pySHACL drops duplicate solutions per focus node
            continue
        seen.add(key)
        value = focus if value is None else value  # node shapes report the focus node
        fill = {**bound, **({"this": focus} if fill_this else {})}
        fill |= {**({"path": path} if path else {}), "value": value}
        results.append(SparqlResult(constraint, focus, value, path, _messages(constraint, fill)))
    return results


def _messages(constraint: SparqlConstraint, fill: dict[str, Node]) -> tuple[str, ...]:
    own = [m for m in constraint.messages if m not in constraint.shape_messages]
    return tuple(_format(str(m), fill) for m in [*own, *constraint.shape_messages])


def _format(message: str, fill: dict[str, Node]) -> str:
    # The same substitution pySHACL applies, so the wording matches.
    for name, node in fill.items():
        message = re.sub(f"{{[?$]{name}}}", str(node), message)
    return message


def add_to_report(results_graph: Graph, shapes: Graph, results: list[SparqlResult]) -> None:
    """Add the results as sh:ValidationResult nodes to a pySHACL results graph, and update its
    sh:conforms (Warning and Info results do not break conformance, as with allow_warnings)."""
    report = results_graph.value(None, RDF.type, SH.ValidationReport)
    if report is None:
        report = BNode()
        results_graph.add((report, RDF.type, SH.ValidationReport))
        results_graph.add((report, SH.conforms, Literal(True)))
    for result in results:
        node = BNode()
        results_graph.add((report, SH.result, node))
        for triple in _result_triples(node, result):
            results_graph.add(triple)
        if isinstance(result.constraint.node, BNode):
            for triple in _description(shapes, result.constraint.node):
                results_graph.add(triple)
    if any(r.constraint.severity == SH.Violation for r in results):
        results_graph.set((report, SH.conforms, Literal(False)))


def _result_triples(node: BNode, result: SparqlResult) -> Iterator[tuple[Node, Node, Node]]:
    c = result.constraint
    return validation_result(
        node, component=SH.SPARQLConstraintComponent, shape=c.shape, severity=c.severity,
        focus=result.focus, value=result.value, path=result.path,
        messages=[Literal(m) for m in result.messages], constraint=c.node,
    )  # fmt: skip


def _description(shapes: Graph, node: Node) -> Iterator[tuple[Node, Node, Node]]:
    # A blank-node constraint is copied into the report so sh:sourceConstraint can be read there.
    for p, o in shapes.predicate_objects(node):
        yield node, p, o
        if isinstance(o, BNode) and p != SH.prefixes:
            yield from _description(shapes, o)
