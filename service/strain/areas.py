"""Strain flags for every area of a type: the figures, forecasts, capacity and coverage each
threshold of a metric needs, gathered from the roll-up engine and the forecaster as known at a
date, then judged by service/strain/flags.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from service.forecast.models import Model
from service.forecast.run import Approach, AreaForecast, ForecastError, forecast
from service.forecast.series import area_series, last_day_held
from service.reference.strain import EarlyWarningIndex
from service.returns.numbers import NumbersStore
from service.rollup.engine import rollup
from service.rollup.model import AS_REPORTED, NATIONAL, Method, Scope
from service.strain.flags import GROWTH_DAYS, Capacity, FigureCoverage, StrainFlag, evaluate

if TYPE_CHECKING:  # the disclosure rule (service/access/disclosure.py) the caller's figures get
    from service.access.disclosure import Protection


def strain_flags(
    numbers: NumbersStore,
    index: EarlyWarningIndex,
    metric: str,
    area_type: str,
    method: Method,
    *,
    known_at: date | None = None,
    scope: Scope = NATIONAL,
    origin: date | None = None,
    protection: Protection | None = None,
) -> list[StrainFlag]:
    """`origin`: judge the figures up to that day (default: the last day known); `protection`:
    judge the figures the caller may see (the metric's disclosure rule for them)."""
    thresholds = index.for_metric(metric)
    if not thresholds:
        stated = sorted({t.metric.rsplit("#", 1)[-1] for t in index.thresholds})
        raise ForecastError(
            f"no strain threshold is stated for {metric.rsplit('#', 1)[-1]} "
            f"(thresholds are stated for: {', '.join(stated) or 'none'})"
        )
    view = numbers.known_at(known_at)
    last = last_day_held(view, metric)
    if last is None:
        raise ForecastError(f"no values of the metric had been released by {known_at}")
    if origin is not None:
        if origin > last:
            raise ForecastError(f"the origin {origin} is after the last day held ({last})")
        last = origin
    horizon = index.horizons.get(metric)
    forecasts: dict[str, AreaForecast] = {}
    histories: dict[str, list[tuple[date, float]]] = {}
    if horizon:
        default = index.default_for(metric)  # the ontology's model and approach for the metric
        run = forecast(numbers, metric, area_type, method, known_at=known_at, horizon=horizon,
                       scope=scope, origin=last, approach=Approach(default.approach),
                       model=Model(default.model), protection=protection)  # fmt: skip
        for f in run.areas:
            forecasts[f.area], histories[f.area] = f, f.history
    else:
        start = last - timedelta(days=GROWTH_DAYS)
        for area, series in area_series(
            view, metric, area_type, start, last, method, scope, protection
        ).items():
            values = series.until(last)
            first = last - timedelta(days=len(values) - 1)
            histories[area] = [(first + timedelta(days=i), float(v)) for i, v in enumerate(values)]
    coverage = _coverage(view, metric, area_type, last, method, scope)
    flags = []
    for threshold in thresholds:
        capacity = (
            _capacity(view, threshold.capacity_metric, area_type, last, method, scope)
            if threshold.capacity_metric
            else {}
        )
        for area in sorted(histories):
            flags.append(
                evaluate(threshold, area, histories[area], forecasts.get(area),
                         capacity.get(area), coverage.get(area))
            )  # fmt: skip
    return flags


def _coverage(
    numbers: NumbersStore, metric: str, area_type: str, day: date, method: Method, scope: Scope
) -> dict[str, FigureCoverage]:
    result = rollup(numbers, metric, area_type, day, method, AS_REPORTED, scope, detail=False)
    return {
        r.area: FigureCoverage(r.coverage.reported, r.coverage.expected, r.coverage.missing)
        for r in result.rows
    }


def _capacity(
    numbers: NumbersStore, metric: str, area_type: str, day: date, method: Method, scope: Scope
) -> dict[str, Capacity]:
    """The capacity metric's latest figure per area on or before `day`, where it is held."""
    row = (
        numbers.reader()
        .execute(
            f"SELECT max(period_start) FROM {numbers.values} "
            "WHERE metric = ? AND period_start <= ?",
            [metric, day],
        )
        .fetchone()
    )
    if not row or row[0] is None:
        return {}
    held: date = row[0]
    result = rollup(numbers, metric, area_type, held, method, AS_REPORTED, scope, detail=False)
    key = metric.rsplit("#", 1)[-1]
    return {r.area: Capacity(key, r.value, r.period_start) for r in result.rows}
