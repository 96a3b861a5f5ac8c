"""The graph store: embedded Oxigraph on disk (or in memory for tests), one named graph per load.

Writes are whole named graphs added in one Oxigraph transaction. A graph that replaces an older
load of the same source records `nhskg:supersedes`; the superseded graph is then dropped, and any
left behind by an interrupted replacement is dropped when the store is next opened.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from service.terms import DEF, ONTOLOGY_GRAPH, ontology_files

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PREFIXES = {
    "nhskg": DEF,
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
}


def to_ox(term: Node) -> Any:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot store {term!r}")


def to_rdflib(term: Any) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)  # the same RDF term; rdflib would count it twice
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"cannot convert {term!r}")


def python_value(term: Any) -> Any:
    """A SPARQL result term as a plain Python value (IRIs as str, typed literals converted)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        literal = to_rdflib(term)
        assert isinstance(literal, Literal)
        return literal.toPython()
    return str(term)


class GraphStore:
    """Embedded Oxigraph store. `GraphStore(None)` is in memory; `GraphStore(path)` is on disk."""

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path else None
        if self.path is None:
            self._store = ox.Store()
        elif read_only:
            self._store = ox.Store.read_only(str(self.path))
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            self._store = ox.Store(str(self.path))
        if not read_only:
            self._drop_superseded()
            self._load_ontology()

    # ------------------------------------------------------------------ reading
    def quad_count(self) -> int:
        return len(self._store)

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def contains_graph(self, graph: str) -> bool:
        return self._store.contains_named_graph(ox.NamedNode(graph))

    def select(self, query: str, **bindings: Node | str) -> list[dict[str, Any]]:
        """Run a SELECT over the union of all graphs; bind values by name, never by pasting.

        Oxigraph substitutes only projected variables: a bound variable must be in the SELECT.
        """
        subs = {
            ox.Variable(k): to_ox(v if isinstance(v, Node) else Literal(v))
            for k, v in bindings.items()
        }
        solutions = self._store.query(
            query, prefixes=PREFIXES, substitutions=subs, use_default_graph_as_union=True
        )
        assert isinstance(solutions, ox.QuerySolutions), "select() takes SELECT queries"
        names = [v.value for v in solutions.variables]
        return [{n: python_value(s[n]) for n in names} for s in solutions]

    def ask(self, query: str, **bindings: Node | str) -> bool:
        subs = {
            ox.Variable(k): to_ox(v if isinstance(v, Node) else Literal(v))
            for k, v in bindings.items()
        }
        return bool(
            self._store.query(
                query, prefixes=PREFIXES, substitutions=subs, use_default_graph_as_union=True
            )
        )

    def raw_query(self, query: str) -> Any:
        """A read-only SPARQL query as typed by a user of the CLI (never an update)."""
        return self._store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True)

    def triples_of(self, graph: str) -> Iterator[tuple[Node, Node, Node]]:
        for q in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            yield to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)

    def neighbourhood(self, nodes: Iterable[URIRef], *, exclude: set[str]) -> Graph:
        """Stored triples about the given nodes and about whatever points at them, plus the
        descriptions of everything those triples mention, excluding some graphs: the reference
        slice a candidate batch is validated together with."""
        excluded = {ox.NamedNode(g) for g in exclude}
        out = Graph()
        seen: set[Any] = set()
        mentioned: set[Any] = set()
        frontier: list[Any] = []
        for node in nodes:
            ox_node = ox.NamedNode(str(node))
            frontier.append(ox_node)
            for q in self._store.quads_for_pattern(None, None, ox_node, None):
                if q.graph_name not in excluded:
                    frontier.append(q.subject)
        for subject in frontier:
            if subject in seen:
                continue
            seen.add(subject)
            for q in self._store.quads_for_pattern(subject, None, None, None):
                if q.graph_name not in excluded:
                    out.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
                    if isinstance(q.object, ox.NamedNode):
                        mentioned.add(q.object)
        # What the slice mentions comes with its own description (not only its type): a node
        # whose class a shape targets would otherwise fail that shape for want of its properties.
        for node in mentioned - seen:
            for q in self._store.quads_for_pattern(node, None, None, None):
                if q.graph_name not in excluded:
                    out.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
        return out

    def union_graph(self, *, exclude: set[str]) -> Graph:
        excluded = {ox.NamedNode(g) for g in exclude}
        out = Graph()
        for q in self._store.quads_for_pattern(None, None, None, None):
            if q.graph_name not in excluded:
                out.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
        return out

    # ------------------------------------------------------------------ writing
    def write_graph(
        self,
        graph: str,
        triples: Iterable[tuple[Node, Node, Node]],
        *,
        extra: Iterable[tuple[Node, Node, Node, str]] = (),
        supersedes: Iterable[str] = (),
    ) -> None:
        """Add a whole named graph (plus quads for other graphs, e.g. provenance) in one
        transaction, then drop the graphs it supersedes."""
        g = ox.NamedNode(graph)
        quads = [ox.Quad(to_ox(s), to_ox(p), to_ox(o), g) for s, p, o in triples]
        quads += [ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.NamedNode(gr)) for s, p, o, gr in extra]
        self._store.extend(quads)
        for old in supersedes:
            if old != graph:
                self._store.remove_graph(ox.NamedNode(old))
        self._store.flush()

    def drop_graph(self, graph: str) -> None:
        self._store.remove_graph(ox.NamedNode(graph))

    def _drop_superseded(self) -> None:
        sup = ox.NamedNode(DEF + "supersedes")
        for q in list(self._store.quads_for_pattern(None, sup, None, None)):
            if isinstance(q.object, ox.NamedNode) and self._store.contains_named_graph(q.object):
                self._store.remove_graph(q.object)

    def _load_ontology(self) -> None:
        graph = ox.NamedNode(str(ONTOLOGY_GRAPH))
        fresh = ox.Store()
        for path in ontology_files():
            fresh.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=graph)
        wanted = set(fresh.quads_for_pattern(None, None, None, graph))
        current = set(self._store.quads_for_pattern(None, None, None, graph))
        if _canonical(wanted) != _canonical(current):
            self._store.remove_graph(graph)
            self._store.extend(wanted)

    def close(self) -> None:
        self._store.flush()
        del self._store


def _canonical(quads: set[Any]) -> set[str]:
    # Blank node labels differ between parses; compare without them.
    return {
        str(q)
        for q in quads
        if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)
    }
