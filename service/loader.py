"""Load one source file: read, map, validate with the reference slice it touches, then write.

Nothing is written unless the whole batch conforms. Each load lands in its own named graph, and a
PROV-O record of it (file, SHA-256, rows, mapping, time, software version) goes to the provenance
graph in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.term import Node

from service import __version__
from service.mapping import derive
from service.mapping.engine import MappedBatch, map_rows
from service.mapping.readers import LayoutError, read_rows
from service.mapping.spec import PROV, Mapping, load_mapping
from service.store import PROVENANCE_GRAPH, GraphStore
from service.terms import GRAPH, ID, ONTOLOGY_GRAPH
from service.validation.report import Finding, ValidationReport
from service.validation.shacl import Locator, validate_graph
from service.vocab import NHSKG

# Above this many touched nodes, validating against the whole store is cheaper than slicing.
SLICE_LIMIT = 20_000


@dataclass
class LoadResult:
    status: str  # loaded | unchanged | rejected
    file: str
    mapping: str
    graph: str
    report: ValidationReport
    rows: int = 0
    triples: int = 0

    @property
    def ok(self) -> bool:
        return self.status != "rejected"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def graph_key(mapping: Mapping, path: Path, vintage: str | None) -> str:
    """One logical slot per mapping and vintage (or file name): a newer file for the same slot
    replaces the graph of the older one."""
    return mapping.graph.replace("{vintage}", vintage or "current").replace("{file}", path.stem)


def current_graphs(store: GraphStore, key: str) -> list[str]:
    prefix = str(GRAPH[key]) + "/"
    return [g for g in store.current_graphs() if g.startswith(prefix)]


def new_graph_name(store: GraphStore, key: str, sha: str) -> str:
    """The graph IRI names the content; content loaded again after being replaced gets a fresh
    IRI, because a retired graph stays retired (history is never rewritten)."""
    graph = str(GRAPH[f"{key}/{sha[:16]}"])
    n = 1
    while store.contains_graph(graph):
        n += 1
        graph = str(GRAPH[f"{key}/{sha[:16]}-{n}"])
    return graph


def map_file(path: Path, mapping: Mapping, vintage: str | None) -> MappedBatch | Finding:
    """Read and map a file; a layout the mapping does not describe is a finding, not a crash."""
    try:
        rows = read_rows(path, mapping.source)
        if mapping.derive:
            rows = derive.apply(mapping.derive, rows, mapping.derive_options, path.parent)
        return map_rows(
            mapping,
            rows,
            file_name=path.name,
            context={"vintage": vintage or "", "file": path.name},
        )
    except LayoutError as exc:
        return Finding(
            file=exc.file,
            row=exc.row,
            column=None,
            value=None,
            rule=f"unknown or broken file layout for mapping {mapping.id}: {exc.message}",
        )


def load_file(
    store: GraphStore,
    path: Path,
    mapping_name: str,
    *,
    vintage: str | None = None,
    dry_run: bool = False,
) -> LoadResult:
    """Validate a file through its mapping and, if every rule holds, write it as one graph."""
    mapping = load_mapping(mapping_name)
    vintage = vintage or mapping.vintage_of(path.name)
    if "{vintage}" in mapping.graph and vintage is None:
        raise ValueError(
            f"{path.name}: mapping {mapping.id} needs a vintage (--vintage YYYY-MM-DD)"
        )
    sha = sha256_of(path)
    key = graph_key(mapping, path, vintage)
    with store.writing():
        old = current_graphs(store, key)
        if str(GRAPH[f"{key}/{sha[:16]}"]) in old:
            return LoadResult("unchanged", path.name, mapping.id, old[0], ValidationReport(True))
        graph = new_graph_name(store, key, sha)
        batch = map_file(path, mapping, vintage)
        if isinstance(batch, Finding):
            return LoadResult(
                "rejected", path.name, mapping.id, graph, ValidationReport(False, [batch])
            )
        report = validate_batch(store, batch, exclude=set(old))
        status = "rejected" if not report.conforms else ("valid" if dry_run else "loaded")
        if status == "loaded":
            provenance = _provenance(graph, path, sha, mapping, batch, old)
            store.write_graph(graph, batch.graph, extra=provenance, retires=old)
    return LoadResult(
        status, path.name, mapping.id, graph, report, rows=batch.row_count, triples=len(batch.graph)
    )


def validate_candidate(
    store: GraphStore, candidate: Graph, locate: Locator, *, exclude: set[str]
) -> ValidationReport:
    """Validate new triples together with the part of the store they touch. Findings are kept
    for nodes the candidate describes or fully brings in; nodes present only as context (their
    type) were valid when they were loaded and are not judged on a partial description."""
    touched = {
        n
        for t in candidate
        for n in (t[0], t[2])
        if isinstance(n, URIRef) and str(n).startswith(str(ID))
    }
    exclude = exclude | {str(ONTOLOGY_GRAPH)}
    if len(touched) > SLICE_LIMIT:
        data, judged = store.union_graph(exclude=exclude), None
    else:
        data, judged = store.neighbourhood(touched, exclude=exclude)
    judged_nodes = None if judged is None else judged | set(candidate.subjects())
    for triple in candidate:
        data.add(triple)
    report = validate_graph(data, locate)
    if judged_nodes is not None:
        report.findings = [
            f for f in report.findings if f.focus is None or URIRef(f.focus) in judged_nodes
        ]
        report.conforms = not any(f.severity == "Violation" for f in report.findings)
    return report


def validate_batch(store: GraphStore, batch: MappedBatch, *, exclude: set[str]) -> ValidationReport:
    def locate(
        focus: Node, path: Node | None, value: Node | None
    ) -> tuple[str, int | None, str | None]:
        origin = batch.origin(focus, path, value)
        if origin is None:
            return ("(already in the store)", None, str(path).rsplit("#", 1)[-1] if path else None)
        return (batch.file_name, origin[0], origin[1])

    return validate_candidate(store, batch.graph, locate, exclude=exclude)


def _provenance(
    graph: str, path: Path, sha: str, mapping: Mapping, batch: MappedBatch, old: list[str]
) -> list[tuple[Node, Node, Node, str]]:
    g = URIRef(graph)
    activity = URIRef(graph + "#load")
    source = ID[f"source-file/{sha}"]
    now = datetime.now(UTC).replace(microsecond=0)
    triples: list[tuple[Node, Node, Node]] = [
        (g, RDF.type, NHSKG.LoadedGraph),
        (g, PROV.wasGeneratedBy, activity),
        (activity, RDF.type, NHSKG.Load),
        (activity, PROV.used, source),
        (activity, PROV.startedAtTime, Literal(now)),
        (activity, NHSKG.mapping, Literal(mapping.id)),
        (activity, NHSKG.softwareVersion, Literal(__version__)),
        (activity, NHSKG.rowCount, Literal(batch.row_count)),
        (activity, NHSKG.tripleCount, Literal(len(batch.graph))),
        (source, RDF.type, NHSKG.SourceFile),
        (source, NHSKG.fileName, Literal(path.name)),
        (source, NHSKG.sha256, Literal(sha)),
    ]
    triples += [(g, NHSKG.supersedes, URIRef(o)) for o in old]
    return [(s, p, o, PROVENANCE_GRAPH) for s, p, o in triples]
