"""The one evaluation of strain thresholds (ontology/strain.ttl; a threshold is a value, the side
of it that is strain and the quantity compared: the figure itself, or the days it takes to
double). An area is flagged when its current figure, or its forecast within the horizon, crosses
the threshold; the answer carries the evidence: the current figure and its day, the forecast and
its 90% interval, the capacity where held, and the coverage of the figure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from service.forecast.run import AreaForecast, ForecastPoint, doubling_days
from service.reference.metrics import MetricTerm
from service.reference.strain import UNSTATED, Threshold

# The interval given as evidence (alpha of service/forecast/models.ALPHAS): 90%.
EVIDENCE_ALPHA = 0.1
# Days over which the current growth is measured for a doubling time.
GROWTH_DAYS = 7


@dataclass
class Capacity:
    metric: str  # key
    value: float
    period_start: date


@dataclass
class FigureCoverage:
    reported: int
    expected: int
    missing: list[str] = field(default_factory=list)


@dataclass
class StrainFlag:
    area: str
    threshold: Threshold
    flagged: bool
    basis: str | None  # "current" or "forecast" (which crossed first), None when not flagged
    reason: str  # in plain words, with the figures
    current_day: date | None
    current_value: float | None
    current_quantity: float | None  # the compared quantity now (the figure, or doubling days)
    forecast_quantity: float | None  # the compared quantity by the forecast
    crossing_day: date | None  # the first forecast day past the threshold
    forecast: ForecastPoint | None  # the last day of the horizon, with its intervals
    capacity: Capacity | None = None
    coverage: FigureCoverage | None = None
    forecast_horizon: int = 0
    area_forecast: AreaForecast | None = None  # the whole forecast and its history (charts)


def crosses(quantity: float | None, threshold: Threshold) -> bool:
    if quantity is None:
        return False
    if threshold.direction == "StrainBelow":
        return quantity < threshold.value
    return quantity > threshold.value


def evaluate(
    threshold: Threshold,
    area: str,
    history: list[tuple[date, float]],
    forecast: AreaForecast | None,
    capacity: Capacity | None = None,
    coverage: FigureCoverage | None = None,
) -> StrainFlag:
    """`history`: the area's figures up to the last day known (oldest first); `forecast`: its
    forecast from that day (None for a metric that is not forecast)."""
    day, value = history[-1] if history else (None, None)
    current = _current(threshold, history)
    projected, crossing = _forecast(threshold, forecast)
    now, ahead = crosses(current, threshold), crosses(projected, threshold)
    basis = "current" if now else "forecast" if ahead else None
    return StrainFlag(
        area=area,
        threshold=threshold,
        flagged=basis is not None,
        basis=basis,
        reason=_reason(threshold, current, projected, crossing, basis),
        current_day=day,
        current_value=value,
        current_quantity=current,
        forecast_quantity=projected,
        crossing_day=crossing,
        forecast=forecast.points[-1] if forecast and forecast.points else None,
        capacity=capacity,
        coverage=coverage,
        forecast_horizon=len(forecast.points) if forecast else 0,
        area_forecast=forecast,
    )


def _current(threshold: Threshold, history: list[tuple[date, float]]) -> float | None:
    if not history:
        return None
    day, value = history[-1]
    if threshold.quantity != "DoublingTime":
        return value
    earlier = dict(history).get(day - timedelta(days=GROWTH_DAYS))
    return None if earlier is None else doubling_days(earlier, value, GROWTH_DAYS)


def _forecast(
    threshold: Threshold, forecast: AreaForecast | None
) -> tuple[float | None, date | None]:
    """The compared quantity by the forecast, and the first day it is past the threshold."""
    if forecast is None or not forecast.points:
        return None, None
    if threshold.quantity == "DoublingTime":
        for p in forecast.points:
            days = doubling_days(forecast.last_value, p.value, p.horizon)
            # Judged over at least a week: a one-day rise is not a doubling time.
            if p.horizon >= GROWTH_DAYS and crosses(days, threshold):
                return days, p.day
        end = forecast.points[-1]
        return doubling_days(forecast.last_value, end.value, end.horizon), None
    for p in forecast.points:
        if crosses(p.value, threshold):
            return p.value, p.day
    return forecast.points[-1].value, None


def _reason(
    threshold: Threshold,
    current: float | None,
    projected: float | None,
    crossing: date | None,
    basis: str | None,
) -> str:
    side = "below" if threshold.direction == "StrainBelow" else "above"
    what = "doubling time (days)" if threshold.quantity == "DoublingTime" else "figure"
    now = "none (not growing)" if current is None else f"{current:.3g}"
    ahead = "none (not growing)" if projected is None else f"{projected:.3g}"
    verdict = {
        "current": "flagged now",
        "forecast": f"flagged by the forecast from {crossing}",
        None: "not flagged",
    }[basis]
    return (
        f"{threshold.label}: {verdict}; {what} now {now}, by the forecast {ahead} "
        f"(strain {side} {threshold.value:g}; {threshold.basis.note})"
    )


@dataclass(frozen=True)
class ValueFlag:
    """A figure (a roll-up row's value) against its metric's threshold on the figure itself."""

    metric: str  # the metric's key
    threshold: Threshold
    quantity: float
    flagged: bool

    @property
    def reason(self) -> str:
        side = "above" if self.threshold.direction == "StrainAbove" else "below"
        verdict = "strain" if self.flagged else "no strain"
        return (
            f"{verdict}: {self.quantity:.4g} against strain {side} {self.threshold.value:g} "
            f"({self.threshold.basis.note})"
        )


def flag_value(metric: MetricTerm, value: float | None) -> ValueFlag | None:
    """The strain flag of one figure of a metric (occupancy, days of stock) against the
    threshold the ontology states on the figure itself (MetricTerm.strain; doubling-time
    thresholds are the early-warning evaluation's above); None when there is none or no value."""
    if metric.strain is None or value is None:
        return None
    iri, threshold_value, direction = metric.strain
    threshold = Threshold(
        iri=iri, key=iri.rsplit("#", 1)[-1], metric=metric.iri, label="", definition="",
        value=threshold_value, direction=direction,
        basis=metric.strain_basis or UNSTATED,
    )  # fmt: skip
    return ValueFlag(metric.key, threshold, value, crosses(value, threshold))
