"""GraphQL revisions: which values a later release changed from what an earlier one had
published, by how much, per value and per area (service/returns/revisions.py)."""

from __future__ import annotations

import datetime as dt

import strawberry

from service.api.graphql.context import Context
from service.api.graphql.errors import UserError
from service.api.graphql.iris import iri_field, term
from service.api.graphql.numbers_resolvers import require_metric, require_numbers
from service.returns.revisions import AreaRevision, Revision, by_area, revisions


@strawberry.type(description="One value a later release changed.")
class RevisedValue:
    code: str = iri_field(term("reportedCode"), "The code the return gave.")
    organisation_code: str = iri_field(term("reportingOrganisation"), "Who it counts for.")
    area: str = iri_field(term("statedRegion"), "The region the later release states (ODS code).")
    period_start: dt.date
    period_end: dt.date
    before: float | None = strawberry.field(
        description="As published by the first release (null: suppressed by the source)."
    )
    after: float | None = strawberry.field(
        description="As published by the second release (null: suppressed by the source)."
    )
    change: float | None = strawberry.field(description="Null when either value is suppressed.")
    before_batch: str
    after_batch: str
    area_type: str | None = strawberry.field(
        default=None,
        description="For a value reported by area: the reporting area's type (LAD, MSOA ...).",
    )

    @classmethod
    def of(cls, r: Revision) -> RevisedValue:
        return cls(
            code=r.reporter,
            organisation_code=r.org_code,
            area=r.region_code,
            period_start=r.period_start,
            period_end=r.period_end,
            before=r.before,
            after=r.after,
            change=r.change,
            before_batch=r.before_batch,
            after_batch=r.after_batch,
            area_type=r.area_type,
        )


@strawberry.type(description="The revisions of one area and period, summed.")
class AreaRevisionTotal:
    area: str = strawberry.field(description="The stated region (ODS code).")
    period_start: dt.date
    count: int = strawberry.field(description="Values revised.")
    before: float
    after: float
    change: float

    @classmethod
    def of(cls, r: AreaRevision) -> AreaRevisionTotal:
        return cls(
            area=r.area,
            period_start=r.period_start,
            count=r.count,
            before=r.before,
            after=r.after,
            change=r.change,
        )


@strawberry.type(description="What the second release changed of what the first had published.")
class RevisionsResult:
    metric: str
    between: list[dt.date]
    count: int = strawberry.field(description="Values revised (all of them, whatever first is).")
    total_change: float
    values: list[RevisedValue] = strawberry.field(description="The first values revised.")
    areas: list[AreaRevisionTotal]


def revisions_field(
    context: Context,
    metric: str,
    start: dt.date,
    end: dt.date,
    between: list[dt.date],
    first: int | None,
) -> RevisionsResult:
    term_ = require_metric(context, metric)
    if len(between) != 2:
        raise UserError("between takes two release dates", 'between: ["2020-11-19", "2020-12-10"]')
    if between[0] > between[1] or start > end:
        raise UserError("dates out of order", "Give the earlier release (and from) first.")
    first = context.max_page_size if first is None else first
    if not 0 < first <= context.max_page_size:
        raise UserError(f"first must be between 1 and {context.max_page_size}", "Page less.")
    found = revisions(require_numbers(context), term_.iri, start, end, (between[0], between[1]))
    return RevisionsResult(
        metric=term_.key,
        between=list(between),
        count=len(found),
        total_change=sum(r.change or 0.0 for r in found),
        values=[RevisedValue.of(r) for r in found[:first]],
        areas=[AreaRevisionTotal.of(a) for a in by_area(found)],
    )
