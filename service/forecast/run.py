"""Forecast every area of a geography type, 1 to H days after the last day known at the forecast
date, by one of two approaches:

- AREA: the area's own figure (the roll-up) is forecast;
- CONTRIBUTORS: each organisation is forecast and the forecasts are rolled up with the shares the
  areas take of it; an area's interval combines its contributors' as if independent (each
  bound's distance from the point added in quadrature).

Only values known at the forecast date are read (`numbers.known_at(day)`): a release published
later changes nothing (tests/test_forecast.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from service.forecast.choices import Approach
from service.forecast.models import ALPHAS, WINDOW, Model, SeriesForecast, forecast_series
from service.forecast.series import (
    Contributions,
    Series,
    area_series,
    contributor_series,
    last_day_held,
)
from service.returns.numbers import NumbersStore
from service.rollup.model import NATIONAL, Method, Scope

if TYPE_CHECKING:  # the disclosure rule (service/access/disclosure.py) the caller's figures get
    from service.access.disclosure import Protection

MAX_HORIZON = 14


class ForecastError(ValueError):
    """A forecast that cannot be made as asked (the message says what to change)."""


@dataclass
class ForecastPoint:
    day: date
    horizon: int
    value: float  # point forecast (the median)
    intervals: dict[float, tuple[float, float]]  # alpha -> (lower, upper) of the 1-alpha interval


@dataclass
class AreaForecast:
    area: str
    last_day: date  # the last day of data the forecast starts after
    last_value: float
    history: list[tuple[date, float]]  # the values it was trained on (up to WINDOW days)
    points: list[ForecastPoint]
    contributors: int = 1  # organisations forecast (CONTRIBUTORS), 1 for AREA
    fallback: list[str] = field(default_factory=list)  # notes (e.g. too short for ETS)


@dataclass
class ForecastRun:
    metric: str
    area_type: str
    method: Method
    approach: Approach
    model: Model
    known_at: date | None
    last_day: date
    horizon: int
    areas: list[AreaForecast]


def training_range(last: date) -> tuple[date, date]:
    return last - timedelta(days=WINDOW - 1), last


def forecast(
    numbers: NumbersStore,
    metric: str,
    area_type: str,
    method: Method,
    *,
    known_at: date | None = None,
    horizon: int = MAX_HORIZON,
    approach: Approach = Approach.AREA,
    model: Model = Model.ENSEMBLE,
    scope: Scope = NATIONAL,
    origin: date | None = None,
    protection: Protection | None = None,
) -> ForecastRun:
    """Forecast every area of `area_type` from the values known at `known_at` (default: the
    latest releases), starting after `origin` (default: the last day held then); with
    `protection`, from the figures the caller may see (history and forecast alike)."""
    if not 1 <= horizon <= MAX_HORIZON:
        raise ForecastError(f"horizon must be 1 to {MAX_HORIZON} days, not {horizon}")
    view = numbers.known_at(known_at)
    last = last_day_held(view, metric)
    if last is None:
        when = f" by {known_at}" if known_at else ""
        raise ForecastError(f"no values of the metric had been released{when}")
    if origin is not None:
        if origin > last:
            raise ForecastError(f"the origin {origin} is after the last day held ({last})")
        last = origin
    start, end = training_range(last)
    if approach == Approach.AREA:
        series = area_series(view, metric, area_type, start, end, method, scope, protection)
        found = [forecast_area(a, s, end, horizon, model) for a, s in sorted(series.items())]
    else:
        contributions = contributor_series(
            view, metric, area_type, start, end, method, scope, protection
        )
        found = roll_up_forecasts(contributions, end, horizon, model)
    areas = [a for a in found if a is not None]
    return ForecastRun(metric, area_type, method, approach, model, known_at, last, horizon, areas)


def forecast_area(
    area: str, series: Series, last: date, horizon: int, model: Model
) -> AreaForecast | None:
    history = series.until(last)
    if not len(history):
        return None
    fitted = forecast_series(history, horizon, model)
    return _area_forecast(area, history, last, fitted, 1)


def _area_forecast(
    area: str, history: np.ndarray, last: date, fitted: SeriesForecast, contributors: int
) -> AreaForecast:
    first = last - timedelta(days=len(history) - 1)
    points = [
        ForecastPoint(
            last + timedelta(days=h),
            h,
            float(fitted.point[h - 1]),
            {a: (float(fitted.lower[a][h - 1]), float(fitted.upper[a][h - 1])) for a in ALPHAS},
        )
        for h in range(1, fitted.horizon + 1)
    ]
    return AreaForecast(
        area,
        last,
        float(history[-1]),
        [(first + timedelta(days=i), float(v)) for i, v in enumerate(history)],
        points,
        contributors,
    )


def organisation_forecasts(
    contributions: Contributions, last: date, horizon: int, model: Model
) -> dict[str, tuple[np.ndarray, SeriesForecast]]:
    """Each organisation's history and forecast (one fit per organisation whatever the number of
    areas it is placed in)."""
    out: dict[str, tuple[np.ndarray, SeriesForecast]] = {}
    for code, series in contributions.organisations.items():
        history = series.until(last)
        if len(history):
            out[code] = (history, forecast_series(history, horizon, model))
    return out


def roll_up_forecasts(
    contributions: Contributions,
    last: date,
    horizon: int,
    model: Model,
    fitted: dict[str, tuple[np.ndarray, SeriesForecast]] | None = None,
) -> list[AreaForecast | None]:
    fitted = fitted or organisation_forecasts(contributions, last, horizon, model)
    out: list[AreaForecast | None] = []
    for area, shares in sorted(contributions.shares.items()):
        parts = [(fitted[c], s) for c, s in shares.items() if c in fitted]
        if not parts:
            out.append(None)
            continue
        length = max(len(h) for (h, _), _ in parts)
        history = np.zeros(length)
        point = np.zeros(horizon)
        spread_lo = {a: np.zeros(horizon) for a in ALPHAS}
        spread_hi = {a: np.zeros(horizon) for a in ALPHAS}
        for (h, f), share in parts:
            history[length - len(h) :] += share * h
            point += share * f.point
            for a in ALPHAS:
                spread_lo[a] += (share * (f.point - f.lower[a])) ** 2
                spread_hi[a] += (share * (f.upper[a] - f.point)) ** 2
        lower = {a: np.clip(point - np.sqrt(spread_lo[a]), 0, None) for a in ALPHAS}
        upper = {a: point + np.sqrt(spread_hi[a]) for a in ALPHAS}
        combined = SeriesForecast(point, lower, upper)
        out.append(_area_forecast(area, history, last, combined, len(parts)))
    return out


def doubling_days(start: float, end: float, days: int) -> float | None:
    """Days the figure takes to double at the growth from `start` to `end` over `days` (None
    when it does not grow)."""
    if start <= 0 or end <= start:
        return None
    return days * math.log(2) / math.log(end / start)
