"""The front door's graphs kept out of the SPARQL endpoint for callers who are not approvers.

Access requests, decisions, grants, revocations and retention dates are graphs under
`graph/access/` (service/access/frontdoor.py); the access log is a file, never in the graph. An
analyst's query must not read them by any route: the default graph (the union of the current
graphs), `GRAPH ?g`, `FROM` / `FROM NAMED`, the protocol's `default-graph-uri` /
`named-graph-uri`, `known_at`, or the provenance graph's record of when each front-door graph was
written. Oxigraph cannot leave graphs out of a union cheaply (a list of default graphs is read
graph by graph: minutes nationally), so such a caller's query reads an in-memory copy of the
graphs it may see, with the provenance graph's statements about front-door graphs left out;
the copy is built once per write of the store (seconds nationally), in the parent before the
query's child process forks, which shares it. `FROM` and `FROM NAMED` in a query select among the
graphs of that copy only, and `SERVICE` is not evaluated (the store has no federation), so
neither reaches further.
"""

from __future__ import annotations

import threading
from typing import Any

import pyoxigraph as ox

from service.rdf.store import PROVENANCE_GRAPH, GraphStore
from service.rdf.terms import GRAPH, ID

# IRIs of the front door: its graphs and the requests, grants and decisions they describe.
FRONT_DOOR = (str(GRAPH["access/"]), str(ID["access/"]))


def is_front_door(iri: str) -> bool:
    return iri.startswith(FRONT_DOOR)


def _about_front_door(quad: Any) -> bool:
    return any(
        isinstance(term, ox.NamedNode) and term.value.startswith(FRONT_DOOR)
        for term in (quad.subject, quad.object)
    )


Dataset = tuple[ox.Store, dict[str, Any]]


class HiddenFrontDoor:
    """Copies of graph sets without the front door, one for the current graphs and one for the
    last explicit set (a `known_at` or named graphs), kept until the store's next write."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._generation = -1
        self._copies: dict[tuple[str, ...] | None, ox.Store] = {}

    def dataset(self, graphs: tuple[list[str] | None, list[str] | None]) -> Dataset:
        """The store and dataset options a query of (default, named) graphs reads (both None:
        the current graphs, their union as the default graph)."""
        default, named = graphs
        if default is None and named is None:
            return self._copy(None), {"use_default_graph_as_union": True}
        seen = [g for g in dict.fromkeys([*(default or []), *(named or [])])]
        copy = self._copy(tuple(sorted(seen)))
        if default == named:  # every graph of the copy is both (a known_at)
            return copy, {"use_default_graph_as_union": True}
        return copy, {
            "default_graph": [ox.NamedNode(g) for g in default or [] if not is_front_door(g)],
            "named_graphs": [ox.NamedNode(g) for g in named or [] if not is_front_door(g)],
        }

    def _copy(self, key: tuple[str, ...] | None) -> ox.Store:
        with self._lock:
            if self._generation != self.store.generation:
                self._copies.clear()
                self._generation = self.store.generation
            found = self._copies.get(key)
            if found is None:
                if len(self._copies) >= 2:  # the current graphs' copy and one other
                    self._copies = {k: v for k, v in self._copies.items() if k is None}
                found = self._copies[key] = self._build(
                    self.store.current_graphs() if key is None else list(key)
                )
            return found

    def _build(self, graphs: list[str]) -> ox.Store:
        copy = ox.Store()
        for graph in graphs:
            if is_front_door(graph):
                continue
            quads = self.store.graph_quads(graph)
            if graph == PROVENANCE_GRAPH:
                quads = (q for q in quads if not _about_front_door(q))
            copy.bulk_extend(quads)
        return copy
