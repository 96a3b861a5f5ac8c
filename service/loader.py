"""Load one source file: read, map, validate with the reference slice it touches, then write.

Nothing is written unless the whole batch conforms. Each load lands in its own named graph, and a
PROV-O record of it (file, SHA-256, rows, mapping, time, software version) goes to the provenance
graph in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rdflib import RDF, Literal, URIRef
from rdflib.term import Node

from service import __version__
from service.mapping import derive
from service.mapping.engine import MappedBatch, map_rows
from service.mapping.readers import LayoutError, read_rows
from service.mapping.spec import PROV, Mapping, load_mapping
from service.store import GraphStore
from service.terms import GRAPH, ID, ONTOLOGY_GRAPH
from service.validation.report import Finding, ValidationReport
from service.validation.shacl import validate_graph
from service.vocab import NHSKG

PROVENANCE_GRAPH = str(GRAPH["provenance"])
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
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows left out
    notes: dict[str, int] = field(default_factory=dict)  # reason -> rows loaded in part

    def skip_lines(self) -> list[str]:
        lines = [f"skipped {n} row(s): {reason}" for reason, n in self.skipped.items()]
        return lines + [f"loaded {n} row(s) in part: {reason}" for reason, n in self.notes.items()]

    @property
    def ok(self) -> bool:
        return self.status != "rejected"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def target_graph(mapping: Mapping, path: Path, vintage: str | None, sha: str) -> tuple[str, str]:
    """(logical key, graph IRI): one logical slot per mapping and vintage (or file name); the IRI
    names the content, so a changed file is a new graph that supersedes the old one."""
    key = mapping.graph.replace("{vintage}", vintage or "current").replace("{file}", path.stem)
    return key, str(GRAPH[f"{key}/{sha[:16]}"])


def current_graphs(store: GraphStore, key: str) -> list[str]:
    prefix = str(GRAPH[key]) + "/"
    return [g for g in store.named_graphs() if g.startswith(prefix)]


def load_file(
    store: GraphStore,
    path: Path,
    mapping_name: str,
    *,
    vintage: str | None = None,
    dry_run: bool = False,
) -> LoadResult:
    mapping = load_mapping(mapping_name)
    vintage = vintage or mapping.vintage_of(path.name)
    if "{vintage}" in mapping.graph and vintage is None:
        raise ValueError(
            f"{path.name}: mapping {mapping.id} needs a vintage (--vintage YYYY-MM-DD)"
        )
    sha = sha256_of(path)
    key, graph = target_graph(mapping, path, vintage, sha)
    if store.contains_graph(graph):
        return LoadResult("unchanged", path.name, mapping.id, graph, ValidationReport(True))
    try:
        rows = read_rows(path, mapping.source)
        if mapping.derive:
            options = _with_reference(store, mapping.derive_options)
            options[derive.VINTAGE] = vintage or ""
            rows = derive.apply(mapping.derive, rows, options, path.parent)
        batch = map_rows(
            mapping,
            rows,
            file_name=path.name,
            context={"vintage": vintage or "", "file": path.name},
        )
    except LayoutError as exc:
        finding = Finding(
            file=exc.file,
            row=exc.row,
            column=None,
            value=None,
            rule=f"unknown or broken file layout for mapping {mapping.id}: {exc.message}",
        )
        return LoadResult(
            "rejected", path.name, mapping.id, graph, ValidationReport(False, [finding])
        )
    old = current_graphs(store, key)
    report = validate_batch(store, batch, exclude=set(old))
    result = LoadResult(
        "rejected" if not report.conforms else "loaded",
        path.name,
        mapping.id,
        graph,
        report,
        rows=batch.row_count,
        triples=len(batch.graph),
        skipped=dict(batch.skipped.most_common()),
        notes=dict(batch.notes.most_common()),
    )
    if report.conforms and not dry_run:
        provenance = _provenance(graph, path, sha, mapping, batch, old)
        store.write_graph(graph, batch.graph, extra=provenance, supersedes=old)
    elif report.conforms:
        result.status = "valid"
    return result


ORGANISATION_LIFETIMES = """
SELECT ?code ?open ?close WHERE {
    ?org nhskg:odsCode ?code ; a ?type ; nhskg:openDate ?open .
    ?type rdfs:subClassOf* nhskg:Organisation .
    OPTIONAL { ?org nhskg:closeDate ?close }
}
"""


def organisation_lifetimes(store: GraphStore) -> dict[str, tuple[date, date | None]]:
    """ODS code -> (open date, close date) of every organisation in the store."""
    return {
        r["code"]: (r["open"], r["close"])
        for r in store.select(ORGANISATION_LIFETIMES)
        if isinstance(r["open"], date)
    }


def _with_reference(store: GraphStore, options: dict[str, Any]) -> dict[str, Any]:
    """A derivation that names `reference: organisations` is given the organisations already in
    the store (code -> lifetime) as a plain value: it stays a pure function of rows and options."""
    if options.get("reference") != "organisations":
        return dict(options)
    return {**options, derive.REFERENCE: organisation_lifetimes(store)}


def validate_batch(store: GraphStore, batch: MappedBatch, *, exclude: set[str]) -> ValidationReport:
    touched = {
        n
        for t in batch.graph
        for n in (t[0], t[2])
        if isinstance(n, URIRef) and str(n).startswith(str(ID))
    }
    exclude = exclude | {str(ONTOLOGY_GRAPH)}
    if len(touched) > SLICE_LIMIT:
        data = store.union_graph(exclude=exclude)
    else:
        data = store.neighbourhood(touched, exclude=exclude)
    for triple in batch.graph:
        data.add(triple)

    def locate(
        focus: Node, path: Node | None, value: Node | None
    ) -> tuple[str, int | None, str | None]:
        origin = batch.origin(focus, path, value)
        if origin is None:
            return ("(already in the store)", None, str(path).rsplit("#", 1)[-1] if path else None)
        return (batch.file_name, origin[0], origin[1])

    return validate_graph(data, locate)


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
        *(
            (activity, NHSKG.skipNote, Literal(f"{n} row(s) {kind}: {reason}"))
            for kind, counts in (("skipped", batch.skipped), ("loaded in part", batch.notes))
            for reason, n in counts.items()
        ),
        (source, RDF.type, NHSKG.SourceFile),
        (source, NHSKG.fileName, Literal(path.name)),
        (source, NHSKG.sha256, Literal(sha)),
    ]
    triples += [(g, NHSKG.supersedes, URIRef(o)) for o in old]
    return [(s, p, o, PROVENANCE_GRAPH) for s, p, o in triples]
