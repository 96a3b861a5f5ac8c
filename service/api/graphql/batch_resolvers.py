"""Return batches over GraphQL: list them with their release and provenance, retire and restore
them (service/returns/batches.py does the work, as for the CLI)."""

from __future__ import annotations

from service.api.graphql.context import Context
from service.api.graphql.errors import UserError
from service.api.graphql.numbers_resolvers import require_numbers
from service.api.graphql.numbers_types import Batch
from service.returns.batches import BatchError, BatchInfo, list_batches, restore, retire

STATUSES = ("current", "superseded", "retired")


def batch_of(b: BatchInfo) -> Batch:
    return Batch(
        id=b.id,
        publication=b.publication,
        file=b.file,
        sha256=b.sha256,
        loaded_at=b.loaded_at,
        status=b.status,
        dataset=b.dataset,
        release_date=b.release_date,
        mapping=b.mapping,
        value_count=b.value_count,
        answering=b.answering,
        release_source=b.release_source,
        superseded_by=b.superseded_by,
        changed_at=b.changed_at,
        change_note=b.change_note,
    )


def batches(context: Context, dataset: str | None, status: str | None) -> list[Batch]:
    if status is not None and status not in STATUSES:
        raise UserError(f"unknown batch status {status!r}", f"One of {', '.join(STATUSES)}.")
    numbers = require_numbers(context)
    return [batch_of(b) for b in list_batches(numbers, dataset=dataset, status=status)]


def change_batch(context: Context, id: str, note: str, retiring: bool) -> Batch:
    numbers = require_numbers(context)
    if numbers.read_only:
        raise UserError(
            "this server reads the numbers store read-only (so CLI reads work beside it)",
            "Use `nhskg returns retire|restore` while it is stopped, or serve with "
            "--writable-numbers.",
        )
    try:
        done = (retire if retiring else restore)(context.reference.store, numbers, id, note)
    except BatchError as exc:
        raise UserError(str(exc), "List the batches with the batches query.") from exc
    return batch_of(done)
