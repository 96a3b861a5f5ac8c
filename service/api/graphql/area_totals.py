"""GraphQL publishedTotals: the totals a publication of values by area gives for larger areas (its
region and England rows) beside the sum of their parts, with the difference
(service/rollup/areas.py). National figures: a caller whose grant is a set of organisations is
refused, as the parts are areas, not organisations."""

from __future__ import annotations

import datetime as dt

import strawberry

from service.access.policy import AccessDenied
from service.api.graphql.context import Context
from service.api.graphql.errors import UserError, denied
from service.api.graphql.iris import iri_field, term
from service.api.graphql.numbers_resolvers import require_metric, require_numbers
from service.rollup.areas import published_totals
from service.rollup.engine import RollupError
from service.rollup.model import NATIONAL


@strawberry.type(description="A total the publication gives, beside the sum of its parts.")
class PublishedTotal:
    area: str = strawberry.field(description="The larger area's code (E92000001: England).")
    period_start: dt.date = iri_field(term("periodStart"), "First day of the period.")
    published: float | None = strawberry.field(
        description="As the publication gives it (null: it gives none for this area and day)."
    )
    parts: float = strawberry.field(description="The sum of its parts placed in it.")
    parts_suppressed: int = strawberry.field(description="Suppressed cells among the parts.")
    difference: float | None = strawberry.field(description="published - parts.")


@strawberry.type(description="Parts placed in no larger area on a day (unknown or unplaced).")
class UnplacedParts:
    period_start: dt.date
    value: float


@strawberry.type(description="A publication's own totals checked against the sum of their parts.")
class PublishedTotalsResult:
    metric: str
    parts: str = strawberry.field(description="The type of the parts (LAD, MSOA ...).")
    total: str = strawberry.field(description="The type of the totals (ONS_REGION, NATION ...).")
    differing: int = strawberry.field(description="How many totals differ from their parts.")
    totals: list[PublishedTotal]
    unplaced: list[UnplacedParts]


def published_totals_field(
    context: Context, metric: str, parts: str, total: str, start: dt.date, end: dt.date
) -> PublishedTotalsResult:
    term_ = require_metric(context, metric)
    numbers = require_numbers(context)
    try:
        context.access.require_metric(term_.key)
        # Disclosure control as on every roll-up: both the published totals and their parts
        # are read from the perturbed values (service/access/disclosure.py).
        protection = context.access.protection(term_.iri, numbers.path)
        if context.access.rollup_scope() != NATIONAL:
            raise AccessDenied(
                403,
                "published totals of areas are national figures; your grant is a set of "
                "organisations",
                "Ask an approver for a national grant.",
            )
    except AccessDenied as exc:
        raise denied(exc) from exc
    if start > end:
        raise UserError(f"from ({start}) is after to ({end})", "Swap them.")
    try:
        found, unplaced = published_totals(
            numbers, term_.iri, parts, total, (start, end), protection=protection
        )
    except RollupError as exc:
        raise UserError(str(exc), "See the metric's reported area types.") from exc
    return PublishedTotalsResult(
        metric=term_.key,
        parts=parts,
        total=total,
        differing=sum(1 for t in found if t.difference),
        totals=[
            PublishedTotal(
                area=t.area,
                period_start=t.period_start,
                published=t.published,
                parts=t.parts,
                parts_suppressed=t.parts_suppressed,
                difference=t.difference,
            )
            for t in found
        ],
        unplaced=[UnplacedParts(period_start=d, value=v) for d, v in sorted(unplaced.items())],
    )
