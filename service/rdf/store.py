"""The graph store: embedded Oxigraph on disk (or in memory for tests), one named graph per load.

History is data: a graph is never changed after it is written. A load that replaces an earlier
one (a newer file of the same source) and a steward change set that is reverted retire the old
graph by recording `prov:invalidatedAtTime` in the provenance graph, in the same transaction as
the write. Queries read the current graphs (all but the retired ones); `known_at(time)` gives the
graphs as they were known at an earlier time.
"""

from __future__ import annotations

import fcntl
import gc
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from service.faults import pause_point
from service.rdf.terms import DEF, GRAPH, ONTOLOGY_GRAPH, ontology_files

PROVENANCE_GRAPH = str(GRAPH["provenance"])
_PROV = "http://www.w3.org/ns/prov#"
_GENERATED = ox.NamedNode(_PROV + "generatedAtTime")
_INVALIDATED = ox.NamedNode(_PROV + "invalidatedAtTime")
_XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")

_OX_TERMS = (ox.NamedNode, ox.BlankNode, ox.Literal)
_XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
_PLAIN_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
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
    if isinstance(term, _OX_TERMS):
        return term  # already an Oxigraph term (a batch converted once for validation)
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
        # Fast paths for the common cases (the same values rdflib's toPython gives).
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return term.value
        if datatype == _XSD_DATE and _PLAIN_DATE.match(term.value):
            try:
                return date.fromisoformat(term.value)
            except ValueError:
                pass  # ill-typed: rdflib gives the literal back, as below
        literal = to_rdflib(term)
        assert isinstance(literal, Literal)
        return literal.toPython()
    return str(term)


class GraphStoreBusy(RuntimeError):
    """The store directory is open for writing in another process."""


class GraphStore:
    """Embedded Oxigraph store. `GraphStore(None)` is in memory; `GraphStore(path)` is on disk."""

    def __init__(
        self, path: Path | str | None = None, *, read_only: bool = False, backend: Any = None
    ) -> None:
        """`backend`: another store with the embedded store's interface, such as a remote
        SPARQL 1.1 store (`service.rdf.remote_store.RemoteQuadStore`); `path` is then None."""
        self.path = Path(path) if path else None
        self.read_only = read_only and self.path is not None
        if backend is not None:
            self._store = backend
        elif self.path is None:
            self._store = ox.Store()
        elif read_only:
            self._store = ox.Store.read_only(str(self.path))
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            try:
                self._store = _open_writable(self.path)
            except OSError as exc:
                if "lock" not in str(exc).lower():
                    raise
                raise GraphStoreBusy(
                    f"the graph store {self.path} is in use by another process (a running "
                    "`nhskg serve`, or a load): stop it to write (reads work beside it; a "
                    "steward's change sets go through the server's GraphQL API)"
                ) from exc
        self._lock = threading.RLock()
        self._current: list[ox.NamedNode] | None = None
        self._view: ox.Store | None = None  # the current graphs alone, in memory: see _reading
        # One earlier graph set (a SPARQL known_at), in memory: see prepare_reading
        self._snapshot: tuple[tuple[str, ...], ox.Store] | None = None
        self._quads: int | None = None  # quad_count, until the next write
        # The time a write is recorded at (its prov:generatedAtTime or invalidatedAtTime): now.
        # A store given another clock records history on chosen days (tests of asKnownAt).
        self.clock: Callable[[], datetime] = _now
        self.generation = 0  # counts writes (service/sparql/hidden.py keeps copies by it)
        if not read_only:
            self._load_ontology()
        self._refresh_current()

    # ------------------------------------------------------------------ reading
    @property
    def quads_counted(self) -> bool:
        """Whether quad_count answers at once (counted since the last write)."""
        return self._quads is not None

    def quad_count(self) -> int:
        """Quads in the store (Oxigraph counts by a scan of every quad, about 0.2 s nationally:
        kept until the next write of this store)."""
        count = self._quads
        if count is None:
            count = self._quads = len(self._store)
        return count

    def triples_of(self, graphs: Iterable[str]) -> set[tuple[Any, Any, Any]]:
        """The triples (Oxigraph terms) of these graphs, as one set."""
        return {
            (q.subject, q.predicate, q.object)
            for g in graphs
            for q in self._store.quads_for_pattern(None, None, None, ox.NamedNode(g))
        }

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def contains_graph(self, graph: str) -> bool:
        return self._store.contains_named_graph(ox.NamedNode(graph))

    # ------------------------------------------------------------------ graph sets
    def _graph_times(self, predicate: Any) -> dict[str, datetime]:
        return {
            q.subject.value: _time(q.object)
            for q in self._store.quads_for_pattern(None, predicate, None, None)
            if isinstance(q.subject, ox.NamedNode)
        }

    def written_at(self) -> dict[str, datetime]:
        """When each graph's write was recorded (`prov:generatedAtTime`)."""
        return self._graph_times(_GENERATED)

    def retired_graphs(self) -> set[str]:
        return set(self._graph_times(_INVALIDATED))

    def current_graphs(self) -> list[str]:
        left_out = self.retired_graphs() | set(self.unfinished_graphs())
        return [g for g in self.named_graphs() if g not in left_out]

    def unfinished_graphs(self) -> list[str]:
        """Graphs whose write has not been recorded (`write_graph` records it last): a write in
        progress, or the remnant of one that was interrupted. Never current."""
        recorded = set(self._graph_times(_GENERATED)) | {str(ONTOLOGY_GRAPH), PROVENANCE_GRAPH}
        return [g for g in self.named_graphs() if g not in recorded]

    def is_recorded(self, graph: str) -> bool:
        """Whether a graph's write was recorded (its `prov:generatedAtTime`): the commit point of
        `write_graph`, so of a return load (service/returns/journal.py)."""
        pattern = (ox.NamedNode(graph), _GENERATED, None, ox.NamedNode(PROVENANCE_GRAPH))
        return any(True for _ in self._store.quads_for_pattern(*pattern))

    def known_at(self, when: datetime) -> list[str]:
        """The graphs current at an earlier time (`asKnownAt`): written by then, not yet retired."""
        stamp = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
        written = self._graph_times(_GENERATED)
        retired = self._graph_times(_INVALIDATED)
        known = {
            g for g, t in written.items() if t <= stamp and (g not in retired or retired[g] > stamp)
        }
        return sorted(known | {str(ONTOLOGY_GRAPH), PROVENANCE_GRAPH})

    def first_written(self) -> datetime | None:
        """When the first graph still held was written (None: nothing loaded yet)."""
        return min(self._graph_times(_GENERATED).values(), default=None)

    def copy_known_at(self, when: datetime) -> GraphStore:
        """An in-memory store of the graphs known at `when` (`known_at`), whose current graphs
        are exactly those: their provenance comes with them, less the retirements recorded
        after `when` (as known then, those graphs were current)."""
        stamp = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
        copy = GraphStore(None)
        copy._store.clear()
        prov = ox.NamedNode(PROVENANCE_GRAPH)
        for graph in self.known_at(stamp):
            named = ox.NamedNode(graph)
            quads = self._store.quads_for_pattern(None, None, None, named)
            if named == prov:
                quads = (
                    q for q in quads if q.predicate != _INVALIDATED or _time(q.object) <= stamp
                )
            copy._store.bulk_extend(quads)
        copy._refresh_current()
        return copy

    def _refresh_current(self) -> None:
        self.generation += 1  # readers that keep copies of graph sets rebuild them
        self._snapshot = None  # every write may change a graph set's provenance
        self._quads = None
        # With nothing retired or unfinished the union of all graphs is the current state.
        present = set(self.named_graphs())
        left_out = (self.retired_graphs() & present) or self.unfinished_graphs()
        self._current = [ox.NamedNode(g) for g in self.current_graphs()] if left_out else None

    def _reading(self, graphs: list[str] | None) -> tuple[Any, dict[str, Any]]:
        """The store and dataset a query reads: the given graphs, else the current ones.

        Given the current graphs as a list of default graphs, Oxigraph evaluates each pattern
        graph by graph: once one graph was retired, reading the national reference took 200 s
        instead of 3 s. So while any graph is retired or unfinished, queries of the current state
        read an in-memory copy of the current graphs (their union: the current state), built on
        the first such query (about 7 s for the national store) and kept up to date by every
        write below."""
        if graphs is not None:
            return self._store, {"default_graph": [ox.NamedNode(g) for g in graphs]}
        with self._lock:
            if self._view is not None:  # kept while graphs are left out, or reading_in_memory
                return self._view, {"use_default_graph_as_union": True}
            if self._current is None:
                return self._store, {"use_default_graph_as_union": True}
            self._view = self._current_in_memory()
            return self._view, {"use_default_graph_as_union": True}

    def _current_in_memory(self) -> ox.Store:
        view = ox.Store()
        for graph in self._current or [ox.NamedNode(g) for g in self.named_graphs()]:
            view.bulk_extend(self._store.quads_for_pattern(None, None, None, graph))
        return view

    @contextmanager
    def reading_in_memory(self) -> Iterator[None]:
        """Queries of the current state made inside read an in-memory copy of the current graphs:
        for readers of the whole reference graph (service/reference/), whose dozens of SELECTs
        over the national store's union default graph ran 5 to 15 times slower on disk than in
        memory. The copy costs one pass over the quads (9 s and 355 MB for the national store),
        so a writable store keeps it, and every write here updates it as it does the store (no
        other process writes while this one holds the store): a steward's check, apply and
        revert read the reference three times. A read-only store drops it afterwards."""
        on_disk = self.path is not None and isinstance(self._store, ox.Store)  # not remote
        with self._lock:
            made = self._view is None and on_disk
            if made:
                self._view = self._current_in_memory()
        try:
            yield
        finally:
            with self._lock:
                if made and not self._keeps_view() and self._current is None:
                    self._view = None

    def _keeps_view(self) -> bool:
        """Whether the in-memory copy of the current graphs, once made, is kept: by a writable
        store on disk (see reading_in_memory)."""
        return self.path is not None and not self.read_only and isinstance(self._store, ox.Store)

    def select(
        self, query: str, *, graphs: list[str] | None = None, **bindings: Node | str
    ) -> list[dict[str, Any]]:
        """Run a SELECT over the current graphs (or the given ones); bind values by name, never
        by pasting them into the query.

        Oxigraph substitutes only projected variables: a bound variable must be in the SELECT.
        """
        subs = {
            ox.Variable(k): to_ox(v if isinstance(v, Node) else Literal(v))
            for k, v in bindings.items()
        }
        store, dataset = self._reading(graphs)
        solutions = store.query(query, prefixes=PREFIXES, substitutions=subs, **dataset)
        assert isinstance(solutions, ox.QuerySolutions), "select() takes SELECT queries"
        names = [v.value for v in solutions.variables]
        return [{n: python_value(s[n]) for n in names} for s in solutions]

    def _current_quads(self) -> tuple[Any, Callable[[Any], bool]]:
        """Where pattern lookups of the current state read (the in-memory copy if there is one,
        else the store) and whether a quad's graph is current there."""
        source = self._local_quads()
        if self._current is None:  # every graph is current
            return source, lambda quad: True
        current = set(self._current)
        return source, lambda quad: quad.graph_name in current

    def typed(self, class_iri: str) -> set[str]:
        """The IRIs a current graph types `class_iri` (not its subclasses): one pattern lookup,
        without the in-memory copy a query of the current state may need (see _reading)."""
        source, current = self._current_quads()
        pattern = source.quads_for_pattern(None, _RDF_TYPE, ox.NamedNode(class_iri), None)
        named = (q for q in pattern if isinstance(q.subject, ox.NamedNode))
        return {q.subject.value for q in named if current(q)}

    def values_of(self, subjects: Iterable[str], predicate: str) -> dict[str, list[str]]:
        """Each subject's values of `predicate` (lexical) in the current graphs: one pattern
        lookup a subject (or a few requests for all, on a remote store), no in-memory copy."""
        source, current = self._current_quads()
        nodes = [ox.NamedNode(s) for s in subjects]
        out: dict[str, list[str]] = {}
        for q in self._quads_about(source, nodes, ox.NamedNode(predicate)):
            if current(q):
                out.setdefault(q.subject.value, []).append(q.object.value)
        return out

    def lexical_select(self, query: str) -> list[dict[str, str | None]]:
        """A SELECT over the current graphs as lexical values: for readers of
        tens of thousands of rows, where converting every term to a typed Python value through
        rdflib costs seconds; they convert the few dates and numbers themselves (lexical_date)."""
        solutions = self.raw_query(query)
        names = [v.value for v in solutions.variables]
        return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in solutions]

    def raw_query(self, query: str) -> Any:
        """A read-only SPARQL query as typed by a user of the CLI (never an update)."""
        store, dataset = self._reading(None)
        return store.query(query, prefixes=PREFIXES, **dataset)

    def after_fork(self) -> None:
        """In a forked child (one thread): a lock another thread of the parent held at the fork
        would never be released here, so take a fresh one."""
        self._lock = threading.RLock()

    def prepare_reading(self, graphs: list[str] | None = None) -> None:
        """Build now what a query of these graphs (default: the current ones) reads in memory,
        so that work forked off this process (the SPARQL endpoint's queries) shares it: the view
        of the current graphs (see _reading), or a snapshot of an earlier graph set (its union
        read directly: through Oxigraph's list of default graphs a simple query of the national
        graphs took 5.4 s instead of 0.2 s)."""
        if graphs is None:
            self._reading(None)
            return
        key = tuple(sorted(graphs))
        with self._lock:
            if self._snapshot is None or self._snapshot[0] != key:
                snapshot = ox.Store()
                for graph in key:
                    named = ox.NamedNode(graph)
                    snapshot.bulk_extend(self._store.quads_for_pattern(None, None, None, named))
                self._snapshot = (key, snapshot)

    def sparql(
        self,
        query: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> Any:
        """A read-only query as sent to the SPARQL endpoint, evaluated lazily: Oxigraph's
        solutions, triples or boolean. With no graphs given it reads the current graphs (their
        union as the default graph, each by name in GRAPH); else the default graph is the union
        of `default_graphs` and GRAPH sees `named_graphs` (the SPARQL Protocol's dataset)."""
        if default_graphs is None and named_graphs is None:
            store, dataset = self._reading(None)
            return store.query(query, prefixes=PREFIXES, **dataset)
        snapshot = self._snapshot
        wanted = tuple(sorted(default_graphs or []))
        if default_graphs == named_graphs and snapshot is not None and snapshot[0] == wanted:
            return snapshot[1].query(query, prefixes=PREFIXES, use_default_graph_as_union=True)
        return self._store.query(
            query,
            prefixes=PREFIXES,
            default_graph=[ox.NamedNode(g) for g in default_graphs or []],
            named_graphs=[ox.NamedNode(g) for g in named_graphs or []],
        )

    def neighbourhood(
        self, nodes: Iterable[URIRef], *, exclude: set[str], back_links: set[str] | None = None
    ) -> tuple[Graph, set[Node]]:
        """The reference slice a candidate batch is validated with: everything stored about the
        nodes it mentions and about the nodes that point at them through `back_links` (all
        predicates if None), fully described so rules on them can be checked, plus the types of
        whatever those triples mention (context only). Returns the slice and the described
        nodes."""
        excluded = {ox.NamedNode(g) for g in exclude | self.retired_graphs()}
        predicates = (None,) if back_links is None else [ox.NamedNode(p) for p in back_links]
        described: set[Any] = set()
        for node in nodes:
            ox_node = ox.NamedNode(str(node))
            described.add(ox_node)
            for predicate in predicates:
                for q in self._store.quads_for_pattern(None, predicate, ox_node, None):
                    if q.graph_name not in excluded:
                        described.add(q.subject)
        out = Graph()
        mentioned: set[Any] = set()
        for subject in described:
            for q in self._store.quads_for_pattern(subject, None, None, None):
                if q.graph_name not in excluded:
                    out.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
                    if isinstance(q.object, ox.NamedNode):
                        mentioned.add(q.object)
        for node in mentioned - described:
            for q in self._store.quads_for_pattern(node, _RDF_TYPE, None, None):
                if q.graph_name not in excluded:
                    out.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
        return out, {to_rdflib(n) for n in described}

    def slice_store(
        self, nodes: Iterable[URIRef], *, exclude: set[str], back_links: set[str] | None = None
    ) -> tuple[ox.Store, set[Node]]:
        """`neighbourhood` as an in-memory Oxigraph store (triples in its default graph), without
        turning every term into an rdflib one: what the validator reads."""
        excluded = {ox.NamedNode(g) for g in exclude | self.retired_graphs()}
        touched = {ox.NamedNode(str(n)) for n in nodes}
        described: set[Any] = set(touched)
        predicates = (None,) if back_links is None else [ox.NamedNode(p) for p in back_links]
        source = self._local_quads()
        for predicate in predicates:
            described |= self._pointing_at(source, touched, predicate, excluded)
        quads: list[Any] = []
        mentioned: set[Any] = set()
        for q in self._quads_about(source, described):
            if q.graph_name not in excluded:
                quads.append(ox.Quad(q.subject, q.predicate, q.object))
                if isinstance(q.object, ox.NamedNode):
                    mentioned.add(q.object)
        for q in self._quads_about(source, mentioned - described, _RDF_TYPE):
            if q.graph_name not in excluded:
                quads.append(ox.Quad(q.subject, q.predicate, q.object))
        out = ox.Store()
        out.bulk_extend(quads)
        return out, {to_rdflib(n) for n in described}

    def _local_quads(self) -> Any:
        """Where a slice reads its quads: the in-memory copy of the current graphs when this
        store keeps one (a national `load-all` makes it first: slices read from memory, not
        RocksDB), else the store itself."""
        view = self._view
        return view if view is not None else self._store

    def _pointing_at(
        self, source: Any, nodes: set[Any], predicate: Any, excluded: set[Any]
    ) -> set[Any]:
        """Subjects of `predicate` whose object is one of `nodes`. A predicate with few uses is
        scanned (about 9 us a quad from Python); past a third of the nodes' number, each node is
        looked up instead (about 4 us)."""
        found: set[Any] = set()
        many = getattr(source, "quads_for_objects", None)
        if many is not None:  # a remote store: one request for all the nodes
            return {q.subject for q in many(list(nodes), predicate) if q.graph_name not in excluded}
        if predicate is not None:
            budget = len(nodes) // 3
            for i, q in enumerate(source.quads_for_pattern(None, predicate, None, None)):
                if i >= budget:
                    break
                if q.object in nodes and q.graph_name not in excluded:
                    found.add(q.subject)
            else:
                return found
        for node in nodes:
            for q in source.quads_for_pattern(None, predicate, node, None):
                if q.graph_name not in excluded:
                    found.add(q.subject)
        return found

    def _quads_about(
        self, source: Any, subjects: Iterable[Any], predicate: Any = None
    ) -> Iterable[Any]:
        """The quads of these subjects (with this predicate): one lookup a subject, or a few
        requests for them all where the backend reads many at once (a remote store)."""
        many = getattr(source, "quads_for_subjects", None)
        if many is not None:
            return many(list(subjects), predicate)
        return (q for s in subjects for q in source.quads_for_pattern(s, predicate, None, None))

    def union_store(self, *, exclude: set[str]) -> ox.Store:
        """Every current triple outside `exclude`, in the default graph of an in-memory store."""
        excluded = {ox.NamedNode(g) for g in exclude | self.retired_graphs()}
        keep = [ox.NamedNode(g) for g in self.named_graphs() if ox.NamedNode(g) not in excluded]
        out, source = ox.Store(), self._local_quads()
        for graph in keep:
            out.bulk_extend(
                ox.Quad(q.subject, q.predicate, q.object)
                for q in source.quads_for_pattern(None, None, None, graph)
            )
        return out

    def union_graph(self, *, exclude: set[str]) -> Graph:
        excluded = {ox.NamedNode(g) for g in exclude | self.retired_graphs()}
        out = Graph()
        for q in self._store.quads_for_pattern(None, None, None, None):
            if q.graph_name not in excluded:
                out.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
        return out

    # ------------------------------------------------------------------ writing
    @contextmanager
    def writing(self) -> Iterator[None]:
        """Serialise check-then-write: one writer at a time, across threads and processes, so two
        batches that are each valid alone cannot both land when together they break a rule."""
        with self._lock:
            if self.path is None:
                yield
                return
            with (self.path / "nhskg-write.lock").open("w") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    self._discard_unfinished()
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def _discard_unfinished(self) -> None:
        # Under the write lock no write is in progress, so an unrecorded graph is what a crashed
        # writer left half-written.
        unfinished = self.unfinished_graphs()
        for graph in unfinished:
            self._store.remove_graph(ox.NamedNode(graph))
            if self._view is not None:
                self._view.remove_graph(ox.NamedNode(graph))
        if unfinished:
            self._store.flush()
            self._refresh_current()

    def write_graph(
        self,
        graph: str,
        triples: Iterable[tuple[Node, Node, Node]],
        *,
        extra: Iterable[tuple[Node, Node, Node, str]] = (),
        retires: Iterable[str] = (),
    ) -> datetime:
        """Add a whole named graph, quads for other graphs (provenance) and the retirement of the
        graphs it replaces. Returns the time recorded for the write.

        The graph's own triples go in through Oxigraph's bulk loader (about 3x faster than a
        transaction for a national file); the write takes effect when its record (PROV-O,
        `prov:generatedAtTime`, retirements) lands after them in one transaction. Until then
        the graph is unfinished: not current for any reader, and discarded by the next writer
        if the process died half-way (`_discard_unfinished`)."""
        now = self.clock()
        stamp = ox.Literal(now.isoformat(), datatype=_XSD_DATETIME)
        prov = ox.NamedNode(PROVENANCE_GRAPH)
        g = ox.NamedNode(graph)
        triples, retires = list(triples), list(retires)
        try:  # already Oxigraph terms (the loader converts a batch once, for validation)
            content = [ox.Quad(s, p, o, g) for s, p, o in triples]  # type: ignore[arg-type]
        except TypeError:
            content = [ox.Quad(to_ox(s), to_ox(p), to_ox(o), g) for s, p, o in triples]
        record = [ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.NamedNode(gr)) for s, p, o, gr in extra]
        record.append(ox.Quad(g, _GENERATED, stamp, prov))
        record += [
            ox.Quad(ox.NamedNode(old), _INVALIDATED, stamp, prov) for old in retires if old != graph
        ]
        with self._lock:
            self._store.bulk_extend(content)
            pause_point("graph-content")
            self._store.extend(record)
            self._store.flush()
            if self._view is not None:
                self._view.bulk_extend(content)
                self._view.extend(record)
                for old in retires:
                    if old != graph:
                        self._view.remove_graph(ox.NamedNode(old))
            self._refresh_current()
        return now

    def retire_graph(
        self, graph: str, extra: Iterable[tuple[Node, Node, Node, str]] = ()
    ) -> datetime:
        """Retire a graph (e.g. revert a change set), recording why, in one transaction."""
        now = self.clock()
        stamp = ox.Literal(now.isoformat(), datatype=_XSD_DATETIME)
        quads = [ox.Quad(ox.NamedNode(graph), _INVALIDATED, stamp, ox.NamedNode(PROVENANCE_GRAPH))]
        quads += [ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.NamedNode(gr)) for s, p, o, gr in extra]
        with self._lock:
            self._store.extend(quads)
            self._store.flush()
            if self._view is not None:
                self._view.extend(quads)
                self._view.remove_graph(ox.NamedNode(graph))
            self._refresh_current()
        return now

    def record_provenance(self, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Add to the provenance graph only (an activity that changed no graph, such as a
        steward's dry run): it only grows, and reference graphs stay as they are."""
        prov = ox.NamedNode(PROVENANCE_GRAPH)
        quads = [ox.Quad(to_ox(s), to_ox(p), to_ox(o), prov) for s, p, o in triples]
        with self._lock:
            self._store.extend(quads)
            self._store.flush()
            self._snapshot = None
            self._quads = None
            self.generation += 1
            if self._view is not None:
                self._view.extend(quads)

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

    def copy_in_memory(self, *, current_only: bool = False) -> GraphStore:
        """A scratch copy for work that must not write here: all graphs, retired ones included,
        or (`current_only`) the current graphs alone, ontology and provenance with them, which
        a dry run needs and reads as one union (no in-memory view to build: see _reading)."""
        copy = GraphStore(None)
        copy._store.clear()
        with self._lock:
            if current_only and self._view is None and self._keeps_view():
                self._view = self._current_in_memory()  # as the next reference read would
            view = self._view  # the current graphs, in memory: copied 4x faster than from disk
        if current_only and view is not None:
            copy._store.bulk_extend(view)  # a read of the in-memory store sees one state
        elif current_only:
            for graph in self.current_graphs():
                named = ox.NamedNode(graph)
                copy._store.bulk_extend(self._store.quads_for_pattern(None, None, None, named))
        else:
            dump = self._store.dump(format=ox.RdfFormat.N_QUADS)
            copy._store.load(dump, format=ox.RdfFormat.N_QUADS)
        copy._refresh_current()
        return copy

    # ------------------------------------------------------------------ dumps
    def dump(
        self,
        output: Any,
        rdf_format: Any,
        *,
        current_only: bool = False,
        prefixes: dict[str, str] | None = None,
    ) -> None:
        """Every graph (retired ones too: history, with the provenance that retired them), or
        the current graphs alone, written by Oxigraph in a dataset format (N-Quads, TriG,
        JSON-LD). Graphs whose write was never recorded (unfinished) are left out."""
        source = self.copy_in_memory(current_only=True) if current_only else self
        unfinished = source.unfinished_graphs()
        if unfinished:
            source = source.copy_in_memory(current_only=False)
            for graph in unfinished:
                source._store.remove_graph(ox.NamedNode(graph))
        source._store.dump(output, rdf_format, prefixes=prefixes)

    def graph_quads(self, graph: str) -> Iterator[Any]:
        """The quads of one named graph (Oxigraph terms)."""
        return iter(self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))

    def restore(self, source: Any, rdf_format: Any) -> None:
        """Replace everything in this store by a dump (a path or bytes): N-Quads or TriG."""
        with self.writing(), self._lock:
            self._store.clear()
            if isinstance(source, bytes):
                self._store.bulk_load(source, rdf_format)
            else:
                self._store.bulk_load(path=str(source), format=rdf_format)
            self._store.flush()
            self._view = None
            self._refresh_current()

    def close(self) -> None:
        if not self.read_only:  # a read-only instance has nothing to flush
            self._store.flush()
        del self._store


def _open_writable(path: Path) -> ox.Store:
    """The on-disk store at `path` for writing. Its lock may be held by an earlier GraphStore of
    this process that only a reference cycle keeps (in-process CLI runs, tests): collected, it
    lets go, so a lock error is retried once after a collection before it is reported."""
    try:
        return ox.Store(str(path))
    except OSError as exc:
        if "lock" not in str(exc).lower():
            raise
        gc.collect()
        return ox.Store(str(path))


def open_store(settings: Any) -> GraphStore:
    """The store the settings name: a remote SPARQL 1.1 store (`store_url`), else the embedded
    one at `store_path` (in memory when None)."""
    if getattr(settings, "store_url", None):
        from service.rdf.remote_store import RemoteQuadStore

        return GraphStore(None, backend=RemoteQuadStore(settings.store_url))
    return GraphStore(settings.store_path)


def lexical_date(value: str | None) -> date | None:
    """A date from lexical_select, or None when absent or ill-typed (an ill-typed date cannot
    pass the shapes; it is never read as a date)."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _now() -> datetime:
    return datetime.now(UTC)


def _time(term: Any) -> datetime:
    value = datetime.fromisoformat(term.value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _canonical(quads: set[Any]) -> set[str]:
    # Blank node labels differ between parses; compare without them.
    return {
        str(q)
        for q in quads
        if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)
    }
