"""The steward queue in GraphQL: what needs a decision (the same list as `nhskg queue`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from service.access.policy import AccessDenied, Need
from service.api.graphql.errors import UserError, denied
from service.api.graphql.iris import iri_field, term
from service.geography.assign import UnknownAreaType
from service.stewardship.queue import KINDS, QueueItem, UnknownQueueKind, queue


@strawberry.type(description="One thing waiting for a data steward's decision.")
class StewardQueueItem:
    kind: str = strawberry.field(description=f"One of {', '.join(KINDS)}.")
    code: str = iri_field(term("odsCode"), "The organisation (a succession: its predecessor).")
    name: str = strawberry.field(description="Its name (a retired code: the return file).")
    reason: str = strawberry.field(description="What is undecided, in plain words.")
    related: list[str] = strawberry.field(
        description="Successors, stated regions or conflicting areas, by kind."
    )
    values: int | None = strawberry.field(description="Reported values concerned.")
    first_period: dt.date | None
    last_period: dt.date | None
    details: JSON = strawberry.field(description="Evidence (event IRI, methods' areas...).")

    @classmethod
    def of(cls, item: QueueItem) -> StewardQueueItem:
        return cls(
            kind=item.kind,
            code=item.code,
            name=item.name,
            reason=item.reason,
            related=list(item.related),
            values=item.values,
            first_period=item.first_period,
            last_period=item.last_period,
            details=cast(JSON, item.details),
        )


def steward_queue(
    info: Info,
    kinds: list[str] | None,
    area_type: str,
    as_of: dt.date | None,
) -> list[StewardQueueItem]:
    context: Any = info.context
    try:
        context.access.require(Need.STEWARD)
    except AccessDenied as exc:
        raise denied(exc) from exc
    try:
        items = queue(
            context.reference.store,
            getattr(context, "numbers", None),
            kinds=kinds or KINDS,
            area_type=area_type,
            on=as_of,
        )
    except (UnknownQueueKind, UnknownAreaType) as exc:
        raise UserError(str(exc)) from exc
    return [StewardQueueItem.of(i) for i in items if context.access.allows(i.code)]
