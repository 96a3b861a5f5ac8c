"""GraphQL input and output of a change set's effect on a figure (checkChangeSet's `figure`)."""

from __future__ import annotations

import datetime as dt

import strawberry

from service.api.graphql.errors import UserError
from service.mapping.spec import MappingError
from service.returns.spec import metric_term
from service.rollup.model import AS_REPORTED, DEFAULT_METHOD, Method, to_organisations_at
from service.stewardship.effect import FigureEffect, FigureQuestion


@strawberry.input(description="The figure to compare with and without the change set.")
class FigureInput:
    metric: str = strawberry.field(description="A metric of the scheme (BedsOccupiedCovid).")
    area_type: str = strawberry.field(description="Area type to roll up to (LRF).")
    date: dt.date = strawberry.field(description="The period (a day) to roll up.")
    method: str = strawberry.field(default=DEFAULT_METHOD.value, description="Placement method.")
    restate_at: dt.date | None = strawberry.field(
        default=None, description="Restate values to the organisations of this date."
    )

    def question(self) -> FigureQuestion:
        try:
            metric = str(metric_term(self.metric))
            method = Method(self.method)
        except (MappingError, AttributeError, ValueError) as exc:
            raise UserError(
                f"cannot compare figures: {exc}",
                f"methods: {', '.join(m.value for m in Method)}",
            ) from exc
        restate = to_organisations_at(self.restate_at) if self.restate_at else AS_REPORTED
        return FigureQuestion(metric, self.area_type, self.date, method, restate)


@strawberry.type(description="A roll-up row the change set would change.")
class FigureRowChange:
    area: str
    period_start: dt.date
    before: float | None = strawberry.field(description="Null: no such row now.")
    after: float | None = strawberry.field(description="Null: the row would disappear.")
    change: float


@strawberry.type(description="The figure with and without the change set, rows that differ.")
class FigureEffectResult:
    question: str
    rows_compared: int
    changes: list[FigureRowChange]

    @classmethod
    def of(cls, effect: FigureEffect) -> FigureEffectResult:
        return cls(
            question=effect.question.describe(),
            rows_compared=len(effect.before.rows),
            changes=[
                FigureRowChange(
                    area=c.area,
                    period_start=c.period_start,
                    before=c.before,
                    after=c.after,
                    change=c.change,
                )
                for c in effect.changes
            ],
        )
