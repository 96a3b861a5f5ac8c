"""The forecasters: one series in, a point forecast and central prediction intervals per horizon
out.

- ENSEMBLE (the default): the equal-weight average, quantile by quantile, of ARIMA and
  LINEAR_TREND; it beat both baselines and either part alone in the backtest (README).
- ARIMA: statsmodels' ARIMA(1,1,0) (no constant: the day-on-day change persists and fades) fitted
  by Yule-Walker on the last 28 days, with its own prediction intervals.
- ETS: statsmodels' ETSModel (additive errors, damped additive trend) on log(1 + y); slower (a
  numerical fit per series) and no better here: kept for comparison.
- PERSISTENCE (the last value) and LINEAR_TREND (a least-squares line through the last 7 days): the
  baselines, with intervals from their own past errors at each horizon.

Nothing is negative: points and bounds are cut at 0."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from service.forecast.choices import Model

# Central prediction intervals given with every forecast (50%, 80%, 90%, 95%): the weighted
# interval score is computed over these and the median.
ALPHAS: tuple[float, ...] = (0.5, 0.2, 0.1, 0.05)
# Days of history read before the origin (the baselines' past errors come from all of them);
# ARIMA is fitted on the last ARIMA_WINDOW.
WINDOW = 42
ARIMA_WINDOW = 28


@dataclass
class SeriesForecast:
    """Per horizon h = 1..H (index h-1): the point forecast and, per alpha of ALPHAS, the
    (lower, upper) bounds of the central 1-alpha interval."""

    point: np.ndarray
    lower: dict[float, np.ndarray]
    upper: dict[float, np.ndarray]

    @property
    def horizon(self) -> int:
        return len(self.point)


def forecast_series(history: np.ndarray, horizon: int, model: Model) -> SeriesForecast:
    """A forecast of the `horizon` days after the last value of `history` (daily, oldest first,
    no gaps; NaN-free). A series too short or flat for ETS falls back to persistence."""
    y = np.asarray(history, dtype=float)[-WINDOW:]
    if len(y) == 0:
        raise ValueError("no history to forecast from")
    if model == Model.ENSEMBLE:
        return _mean(forecast_series(y, horizon, Model.ARIMA), _linear(y, horizon))
    if model in (Model.ETS, Model.ARIMA):
        fitted = _ets(y, horizon) if model == Model.ETS else _arima(y, horizon)
        if fitted is not None:
            return fitted
        model = Model.PERSISTENCE
    if model == Model.LINEAR_TREND:
        return _linear(y, horizon)
    return _persistence(y, horizon)


def _ets(y: np.ndarray, horizon: int) -> SeriesForecast | None:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    if len(y) < 10 or np.ptp(y) == 0:
        return None
    logged = pd.Series(np.log1p(np.clip(y, 0, None)), index=pd.RangeIndex(len(y)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = ETSModel(logged, error="add", trend="add", damped_trend=True).fit(
                disp=False, maxiter=200
            )
            prediction = fit.get_prediction(start=len(y), end=len(y) + horizon - 1)
            point = np.clip(np.expm1(np.asarray(prediction.predicted_mean, dtype=float)), 0, None)
            lower, upper = {}, {}
            for alpha in ALPHAS:  # log1p's inverse goes down to -1: cut at 0
                bounds = np.clip(np.expm1(np.asarray(prediction.pred_int(alpha=alpha))), 0, None)
                lower[alpha], upper[alpha] = bounds[:, 0], bounds[:, 1]
        except (ValueError, np.linalg.LinAlgError):
            return None
    if not np.all(np.isfinite(point)) or any(not np.all(np.isfinite(u)) for u in upper.values()):
        return None
    return SeriesForecast(point, lower, upper)


def _arima(y: np.ndarray, horizon: int) -> SeriesForecast | None:
    from statsmodels.tsa.arima.model import ARIMA

    y = y[-ARIMA_WINDOW:]
    if len(y) < 7 or np.ptp(y) == 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = ARIMA(pd.Series(y), order=(1, 1, 0), trend="n").fit(method="yule_walker")
            prediction = fit.get_forecast(horizon)
            point = np.asarray(prediction.predicted_mean, dtype=float)
            lower, upper = {}, {}
            for alpha in ALPHAS:
                bounds = np.asarray(prediction.conf_int(alpha=alpha), dtype=float)
                lower[alpha] = np.clip(bounds[:, 0], 0, None)
                upper[alpha] = np.clip(bounds[:, 1], 0, None)
        except (ValueError, np.linalg.LinAlgError):
            return None
    if not np.all(np.isfinite(point)) or any(not np.all(np.isfinite(u)) for u in upper.values()):
        return None
    return SeriesForecast(np.clip(point, 0, None), lower, upper)


def _mean(a: SeriesForecast, b: SeriesForecast) -> SeriesForecast:
    """The average of two forecasts, point and each bound (Vincentization)."""
    return SeriesForecast(
        (a.point + b.point) / 2,
        {k: (a.lower[k] + b.lower[k]) / 2 for k in ALPHAS},
        {k: (a.upper[k] + b.upper[k]) / 2 for k in ALPHAS},
    )


def _persistence(y: np.ndarray, horizon: int) -> SeriesForecast:
    point = np.full(horizon, y[-1])
    errors = [y[h:] - y[:-h] if len(y) > h else np.array([]) for h in range(1, horizon + 1)]
    return _with_empirical_intervals(point, errors)


def _linear(y: np.ndarray, horizon: int, days: int = 7) -> SeriesForecast:
    def line(segment: np.ndarray, ahead: np.ndarray) -> np.ndarray:
        x = np.arange(len(segment))
        if len(segment) < 2:
            return np.full(len(ahead), segment[-1])
        slope, intercept = np.polyfit(x, segment, 1)
        return np.asarray(intercept + slope * (len(segment) - 1 + ahead), dtype=float)

    steps = np.arange(1, horizon + 1)
    point = np.clip(line(y[-days:], steps), 0, None)
    # The same rule's past errors at each horizon, from every earlier origin in the window.
    errors: list[list[float]] = [[] for _ in range(horizon)]
    for end in range(days, len(y)):
        past = np.clip(line(y[end - days : end], steps), 0, None)
        for h in range(1, horizon + 1):
            if end - 1 + h < len(y):
                errors[h - 1].append(float(y[end - 1 + h] - past[h - 1]))
    return _with_empirical_intervals(point, [np.asarray(e) for e in errors])


def _with_empirical_intervals(point: np.ndarray, errors: list[np.ndarray]) -> SeriesForecast:
    """Intervals from the quantiles of past errors at each horizon; a horizon with fewer than 5
    past errors borrows the 1-day errors' spread scaled by sqrt(h) (a random walk)."""
    one_day = errors[0] if len(errors[0]) else np.zeros(1)
    levels = [q for alpha in ALPHAS for q in (alpha / 2, 1 - alpha / 2)]
    spread = np.empty((len(point), len(levels)))
    for i, e in enumerate(errors):
        sample = e if len(e) >= 5 else one_day * np.sqrt(i + 1)
        spread[i] = np.quantile(sample, levels)
    lower: dict[float, np.ndarray] = {}
    upper: dict[float, np.ndarray] = {}
    for k, alpha in enumerate(ALPHAS):
        lower[alpha] = np.clip(point + spread[:, 2 * k], 0, None)
        upper[alpha] = np.clip(point + spread[:, 2 * k + 1], 0, None)
    return SeriesForecast(point, lower, upper)
