"""The life cycle of return batches: list them with their provenance, retire one (its values stop
answering; an earlier release of the same values answers again), restore it.

Nothing is deleted: a retired batch's values stay in `release_value`, the batch keeps its row,
and the graph's provenance records who retired or restored it, when and why (a PROV-O activity).
The batch's own graph (dataset, publication, unregistered providers) stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from rdflib import RDF, RDFS, Literal, URIRef

from service.mapping.spec import PROV
from service.rdf.store import GraphStore
from service.rdf.vocab import NHSKG
from service.returns.numbers import NumbersStore

BATCH_COLUMNS = (
    "batch_id, publication, dataset, mapping, file, sha256, loaded_at, value_count, status, "
    "superseded_by, release_date, release_source, changed_at, change_note"
)


class BatchError(ValueError):
    """A batch command that cannot be done as asked (the message says why and what would do)."""


@dataclass(frozen=True)
class BatchInfo:
    id: str
    publication: str
    dataset: str
    mapping: str
    file: str
    sha256: str
    loaded_at: datetime
    value_count: int
    status: str  # current | superseded | retired
    superseded_by: str | None
    release_date: date
    release_source: str
    changed_at: datetime | None
    change_note: str | None
    answering: int  # values that answer questions now (the rest: history)


def list_batches(
    numbers: NumbersStore, *, dataset: str | None = None, status: str | None = None
) -> list[BatchInfo]:
    """Every batch, oldest release first, with how many of its values answer now."""
    rows = numbers.con.execute(
        f"""SELECT {BATCH_COLUMNS}, coalesce(n.answering, 0)
        FROM batch LEFT JOIN (
            SELECT batch_id, count(*) AS answering FROM reported_value GROUP BY batch_id
        ) n USING (batch_id)
        WHERE (CAST(? AS VARCHAR) IS NULL OR dataset = ?)
          AND (CAST(? AS VARCHAR) IS NULL OR status = ?)
        ORDER BY release_date, loaded_at, batch_id""",
        [dataset, dataset, status, status],
    ).fetchall()
    return [BatchInfo(*r) for r in rows]


def find_batch(numbers: NumbersStore, ref: str) -> BatchInfo:
    """A batch by its id, or by the end of it (publication/tag or the tag alone)."""
    ref = ref.strip()
    found = [b for b in list_batches(numbers) if b.id == ref or b.id.endswith("/" + ref)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise BatchError(f"no batch {ref!r}; list them with `nhskg returns batches`")
    ids = ", ".join(b.id for b in found)
    raise BatchError(f"{ref!r} names {len(found)} batches ({ids}); give more of the id")


def retire(store: GraphStore, numbers: NumbersStore, ref: str, note: str) -> BatchInfo:
    """Stop a current batch's values answering; the release each value had before answers."""
    batch = find_batch(numbers, ref)
    if batch.status != "current":
        raise BatchError(f"{batch.id} is {batch.status}, not current: only a current batch retires")
    return _change(store, numbers, batch, "retired", note, NHSKG.BatchRetirement)


def restore(store: GraphStore, numbers: NumbersStore, ref: str, note: str) -> BatchInfo:
    """Let a retired batch's values answer again (where its release is the latest)."""
    batch = find_batch(numbers, ref)
    if batch.status != "retired":
        raise BatchError(
            f"{batch.id} is {batch.status}, not retired: only a retired batch is restored"
            + (
                " (a superseded batch comes back by loading its file again)"
                if batch.status == "superseded"
                else ""
            )
        )
    return _change(store, numbers, batch, "current", note, NHSKG.BatchRestoration)


def _change(
    store: GraphStore,
    numbers: NumbersStore,
    batch: BatchInfo,
    status: str,
    note: str,
    activity_type: URIRef,
) -> BatchInfo:
    if not note.strip():
        raise BatchError("say why (a note is kept with the batch and in its provenance)")
    now = datetime.now(UTC).replace(microsecond=0)
    numbers.set_status(batch.id, status, note.strip())
    subject = URIRef(batch.id)
    activity = URIRef(f"{batch.id}#{status}-{now.strftime('%Y%m%dT%H%M%SZ')}")
    triples = [
        (activity, RDF.type, activity_type),
        (activity, PROV.used, subject),
        (activity, PROV.startedAtTime, Literal(now)),
        (activity, RDFS.comment, Literal(note.strip())),
    ]
    if status == "retired":
        triples.append((subject, PROV.invalidatedAtTime, Literal(now)))
    store.record_provenance(triples)
    return find_batch(numbers, batch.id)
