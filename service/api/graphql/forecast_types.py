"""GraphQL `forecast` and `strain`: forecasts of an area type's figures with prediction intervals,
and the strain flags the ontology's thresholds raise, with their evidence. Both pass through the
same checks as `rollup` (metric granted, area type and placements known, the caller's scope), and
answer from the values known at `asKnownAt` (default: the latest releases)."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from service.access.disclosure import Protection
from service.access.policy import AccessDenied, Need
from service.api.graphql.context import Context
from service.api.graphql.errors import UserError, denied
from service.api.graphql.numbers_resolvers import _placed, require_metric, require_numbers
from service.api.graphql.numbers_types import Metric, ThresholdBasis
from service.api.graphql.resolvers import require_area_type
from service.api.graphql.rollup_shape import _area
from service.api.graphql.rollup_types import Coverage, RollupMethod
from service.api.graphql.types import GeographicArea
from service.forecast import models
from service.forecast import run as forecasting
from service.reference.metrics import MetricTerm
from service.rollup.engine import RollupError
from service.rollup.model import Method
from service.strain import flags as strain_model
from service.strain.areas import strain_flags


@strawberry.enum(description="Forecast the area's figure, or each organisation then roll up.")
class ForecastApproach(Enum):
    AREA = "AREA"
    CONTRIBUTORS = "CONTRIBUTORS"


@strawberry.enum(
    description="ENSEMBLE (mean of ARIMA and LINEAR_TREND; the default of every metric the "
    "ontology forecasts, nhskg:forecastModel), ARIMA (statsmodels "
    "ARIMA(1,1,0)), ETS (statsmodels ETSModel, damped trend, log scale), PERSISTENCE and "
    "LINEAR_TREND (the 7-day line): the backtest's scores are in the README."
)
class ForecastModel(Enum):
    ENSEMBLE = "ENSEMBLE"
    ARIMA = "ARIMA"
    ETS = "ETS"
    PERSISTENCE = "PERSISTENCE"
    LINEAR_TREND = "LINEAR_TREND"


@strawberry.type(description="A central prediction interval.")
class PredictionInterval:
    level: float = strawberry.field(description="Coverage aimed at (0.9: the 90% interval).")
    lower: float
    upper: float


@strawberry.type(description="One day of a forecast.")
class ForecastPoint:
    day: dt.date
    days_ahead: int = strawberry.field(description="Days after the last day known.")
    value: float = strawberry.field(description="The point forecast (median).")
    intervals: list[PredictionInterval] = strawberry.field(description="50, 80, 90 and 95%.")


@strawberry.type(description="One observed day the forecast was trained on.")
class ObservedPoint:
    day: dt.date
    value: float


@strawberry.type(description="An area's forecast.")
class AreaForecast:
    area: GeographicArea
    last_day: dt.date = strawberry.field(description="The last day known at the forecast date.")
    last_value: float
    history: list[ObservedPoint] = strawberry.field(description="The days it was trained on.")
    points: list[ForecastPoint]
    contributors: int = strawberry.field(description="Organisations forecast (CONTRIBUTORS).")


@strawberry.type(description="Forecasts of a metric for every area of a type.")
class ForecastResult:
    metric: Metric
    by: str
    method: RollupMethod
    approach: ForecastApproach
    model: ForecastModel
    as_known_at: dt.date | None
    last_day: dt.date
    horizon: int
    areas: list[AreaForecast]


@strawberry.type(description="A strain threshold of the ontology (ontology/strain.ttl).")
class StrainThreshold(ThresholdBasis):
    iri: str
    label: str
    definition: str
    value: float
    direction: str = strawberry.field(description="StrainAbove or StrainBelow.")
    quantity: str = strawberry.field(description="FigureValue or DoublingTime.")


@strawberry.type(description="Capacity the figure is set against, where held.")
class StrainCapacity:
    metric: str
    value: float
    period_start: dt.date


@strawberry.type(description="An area judged against one threshold, with the evidence.")
class StrainFlag:
    area: GeographicArea
    threshold: StrainThreshold
    flagged: bool
    basis: str | None = strawberry.field(description="current or forecast; null: not flagged.")
    reason: str
    current_day: dt.date | None
    current_value: float | None
    current_quantity: float | None = strawberry.field(
        description="The compared quantity now (the figure, or its doubling time in days)."
    )
    forecast_quantity: float | None = strawberry.field(
        description="The compared quantity by the forecast."
    )
    crossing_day: dt.date | None = strawberry.field(
        description="The first forecast day past the threshold."
    )
    forecast: ForecastPoint | None = strawberry.field(
        description="The forecast's last day, with its intervals."
    )
    capacity: StrainCapacity | None
    coverage: Coverage | None


def _checked(context: Context, metric: str, by: str, method: Method) -> MetricTerm:
    term = require_metric(context, metric)
    try:
        context.access.require_metric(term.key)
    except AccessDenied as exc:
        raise denied(exc) from exc
    require_area_type(context, by)
    _placed(require_numbers(context), method, by)
    return term


def protection_of(context: Context, term: MetricTerm) -> Protection | None:
    """The disclosure rule the caller's figures of the metric get (the one rule every roll-up
    reads, service/access/policy.py): forecasts and strain flags are figures too."""
    try:
        return context.access.protection(term.iri, require_numbers(context).path)
    except AccessDenied as exc:
        raise denied(exc) from exc


def _point(p: forecasting.ForecastPoint) -> ForecastPoint:
    return ForecastPoint(
        day=p.day,
        days_ahead=p.horizon,
        value=p.value,
        intervals=[
            PredictionInterval(
                level=round(1 - a, 4), lower=p.intervals[a][0], upper=p.intervals[a][1]
            )
            for a in models.ALPHAS
        ],
    )


def forecast_field(
    context: Context,
    metric: str,
    by: str,
    method: RollupMethod,
    horizon: int,
    approach: ForecastApproach | None,
    model: ForecastModel | None,
    as_known_at: dt.date | None,
) -> ForecastResult:
    placed = Method(method.value)
    term = _checked(context, metric, by, placed)
    limit = context.reference.early_warning.horizons.get(term.iri)
    if limit is None:
        forecast_metrics = sorted(
            k.rsplit("#", 1)[-1] for k in context.reference.early_warning.horizons
        )
        raise UserError(
            f"{term.key} is not forecast",
            f"Metrics with a forecast horizon: {', '.join(forecast_metrics)}.",
        )
    try:  # what the question does not name: the metric's default in the ontology
        stated = context.reference.early_warning.default_for(term.iri)
        approach = approach or ForecastApproach(stated.approach)
        model = model or ForecastModel(stated.model)
    except (LookupError, ValueError) as exc:
        raise UserError(str(exc), "Name the model and approach in the question.") from exc
    if not 1 <= horizon <= limit:
        raise UserError(f"horizon must be 1 to {limit} days, not {horizon}", "Ask 1 to 14.")
    try:
        result = forecasting.forecast(
            require_numbers(context),
            term.iri,
            by,
            placed,
            known_at=as_known_at,
            horizon=horizon,
            approach=forecasting.Approach(approach.value),
            model=models.Model(model.value),
            scope=context.access.rollup_scope(),
            protection=protection_of(context, term),
        )
    except (forecasting.ForecastError, RollupError) as exc:
        raise UserError(str(exc), "Ask as known at a later date, or for another metric.") from exc
    areas: dict[str, GeographicArea] = {}
    return ForecastResult(
        metric=Metric.of(term),
        by=by,
        method=method,
        approach=approach,
        model=model,
        as_known_at=as_known_at,
        last_day=result.last_day,
        horizon=horizon,
        areas=[
            AreaForecast(
                area=_area(context, a.area, areas),
                last_day=a.last_day,
                last_value=a.last_value,
                history=[ObservedPoint(day=d, value=v) for d, v in a.history],
                points=[_point(p) for p in a.points],
                contributors=a.contributors,
            )
            for a in result.areas
        ],
    )


def strain_field(
    context: Context,
    metric: str,
    by: str,
    method: RollupMethod,
    as_known_at: dt.date | None,
    flagged_only: bool,
) -> list[StrainFlag]:
    placed = Method(method.value)
    term = _checked(context, metric, by, placed)
    try:
        found = strain_flags(
            require_numbers(context),
            context.reference.early_warning,
            term.iri,
            by,
            placed,
            known_at=as_known_at,
            scope=context.access.rollup_scope(),
            protection=protection_of(context, term),
        )
    except (forecasting.ForecastError, RollupError) as exc:
        raise UserError(str(exc), "See ontology/strain.ttl for the thresholds stated.") from exc
    names_organisations = context.access.may(Need.RECORDS)
    areas: dict[str, GeographicArea] = {}
    return [
        _flag(context, f, areas, names_organisations)
        for f in found
        if f.flagged or not flagged_only
    ]


def _flag(
    context: Context,
    f: strain_model.StrainFlag,
    areas: dict[str, GeographicArea],
    names_organisations: bool,
) -> StrainFlag:
    t = f.threshold
    coverage = None
    if f.coverage is not None:  # the public role sees the counts, not who is missing
        missing = f.coverage.missing if names_organisations else []
        coverage = Coverage(
            reported=f.coverage.reported, expected=f.coverage.expected, missing=missing
        )
    return StrainFlag(
        area=_area(context, f.area, areas),
        threshold=StrainThreshold(
            iri=t.iri,
            label=t.label,
            definition=t.definition,
            value=t.value,
            direction=t.direction,
            quantity=t.quantity,
            assumption=t.basis.assumed,
            source=t.basis.source,
        ),
        flagged=f.flagged,
        basis=f.basis,
        reason=f.reason,
        current_day=f.current_day,
        current_value=f.current_value,
        current_quantity=f.current_quantity,
        forecast_quantity=f.forecast_quantity,
        crossing_day=f.crossing_day,
        forecast=_point(f.forecast) if f.forecast else None,
        capacity=(
            StrainCapacity(
                metric=f.capacity.metric,
                value=f.capacity.value,
                period_start=f.capacity.period_start,
            )
            if f.capacity
            else None
        ),
        coverage=coverage,
    )
