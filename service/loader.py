"""Load one source file: read, map, validate with the reference slice it touches, then write.

Nothing is written unless the whole batch conforms. Each load lands in its own named graph, and a
PROV-O record of it (file, SHA-256, rows, mapping, time, software version) goes to the provenance
graph in the same transaction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.term import Node

from service import __version__
from service.faults import pause_point
from service.mapping import derive
from service.mapping.engine import MappedBatch, map_rows
from service.mapping.readers import LayoutError, read_rows
from service.mapping.spec import PROV, Mapping, load_mapping
from service.rdf.store import PROVENANCE_GRAPH, GraphStore, to_ox
from service.rdf.terms import GRAPH, ID, ONTOLOGY_GRAPH
from service.rdf.vocab import NHSKG
from service.reference.organisations import organisation_lifetimes
from service.validation.core_queries import typed_literals
from service.validation.report import Finding, ValidationReport
from service.validation.shacl import SH, Locator, ontology_graph, shapes_graph, validate_store

# Copying the whole store into the validator costs about 9 us a quad (each one crosses into
# Python); a slice costs about 30-50 us a touched node (lookups for it and its back-links). A
# batch that touches more nodes than a quarter of the store's quads is validated against all of
# it (the etrust file early in the national load), any other against its slice.
UNION_BELOW = 4

# A load that would retire more than this share of the facts its slot holds now (a truncated or
# wrong file) is refused unless the steward says --replace-all; an empty batch always is.
MAX_RETIRED_SHARE = 0.5


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


def content_digest(file_sha: str, mapping: Mapping) -> str:
    """What a reference graph is made from: the file and the mapping that read it. A file
    loaded again through a changed mapping is new content (its graph is replaced), not
    "unchanged"."""
    mapping_sha = sha256_of(mapping.path) if mapping.path is not None else mapping.id
    return hashlib.sha256(f"{file_sha}\n{mapping_sha}".encode()).hexdigest()


def graph_key(mapping: Mapping, path: Path, vintage: str | None) -> str:
    """One logical slot per mapping and vintage (or file name): a newer file for the same slot
    replaces the graph of the older one."""
    return mapping.graph.replace("{vintage}", vintage or "current").replace("{file}", path.stem)


def current_graphs(store: GraphStore, key: str) -> list[str]:
    prefix = str(GRAPH[key]) + "/"
    return [g for g in store.current_graphs() if g.startswith(prefix)]


def new_graph_name(store: GraphStore, key: str, sha: str) -> str:
    """The graph IRI names the content (`content_digest`); content loaded again after being
    replaced gets a fresh IRI, because a retired graph stays retired (history is never
    rewritten)."""
    graph = str(GRAPH[f"{key}/{sha[:16]}"])
    n = 1
    while store.contains_graph(graph):
        n += 1
        graph = str(GRAPH[f"{key}/{sha[:16]}-{n}"])
    return graph


def derive_options(
    mapping: Mapping, vintage: str | None, reference: GraphStore | None
) -> dict[str, Any]:
    """The derivation's options, plus the file's vintage and, for a derivation that names
    `reference: organisations`, the organisations already in the store (code -> lifetime) as a
    plain value: the derivation stays a pure function of its rows and options."""
    options = {**mapping.derive_options, derive.VINTAGE: vintage or ""}
    if options.get("reference") == "organisations":
        options[derive.REFERENCE] = organisation_lifetimes(reference) if reference else {}
    return options


def map_file(
    path: Path, mapping: Mapping, vintage: str | None, reference: GraphStore | None = None
) -> MappedBatch | Finding:
    """Read and map a file; a layout the mapping does not describe is a finding, not a crash."""
    try:
        rows = read_rows(path, mapping.source)
        if mapping.derive:
            options = derive_options(mapping, vintage, reference)
            rows = derive.apply(mapping.derive, rows, options, path.parent)
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
    replace_all: bool = False,
) -> LoadResult:
    """Validate a file through its mapping and, if every rule holds, write it as one graph.
    A file with no rows, or one that would retire more than MAX_RETIRED_SHARE of the facts
    its slot holds now, is rejected unless `replace_all`."""
    mapping = load_mapping(mapping_name)
    vintage = vintage or mapping.vintage_of(path.name)
    if "{vintage}" in mapping.graph and vintage is None:
        raise ValueError(
            f"{path.name}: mapping {mapping.id} needs a vintage (--vintage YYYY-MM-DD)"
        )
    sha = sha256_of(path)
    digest = content_digest(sha, mapping)
    key = graph_key(mapping, path, vintage)
    with store.writing():
        old = current_graphs(store, key)
        if str(GRAPH[f"{key}/{digest[:16]}"]) in old:
            return LoadResult("unchanged", path.name, mapping.id, old[0], ValidationReport(True))
        graph = new_graph_name(store, key, digest)
        batch = map_file(path, mapping, vintage, reference=store)
        if isinstance(batch, Finding):
            return LoadResult(
                "rejected", path.name, mapping.id, graph, ValidationReport(False, [batch])
            )
        converted = ox_triples(batch.triples)  # once, for the validator and the write
        report = validate_batch(store, batch, exclude=set(old), converted=converted)
        # A batch the rules accept may still be refused: empty, or retiring most of its slot.
        refusal = (
            replacement_refusal(store, path.name, old, converted, replace_all)
            if report.conforms
            else None
        )
        if refusal is not None:
            report = ValidationReport(False, [refusal, *report.findings])
        status = "rejected" if not report.conforms else ("valid" if dry_run else "loaded")
        if status == "loaded":
            provenance = _provenance(graph, path, sha, mapping, batch, old)
            store.write_graph(graph, converted, extra=provenance, retires=old)
            pause_point("reference-recorded")  # crash tests: the graph's record is the commit
    return LoadResult(
        status,
        path.name,
        mapping.id,
        graph,
        report,
        rows=batch.row_count,
        triples=len(batch.triples),
        skipped=dict(batch.skipped.most_common()),
        notes=dict(batch.notes.most_common()),
    )


def replacement_refusal(
    store: GraphStore,
    file_name: str,
    old: list[str],
    new: list[tuple[Any, Any, Any]],
    replace_all: bool,
) -> Finding | None:
    """Why this batch may not replace the current graphs of its slot, or None: no facts at all
    (a 0-byte or header-only file), or most of the current facts retired."""
    if not new:
        return Finding(
            file_name, None, None, None,
            "the file has no data rows: nothing would be loaded"
            + (" and the current graph of this source would be retired" if old else "")
            + "; check the file (loading nothing is never done)",
        )  # fmt: skip
    if not old or replace_all:
        return None
    current = store.triples_of(old)
    retired = len(current - set(new))
    if current and retired > MAX_RETIRED_SHARE * len(current):
        return Finding(
            file_name, None, None, None,
            f"the file would retire {retired:,} of the {len(current):,} facts this source holds "
            f"now ({retired / len(current):.0%}; at most {MAX_RETIRED_SHARE:.0%} without "
            "--replace-all): check it is the whole file, or load it with --replace-all",
        )  # fmt: skip
    return None


@lru_cache(maxsize=1)
def constraint_predicates() -> list[frozenset[str]]:
    """For each SPARQL-based constraint in the shapes, the predicates its query follows."""
    shapes = shapes_graph()
    prefixes = {str(p): str(ns) for p, ns in shapes.namespaces()}
    found = []
    for query in shapes.objects(None, SH.select):
        names = re.findall(r"\b([a-z]+):([A-Za-z][A-Za-z0-9]*)", str(query))
        found.append(frozenset(prefixes[p] + local for p, local in names if p in prefixes))
    return found


def back_links(candidate: Collection[tuple[Node, Node, Node]]) -> set[str]:
    """Predicates by which a stored node can matter to a rule about the new triples: those of the
    SPARQL constraints that follow a predicate the candidate asserts (another membership of the
    same area, another operation of the same site, another record of the same organisation).
    Core constraints judge a node by its own triples, so other back-links, such as the thousands
    of catchment rows or site operations pointing at a trust, stay out of the slice."""
    asserted = {str(p) for _, p, _ in candidate}
    asserted |= {str(o) for _, p, o in candidate if p == RDF.type}
    return {p for preds in constraint_predicates() if preds & asserted for p in preds}


def validate_candidate(
    store: GraphStore,
    candidate: Graph | Collection[tuple[Node, Node, Node]],
    locate: Locator,
    *,
    exclude: set[str],
    converted: list[tuple[Any, Any, Any]] | None = None,
) -> ValidationReport:
    """Validate new triples together with the part of the store they touch. Findings are kept
    for nodes the candidate describes or fully brings in; nodes present only as context (their
    type) were valid when they were loaded and are not judged on a partial description.
    `converted` is the candidate as Oxigraph terms, if the caller has it already."""
    if isinstance(candidate, Graph):
        candidate = list(candidate)
    ids = str(ID)
    touched = {
        n for t in candidate for n in (t[0], t[2]) if isinstance(n, URIRef) and n.startswith(ids)
    }
    exclude = exclude | {str(ONTOLOGY_GRAPH)}
    judged: set[Node]
    if store.quad_count() < UNION_BELOW * len(touched):
        # Judged as in a slice: the nodes the batch mentions and describes (adding triples
        # about other stored nodes cannot change how the shapes judge them).
        data, judged = store.union_store(exclude=exclude), set(touched)
    else:
        data, judged = store.slice_store(touched, exclude=exclude, back_links=back_links(candidate))
    judged_nodes = judged | {s for s, _, _ in candidate}
    triples = converted if converted is not None else ox_triples(candidate)
    data.bulk_extend(ox.Quad(s, p, o) for s, p, o in triples)
    data.bulk_extend(ontology_quads())
    # Core constraints judge a node by its own triples and the types of its values: a stored
    # node the batch adds no triple about keeps its verdict (added types only satisfy
    # sh:class), so they run on the batch's subjects only.
    subjects = {s for s, _, _ in candidate}
    report = check_data(data, locate, originals=typed_literals(candidate), judged=subjects)
    report.findings = [
        f for f in report.findings if f.focus is None or URIRef(f.focus) in judged_nodes
    ]
    report.conforms = not any(f.severity == "Violation" for f in report.findings)
    return report


# The validator the loader runs on candidate + slice (bench/child.py swaps in plain pySHACL).
check_data = validate_store


def ontology_quads() -> tuple[Any, ...]:
    """The ontology's triples (the class hierarchy the shapes' targets need), as Oxigraph quads
    in the default graph; cached per ontology graph (extension files may be configured)."""
    return _ontology_quads(ontology_graph())


@lru_cache(maxsize=4)
def _ontology_quads(graph: Graph) -> tuple[Any, ...]:
    return tuple(ox.Quad(*(to_ox(t) for t in triple)) for triple in graph)


def ox_triples(triples: Iterable[tuple[Node, Node, Node]]) -> list[tuple[Any, Any, Any]]:
    """Triples as Oxigraph terms, each distinct term converted once."""
    converted: dict[Node, Any] = {}

    def term(node: Node) -> Any:
        found = converted.get(node)
        if found is None:
            found = converted[node] = to_ox(node)
        return found

    return [(term(s), term(p), term(o)) for s, p, o in triples]


def validate_batch(
    store: GraphStore,
    batch: MappedBatch,
    *,
    exclude: set[str],
    converted: list[tuple[Any, Any, Any]] | None = None,
) -> ValidationReport:
    def locate(
        focus: Node, path: Node | None, value: Node | None
    ) -> tuple[str, int | None, str | None]:
        origin = batch.origin(focus, path, value)
        if origin is None:
            return ("(already in the store)", None, str(path).rsplit("#", 1)[-1] if path else None)
        return (batch.file_name, origin[0], origin[1])

    return validate_candidate(store, batch.triples, locate, exclude=exclude, converted=converted)


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
        (activity, NHSKG.tripleCount, Literal(len(batch.triples))),
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
