"""The one loader path of a batch, whatever it reports by (organisations or areas).

`open_batch`: a load killed earlier is finished or undone first (journal.py), then the file's
digest, its publication's current batch and the new batch's name; a file already loaded as it is
is `unchanged`. `commit_batch`: the numbers commit first with a journal row (the numbers store's
`replacing` / `replacing_columns`), the graph's record (the batch graph, its provenance, the
earlier batch's graph retired) is the commit point of the whole load, under the graph's write
lock. A rejected, failed or killed batch leaves both stores as they were, or as they were meant
to be.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from service.loader import sha256_of
from service.rdf.store import PROVENANCE_GRAPH, GraphStore
from service.rdf.terms import ID
from service.returns.graph import Triple
from service.returns.journal import recover
from service.returns.numbers import BatchRecord, NumbersStore
from service.returns.releases import release_from_name
from service.validation.report import Finding, ValidationReport


@dataclass
class LoadResult:
    """What a load of one file says, whatever the file reports by (the loaders add theirs)."""

    status: str  # loaded | unchanged | rejected | valid (dry run)
    file: str
    mapping: str
    batch: str
    report: ValidationReport
    warnings: list[Finding] = field(default_factory=list)
    values: int = 0
    release: date | None = None
    release_source: str = ""
    answering: int = 0  # values that answer questions now; the rest are history

    @property
    def ok(self) -> bool:
        return self.status != "rejected"


class Released(Protocol):
    """What a mapping says of itself and its files' release date."""

    @property
    def id(self) -> str: ...

    @property
    def release_date(self) -> date | None: ...

    @property
    def release_pattern(self) -> str | None: ...


def release_of(
    spec: Released, path: Path, stated: date | None, in_file: date | None = None
) -> tuple[date, str]:
    """The batch's release date and where it came from: stated by the caller, by the file's own
    metadata cells, the mapping's fixed date, the file name, or (none of these) the load day."""
    if stated is not None:
        return stated, "stated"
    if in_file is not None:
        return in_file, "file"
    if spec.release_date is not None:
        return spec.release_date, "mapping"
    found = release_from_name(path.name, spec.release_pattern)
    return (found, "file name") if found else (date.today(), "load date")


@dataclass(frozen=True)
class OpenBatch:
    """A file about to become a batch of its publication `key`."""

    key: str
    sha: str
    tag: str
    batch: str
    # The publication's current batch, its file's digest and its mapping's.
    current: tuple[str, str, str] | None
    released: tuple[date, str]
    mapping_sha: str = ""

    @property
    def unchanged(self) -> bool:
        """The same file, read by the same mapping, is the current batch already."""
        return self.current is not None and self.current[1:] == (self.sha, self.mapping_sha)

    @property
    def current_batch(self) -> str | None:
        return self.current[0] if self.current else None

    def record(self, dataset: str, mapping: str, path: Path, graph: str, count: int) -> BatchRecord:
        return BatchRecord(
            self.batch, self.key, dataset, mapping, path.name, self.sha, graph, count,
            *self.released, self.mapping_sha,
        )  # fmt: skip


def outcome(
    opened: OpenBatch,
    path: Path,
    mapping: str,
    findings: tuple[list[Finding], list[Finding]] | None = None,
    count: int = 0,
    dry_run: bool = False,
) -> dict[str, Any]:
    """The fields of a load's result every loader shares. `findings`: (errors, warnings); None
    for a file already loaded as it is (unchanged, its current batch)."""
    base = {"file": path.name, "mapping": mapping, "values": count}
    base["release"], base["release_source"] = opened.released
    if findings is None:
        assert opened.current is not None
        return base | {"status": "unchanged", "batch": opened.current[0], "values": 0,
                       "report": ValidationReport(True)}  # fmt: skip
    errors, warnings = findings
    status = "rejected" if errors else ("valid" if dry_run else "loaded")
    report = ValidationReport(not errors, errors)
    return base | {"status": status, "batch": opened.batch, "report": report, "warnings": warnings}


def publication_key(spec: Released, path: Path) -> str:
    """A file's publication: its mapping and its name without the extension."""
    return f"{spec.id}/{path.stem}"


def open_batch(
    store: GraphStore,
    numbers: NumbersStore,
    path: Path,
    spec: Released,
    release: date | None = None,
    dry_run: bool = False,
    in_file: date | None = None,
) -> OpenBatch:
    """`release`: the release date the caller states (else the file's, the mapping's, the file
    name's)."""
    if not dry_run:  # a load killed earlier is finished or undone before this one starts
        recover(store, numbers)
    key, released = publication_key(spec, path), release_of(spec, path, release, in_file)
    sha = sha256_of(path)
    tag = batch_tag(numbers, key, sha)
    current = numbers.current_batch(key)
    mapping = getattr(spec, "path", None)
    mapping_sha = sha256_of(mapping) if mapping is not None else ""
    batch = str(ID[f"batch/{key}/{tag}"])
    return OpenBatch(key, sha, tag, batch, current, released, mapping_sha)


def batch_tag(numbers: NumbersStore, key: str, sha: str) -> str:
    """The file's digest names its batch; a version loaded again after a newer one (A, B, A) is
    a new batch of its own, so every load keeps its record."""
    row = numbers.con.execute(
        "SELECT count(*) FROM batch WHERE publication = ? AND sha256 = ?", [key, sha]
    ).fetchone()
    earlier = int(row[0]) if row else 0
    return sha[:16] + (f"-{earlier + 1}" if earlier else "")


def commit_batch(
    store: GraphStore,
    numbers: NumbersStore,
    record: BatchRecord,
    triples: list[Triple],
    provenance: list[Triple],
    numbers_write: AbstractContextManager[None],
    old_batch: str | None,
) -> None:
    """Write the batch: `numbers_write` (the numbers store's replacing context for `record`)
    commits the values and the journal row; the graph write inside it is the commit point."""
    old_graph = graph_of(numbers, old_batch)
    # Under the graph's write lock (which discards what a killed write left unfinished); the
    # numbers commit first, journalled, and the graph's record commits both (journal.py).
    with store.writing(), numbers_write:
        store.write_graph(
            record.graph,
            triples,
            extra=[(s, p, o, PROVENANCE_GRAPH) for s, p, o in provenance],
            retires=[old_graph] if old_graph else [],
        )


def graph_of(numbers: NumbersStore, batch: str | None) -> str | None:
    if batch is None:
        return None
    row = numbers.con.execute("SELECT graph FROM batch WHERE batch_id = ?", [batch]).fetchone()
    return str(row[0]) if row else None
