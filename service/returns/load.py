"""Load one return file as one batch, whole or not at all, across the graph and the numbers store.

read -> resolve codes (restate predecessors, register unknown providers) -> validate -> write.
Validation runs shapes/returns.ttl compiled to DuckDB queries (service/returns/vectorised.py):
pySHACL spent 1-2 s of a daily batch's 1.4-2.5 s on the per-value shapes (building and walking
~25,000 rdflib triples); the compiled queries give the same findings
(tests/test_returns_validation.py runs both on valid and broken batches) in milliseconds.
`engine="pyshacl"` still runs the per-value shapes in pySHACL. The
numbers commit first with a journal row and the graph's record is the commit point of the load:
a rejected, failed or killed batch leaves both stores as they were, or as they were meant to be
(service/returns/journal.py). A re-loaded publication replaces its earlier batch; the
provenance graph keeps both (prov:wasRevisionOf, prov:invalidatedAtTime). Every batch has a
release date (the file name's, the mapping's, or stated); a release older than one already loaded
for the same periods is kept as history and the later release keeps answering
(service/returns/releases.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from service.loader import MAX_RETIRED_SHARE
from service.mapping.readers import LayoutError
from service.rdf.store import GraphStore
from service.rdf.terms import GRAPH
from service.reference.reporters import registered_reporters
from service.reference.unregistered import known_unregistered
from service.returns.batch_write import (
    LoadResult,
    OpenBatch,
    commit_batch,
    open_batch,
    outcome,
)
from service.returns.codes import Successions, graph_successions, resolve_codes
from service.returns.context import BatchContext
from service.returns.graph import provenance_triples, publication_triples, unregistered_triples
from service.returns.numbers import NumbersStore
from service.returns.readers import read_return, release_in_file
from service.returns.shacl_check import shacl_findings
from service.returns.spec import ReturnMapping, load_return_mapping, mapping_for
from service.returns.vectorised import vectorised_findings
from service.validation.report import Finding, ValidationReport

ENGINES = ("duckdb", "pyshacl")


@dataclass
class ReturnLoadResult(LoadResult):
    engine: str = ""  # pyshacl | duckdb
    unregistered: list[str] = field(default_factory=list)
    later_releases: list[str] = field(default_factory=list)  # "file (release date)"

    @property
    def history(self) -> int:
        """Values kept as history: a later release already loaded answers for them."""
        return self.values - self.answering if self.status == "loaded" else 0


def load_return_file(
    store: GraphStore,
    numbers: NumbersStore,
    path: Path,
    mapping: str | ReturnMapping | None = None,
    *,
    strict: bool = False,
    successions: Successions | None = None,
    engine: str | None = None,
    dry_run: bool = False,
    release: date | None = None,
    replace_all: bool = False,
) -> ReturnLoadResult:
    """Validate and load one return file as one batch. A file with no values, or one that would
    replace more than MAX_RETIRED_SHARE of its publication's current values, is rejected unless
    `replace_all`."""
    spec = _mapping(path, mapping)
    try:
        in_file = release_in_file(path, spec) if release is None else None
    except LayoutError as exc:
        return _rejected(path, spec, "", [_layout_finding(spec, exc)])
    opened = open_batch(store, numbers, path, spec, release, dry_run=dry_run, in_file=in_file)
    batch = opened.batch
    if opened.unchanged:
        return ReturnLoadResult(**outcome(opened, path, spec.id))
    try:
        values = read_return(path, spec)
    except LayoutError as exc:
        return _rejected(path, spec, batch, [_layout_finding(spec, exc)])
    registered = registered_reporters(store, sites=spec.site_reporters)
    resolution = resolve_codes(values, registered, successions or graph_successions(store))
    ctx = BatchContext(values, resolution, batch, registered)
    chosen = engine or "duckdb"
    if chosen not in ENGINES:
        raise ValueError(f"validation engine {chosen!r}: one of {', '.join(ENGINES)}")
    findings = _code_findings(ctx, strict) + _unknown_code_findings(ctx, spec)
    findings += shacl_findings(ctx) if chosen == "pyshacl" else vectorised_findings(ctx)
    if not any(f.severity == "Violation" for f in findings):  # rules first, then the share
        findings += _replacement_findings(numbers, path, opened.current, len(values), replace_all)
    errors = sorted((f for f in findings if f.severity == "Violation"), key=_order)
    warnings = sorted((f for f in findings if f.severity != "Violation"), key=_order)
    result = ReturnLoadResult(
        **outcome(opened, path, spec.id, (errors, warnings), len(values), dry_run),
        engine=chosen,
        unregistered=sorted(resolution.unregistered),
    )
    if errors or dry_run:
        return result
    _write(store, numbers, path, spec, opened, ctx, len(warnings))
    result.answering = numbers.answering_count(batch)
    if result.history:
        result.later_releases = _later_releases(numbers, batch)
    return result


def _later_releases(numbers: NumbersStore, batch: str) -> list[str]:
    """The batches whose values answer in place of this batch's (a later release of them)."""
    rows = numbers.con.execute(
        "SELECT DISTINCT b.file, b.release_date FROM release_value mine "
        "JOIN reported_value v ON v.reported_code = mine.reported_code "
        "AND v.region_code = mine.region_code "
        "AND v.metric = mine.metric AND v.period_start = mine.period_start "
        "AND v.period_end = mine.period_end JOIN batch b ON b.batch_id = v.batch_id "
        "WHERE mine.batch_id = ? AND v.batch_id <> ? ORDER BY b.release_date, b.file",
        [batch, batch],
    ).fetchall()
    return [f"{file} ({day})" for file, day in rows]


def _replacement_findings(
    numbers: NumbersStore,
    path: Path,
    current: tuple[str, str, str] | None,
    count: int,
    replace_all: bool,
) -> list[Finding]:
    """A batch with no values never loads; one that would retire most of its publication's
    current values (a truncated file) loads only with replace_all."""
    if count == 0:
        rule = "the file has no values: nothing would be loaded" + (
            " and the publication's current values would be deleted" if current else ""
        )
        return [Finding(path.name, None, None, None, rule + "; check the file")]
    if current is None or replace_all:
        return []
    held = numbers.value_count(current[0])
    if held and held - count > MAX_RETIRED_SHARE * held:
        rule = (
            f"the file has {count:,} values where the publication holds {held:,}: loading it "
            f"would retire {(held - count) / held:.0%} of them (at most "
            f"{MAX_RETIRED_SHARE:.0%} without --replace-all); check it is the whole file, or "
            "load it with --replace-all"
        )
        return [Finding(path.name, None, None, None, rule)]
    return []


def _mapping(path: Path, mapping: str | ReturnMapping | None) -> ReturnMapping:
    if isinstance(mapping, ReturnMapping):
        return mapping
    return load_return_mapping(mapping) if mapping else mapping_for(path.name)


def _order(f: Finding) -> tuple[str, int, str, str]:
    return (f.file, f.row or 0, f.column or "", f.rule)


def _layout_finding(spec: ReturnMapping, exc: LayoutError) -> Finding:
    rule = f"unknown or broken file layout for return mapping {spec.id}: {exc.message}"
    return Finding(file=exc.file, row=exc.row, column=None, value=None, rule=rule)


def _rejected(
    path: Path, spec: ReturnMapping, batch: str, findings: list[Finding]
) -> ReturnLoadResult:
    return ReturnLoadResult(
        "rejected", path.name, spec.id, batch, ValidationReport(False, findings)
    )


def _code_findings(ctx: BatchContext, strict: bool) -> list[Finding]:
    """Codes used after their succession: restated with a warning (strict: an error); codes of a
    split cannot be restated without shares and are always an error."""
    out = []
    shape = "https://w3id.org/nhskg/shapes#ReturnBatchShape"
    for i, old in ctx.resolution.restated.items():
        rule = (
            f"{old} was succeeded by {ctx.resolution.org_code[i]} before "
            f"{ctx.values.period_start[i]}; the value is restated to the successor"
        )
        out.append(ctx.finding(i, rule, shape, "Violation" if strict else "Warning"))
    for i, successors in ctx.resolution.split.items():
        rule = (
            f"{ctx.values.code[i]} was split into {', '.join(successors)} before "
            f"{ctx.values.period_start[i]}; restate this value by hand (shares unknown)"
        )
        out.append(ctx.finding(i, rule, shape, "Violation"))
    return out


def _unknown_code_findings(ctx: BatchContext, spec: ReturnMapping) -> list[Finding]:
    """A mapping with unknown_codes: reject admits only codes the reference data knows: one
    error per unknown code, at its first value (the steward report names each)."""
    if spec.unknown_codes != "reject" or not ctx.resolution.unregistered:
        return []
    first: dict[str, int] = {}
    for i, code in enumerate(ctx.values.code):
        if code.upper() in ctx.resolution.unregistered:
            first.setdefault(code.upper(), i)
    shape = "https://w3id.org/nhskg/shapes#ReturnBatchShape"
    return [
        ctx.finding(
            i,
            f"{code} is not a trust or site the reference data knows; return mapping {spec.id} "
            "accepts known codes only (correct the code, or register the organisation first)",
            shape,
            "Violation",
        )
        for code, i in sorted(first.items())
    ]


def _write(
    store: GraphStore,
    numbers: NumbersStore,
    path: Path,
    spec: ReturnMapping,
    opened: OpenBatch,
    ctx: BatchContext,
    warnings: int,
) -> None:
    graph = str(GRAPH[f"returns/{opened.key}/{opened.tag}"])
    record = opened.record(spec.dataset, spec.id, path, graph, len(ctx.values))
    triples = publication_triples(record, spec.dataset_title)
    triples += unregistered_triples(ctx, known_unregistered(store))
    v = ctx.values
    provenance = provenance_triples(
        record, (v.period_start, v.period_end), v.metric, opened.current_batch, warnings
    )
    replacing = numbers.replacing(record, ctx.values, ctx.resolution, spec.regions)
    commit_batch(store, numbers, record, triples, provenance, replacing, opened.current_batch)
