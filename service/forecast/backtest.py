"""Rolling-origin backtest over the publications held: for each origin day, the forecast is made
from the values of the first release that held that day (as known then: later revisions unseen),
cut at the origin, and scored against the latest release's values 1..H days later, per metric,
geography type, approach, model and horizon: mean absolute error and mean weighted interval score
(service/forecast/scoring.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from service.forecast.models import ALPHAS, WINDOW, Model, forecast_series
from service.forecast.run import Approach, organisation_forecasts, roll_up_forecasts
from service.forecast.scoring import weighted_interval_score
from service.forecast.series import (
    Contributions,
    Series,
    area_series,
    contributor_series,
    first_release_holding,
)
from service.returns.numbers import NumbersStore
from service.rollup.model import Method


@dataclass(frozen=True)
class Target:
    metric: str
    area_type: str
    method: Method


@dataclass
class Score:
    """Mean scores of one (target, approach, model, horizon) over areas and origins."""

    metric: str
    area_type: str
    method: str
    approach: str
    model: str
    horizon: int
    count: int
    mae: float
    wis: float


@dataclass
class Backtest:
    origins: list[date]
    scores: list[Score] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


# (approach, model) pairs a backtest compares: the forecaster both ways, and the baselines.
DEFAULT_RUNS: tuple[tuple[Approach, Model], ...] = (
    (Approach.AREA, Model.ENSEMBLE),
    (Approach.CONTRIBUTORS, Model.ENSEMBLE),
    (Approach.AREA, Model.ARIMA),
    (Approach.AREA, Model.PERSISTENCE),
    (Approach.AREA, Model.LINEAR_TREND),
)


def origins_between(first: date, last: date, step: int) -> list[date]:
    out, day = [], first
    while day <= last:
        out.append(day)
        day += timedelta(days=step)
    return out


def backtest(
    numbers: NumbersStore,
    targets: Iterable[Target],
    origins: list[date],
    horizons: Iterable[int] = (1, 7, 14),
    runs: Iterable[tuple[Approach, Model]] = DEFAULT_RUNS,
    progress: Callable[[str], None] | None = None,
) -> Backtest:
    horizons, runs = sorted(set(horizons)), list(runs)
    longest = max(horizons)
    out = Backtest(origins)
    for target in targets:
        sums: dict[tuple[Approach, Model, int], list[tuple[float, float]]] = defaultdict(list)
        truth = area_series(
            numbers, target.metric, target.area_type,
            origins[0], origins[-1] + timedelta(days=longest), target.method,
        )  # fmt: skip
        vintages: dict[date, list[date]] = defaultdict(list)
        for origin in origins:
            release = first_release_holding(numbers, target.metric, origin)
            if release is None:
                out.skipped.append(f"{_key(target.metric)} {origin}: no release holds it")
                continue
            vintages[release].append(origin)
        for release, days in sorted(vintages.items()):
            if progress:
                progress(f"{_key(target.metric)} by {target.area_type}: as known at {release}")
            view = numbers.known_at(release)
            start = days[0] - timedelta(days=WINDOW - 1)
            areas = area_series(
                view, target.metric, target.area_type, start, days[-1], target.method
            )
            contributions = None
            if any(a == Approach.CONTRIBUTORS for a, _ in runs):
                contributions = contributor_series(
                    view, target.metric, target.area_type, start, days[-1], target.method
                )
            for origin in days:
                for approach, model in runs:
                    found = _forecasts(approach, model, origin, longest, areas, contributions)
                    for area, (point, lower, upper) in found.items():
                        observed_series = truth.get(area)
                        if observed_series is None:
                            continue
                        for h in horizons:
                            observed = observed_series.at(origin + timedelta(days=h))
                            if observed is None:
                                continue
                            bounds = {a: (lower[a][h - 1], upper[a][h - 1]) for a in ALPHAS}
                            wis = weighted_interval_score(point[h - 1], bounds, observed)
                            sums[(approach, model, h)].append((abs(point[h - 1] - observed), wis))
        for (approach, model, h), pairs in sorted(sums.items()):
            errors = np.asarray(pairs)
            out.scores.append(
                Score(
                    _key(target.metric), target.area_type, target.method.value,
                    approach.value, model.value, h, len(pairs),
                    float(errors[:, 0].mean()), float(errors[:, 1].mean()),
                )
            )  # fmt: skip
    return out


Forecasts = dict[str, tuple[np.ndarray, dict[float, np.ndarray], dict[float, np.ndarray]]]


def _forecasts(
    approach: Approach,
    model: Model,
    origin: date,
    horizon: int,
    areas: dict[str, Series],
    contributions: Contributions | None,
) -> Forecasts:
    out: Forecasts = {}
    if approach == Approach.AREA:
        for area, series in areas.items():
            history = series.until(origin)
            if len(history):
                f = forecast_series(history, horizon, model)
                out[area] = (f.point, f.lower, f.upper)
        return out
    assert contributions is not None
    fitted = organisation_forecasts(contributions, origin, horizon, model)
    for found in roll_up_forecasts(contributions, origin, horizon, model, fitted):
        if found is not None:
            out[found.area] = (
                np.array([p.value for p in found.points]),
                {a: np.array([p.intervals[a][0] for p in found.points]) for a in ALPHAS},
                {a: np.array([p.intervals[a][1] for p in found.points]) for a in ALPHAS},
            )
    return out


def _key(metric: str) -> str:
    return metric.rsplit("#", 1)[-1]


def score_table(result: Backtest, horizons: Iterable[int] | None = None) -> str:
    """The scores as a Markdown table: one row per metric, geography type and horizon, MAE and
    WIS per approach and model."""
    runs = sorted({(s.approach, s.model) for s in result.scores})
    columns = [f"{m} {a.lower()}" if a != "AREA" else m for a, m in runs]
    wanted = set(horizons) if horizons else None
    groups: dict[tuple[str, str, int], dict[tuple[str, str], Score]] = defaultdict(dict)
    for s in result.scores:
        if wanted is None or s.horizon in wanted:
            groups[(s.metric, s.area_type, s.horizon)][(s.approach, s.model)] = s
    head = ["metric", "by", "days ahead", "n"]
    head += [f"MAE {c}" for c in columns] + [f"WIS {c}" for c in columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (metric, by, h), found in sorted(groups.items()):
        n = max(s.count for s in found.values())
        maes = [found[r].mae if r in found else None for r in runs]
        wiss = [found[r].wis if r in found else None for r in runs]
        cells = [metric, by, str(h), str(n)]
        cells += [_best(v, maes) for v in maes] + [_best(v, wiss) for v in wiss]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _best(value: float | None, row: list[float | None]) -> str:
    if value is None:
        return "-"
    text = f"{value:.1f}"
    return f"**{text}**" if value == min(v for v in row if v is not None) else text
