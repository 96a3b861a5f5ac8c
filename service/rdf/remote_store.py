"""A SPARQL 1.1 store over HTTP, with the interface of the embedded Oxigraph store that
`GraphStore` uses: queries by the SPARQL 1.1 Protocol, changes by SPARQL 1.1 Update, whole
graphs in and out by the Graph Store Protocol. Any store with those three answers: it is tested
against the Oxigraph server (`oxigraph serve`, from PyPI).

    store = GraphStore(None, backend=RemoteQuadStore("http://127.0.0.1:7878"))

Endpoints (Oxigraph server's by default): `{url}/query`, `{url}/update`, `{url}/store`.
Terms are written into queries and updates in their N-Triples form, which Oxigraph escapes: a
value is never pasted into SPARQL as text. Blank nodes cannot be addressed through SPARQL: the
few in the ontology (OWL lists) are read and copied, never looked up by label.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

N_QUADS = "application/n-quads"
SPARQL_JSON = "application/sparql-results+json"
_BATCH = 20_000  # quads per request when writing
_NODES = 300  # nodes per request when reading many at once


class RemoteStoreError(OSError):
    """The remote store refused or failed a request (its answer is in the message)."""


class RemoteQuadStore:
    def __init__(
        self,
        url: str,
        *,
        query_path: str = "/query",
        update_path: str = "/update",
        store_path: str = "/store",
        timeout: float = 300.0,
    ) -> None:
        base = url.rstrip("/")
        self.url = base
        self.query_url = base + query_path
        self.update_url = base + update_path
        self.store_url = base + store_path
        self._timeout = timeout
        self._pid = os.getpid()
        self._client = httpx.Client(timeout=timeout)

    @property
    def _http(self) -> httpx.Client:
        """The HTTP client of this process: a forked child (the SPARQL endpoint's workers)
        must not share the parent's pooled connections."""
        if self._pid != os.getpid():
            self._pid, self._client = os.getpid(), httpx.Client(timeout=self._timeout)
        return self._client

    # ------------------------------------------------------------------ protocol
    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            raise RemoteStoreError(
                f"{response.request.method} {response.request.url.path} answered "
                f"{response.status_code}: {response.text[:500]}"
            )
        return response

    def query(
        self,
        query: str,
        *,
        prefixes: dict[str, str] | None = None,
        use_default_graph_as_union: bool = False,
        default_graph: Any = None,
        named_graphs: list[Any] | None = None,
        substitutions: dict[Any, Any] | None = None,
        **_: Any,
    ) -> Any:
        """SPARQL 1.1 Protocol: results parsed into Oxigraph's own result types."""
        text = _with_prefixes(query, prefixes) + _values(substitutions)
        form: dict[str, Any] = {"query": text}
        if use_default_graph_as_union:
            form["union-default-graph"] = ""
        if default_graph is not None:
            graphs = default_graph if isinstance(default_graph, list) else [default_graph]
            form["default-graph-uri"] = [g.value for g in graphs]
        if named_graphs is not None:
            form["named-graph-uri"] = [g.value for g in named_graphs]
        accept = f"{SPARQL_JSON}, {N_QUADS};q=0.5, application/n-triples;q=0.4"
        response = self._check(
            self._http.post(self.query_url, data=form, headers={"Accept": accept})
        )
        media = response.headers.get("content-type", "").split(";")[0].strip()
        if media in (SPARQL_JSON, "application/json"):
            return ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
        rdf_format = ox.RdfFormat.from_media_type(media) or ox.RdfFormat.N_TRIPLES
        return iter(list(ox.parse(response.content, format=rdf_format)))

    def update(self, update: str) -> None:
        """SPARQL 1.1 Update."""
        self._check(
            self._http.post(
                self.update_url,
                content=update.encode(),
                headers={"Content-Type": "application/sparql-update"},
            )
        )

    # ------------------------------------------------------------------ reading
    def quads_for_pattern(
        self, subject: Any, predicate: Any, obj: Any, graph: Any
    ) -> Iterator[Any]:
        terms = {"s": subject, "p": predicate, "o": obj}
        if any(isinstance(t, ox.BlankNode) for t in terms.values()):
            return iter(())  # not addressable through SPARQL (see the module docstring)
        pattern = " ".join(str(t) if t is not None else f"?{k}" for k, t in terms.items())
        if isinstance(graph, ox.DefaultGraph):
            body = f"{{ {pattern} }}"
        elif graph is not None:
            body = f"{{ GRAPH {graph} {{ {pattern} }} }}"
        else:
            body = f"{{ {{ GRAPH ?g {{ {pattern} }} }} UNION {{ {pattern} }} }}"
        solutions = self.query(f"SELECT * WHERE {body}")
        out = []
        for s in solutions:
            g = graph if graph is not None else s["g"]
            out.append(
                ox.Quad(
                    subject or s["s"],
                    predicate or s["p"],
                    obj or s["o"],
                    g if g is not None else ox.DefaultGraph(),
                )
            )
        return iter(out)

    def quads_for_subjects(self, subjects: list[Any], predicate: Any = None) -> list[Any]:
        """The quads of many subjects at once (`quads_for_pattern(s, predicate, None, None)`
        for each), a few hundred a request: what GraphStore's validation slices read."""
        return self._many("s", subjects, predicate)

    def quads_for_objects(self, objects: list[Any], predicate: Any = None) -> list[Any]:
        """The quads pointing at many objects at once (`quads_for_pattern(None, predicate, o,
        None)` for each)."""
        return self._many("o", objects, predicate)

    def _many(self, role: str, nodes: list[Any], predicate: Any) -> list[Any]:
        nodes = [n for n in nodes if not isinstance(n, ox.BlankNode)]
        p = str(predicate) if predicate is not None else "?p"
        out = []
        for start in range(0, len(nodes), _NODES):
            values = " ".join(str(n) for n in nodes[start : start + _NODES])
            solutions = self.query(
                f"SELECT * WHERE {{ VALUES ?{role} {{ {values} }} "
                f"{{ GRAPH ?g {{ ?s {p} ?o }} }} UNION {{ ?s {p} ?o }} }}"
            )
            for s in solutions:
                g = s["g"] if s["g"] is not None else ox.DefaultGraph()
                out.append(ox.Quad(s["s"], predicate or s["p"], s["o"], g))
        return out

    def __iter__(self) -> Iterator[Any]:
        return self.quads_for_pattern(None, None, None, None)

    def __len__(self) -> int:
        [row] = self.query(
            "SELECT (COUNT(*) AS ?n) WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }"
        )
        return int(row["n"].value)

    def named_graphs(self) -> Iterator[Any]:
        rows = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return iter([r["g"] for r in rows])

    def contains_named_graph(self, graph: Any) -> bool:
        return bool(self.query(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"))

    def dump(
        self,
        output: Any = None,
        format: Any = None,
        *,
        from_graph: Any = None,
        prefixes: dict[str, str] | None = None,
        **_: Any,
    ) -> bytes | None:
        """Graph Store Protocol GET of the dataset (or of one graph), written in `format`."""
        params = {"graph": from_graph.value} if from_graph is not None else None
        accept = "application/n-triples" if from_graph is not None else N_QUADS
        response = self._check(
            self._http.get(self.store_url, params=params, headers={"Accept": accept})
        )
        source = ox.RdfFormat.N_TRIPLES if from_graph is not None else ox.RdfFormat.N_QUADS
        if format == source and output is None:
            return response.content
        return ox.serialize(
            ox.parse(response.content, format=source), output, format, prefixes=prefixes
        )

    # ------------------------------------------------------------------ writing
    def extend(self, quads: Iterable[Any]) -> None:
        self._post_quads(list(quads))

    def bulk_extend(self, quads: Iterable[Any]) -> None:
        self._post_quads(list(quads))

    def add(self, quad: Any) -> None:
        self._post_quads([quad])

    def _post_quads(self, quads: list[Any]) -> None:
        """Graph Store Protocol POST of N-Quads to the dataset (adds; one request a batch)."""
        for start in range(0, len(quads), _BATCH):
            body = ox.serialize(quads[start : start + _BATCH], format=ox.RdfFormat.N_QUADS)
            self._check(
                self._http.post(self.store_url, content=body, headers={"Content-Type": N_QUADS})
            )

    def remove_graph(self, graph: Any) -> None:
        self.update(f"DROP SILENT GRAPH {graph}")

    def clear(self) -> None:
        self.update("DROP SILENT ALL")

    def flush(self) -> None:
        """Nothing to do: every request was written when it was answered."""

    def load(
        self,
        input: Any = None,
        format: Any = None,
        *,
        path: str | None = None,
        to_graph: Any = None,
        **_: Any,
    ) -> None:
        """Graph Store Protocol POST of a document (bytes, or a file by path)."""
        body = Path(path).read_bytes() if path is not None else input
        if isinstance(body, str):
            body = body.encode()
        params = {"graph": to_graph.value} if to_graph is not None else None
        self._check(
            self._http.post(
                self.store_url,
                content=body,
                params=params,
                headers={"Content-Type": format.media_type},
            )
        )

    bulk_load = load

    def backup(self, target: str) -> None:
        raise RemoteStoreError(
            f"a remote store is backed up by its own server, not copied to {target}"
        )

    def close(self) -> None:
        self._client.close()


def _with_prefixes(query: str, prefixes: dict[str, str] | None) -> str:
    if not prefixes:
        return query
    return "".join(f"PREFIX {k}: <{v}>\n" for k, v in prefixes.items()) + query


def _values(substitutions: dict[Any, Any] | None) -> str:
    """Bound variables as a trailing VALUES clause, each term in N-Triples form."""
    if not substitutions:
        return ""
    names = " ".join(f"?{v.value}" for v in substitutions)
    terms = " ".join(str(t) for t in substitutions.values())
    return f"\nVALUES ({names}) {{ ({terms}) }}"
