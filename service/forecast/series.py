"""The daily series a forecast is trained on, from the roll-up engine (the same figures every
other path gives), as known at the forecast date: per area, or per organisation with the share
each area takes of it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from service.returns.numbers import NumbersStore
from service.rollup.engine import rollup
from service.rollup.model import AS_REPORTED, NATIONAL, Method, Scope

if TYPE_CHECKING:  # the disclosure rule (service/access/disclosure.py) the caller's figures get
    from service.access.disclosure import Protection


@dataclass
class Series:
    """Daily values from `first` (one per day, oldest first; NaN where nothing was reported)."""

    first: date
    values: np.ndarray

    @property
    def last(self) -> date:
        return self.first + timedelta(days=len(self.values) - 1)

    def until(self, day: date) -> np.ndarray:
        """The values up to and including `day`, gaps filled with the last value before them."""
        n = (day - self.first).days + 1
        return fill_gaps(self.values[: max(n, 0)])

    def at(self, day: date) -> float | None:
        i = (day - self.first).days
        if 0 <= i < len(self.values) and np.isfinite(self.values[i]):
            return float(self.values[i])
        return None


def fill_gaps(values: np.ndarray) -> np.ndarray:
    """Leading NaN dropped, inner NaN carried forward from the last value."""
    finite = np.flatnonzero(np.isfinite(values))
    if not len(finite):
        return np.array([])
    out = values[finite[0] :].copy()
    for i in range(1, len(out)):
        if not np.isfinite(out[i]):
            out[i] = out[i - 1]
    return out


def last_day_held(numbers: NumbersStore, metric: str) -> date | None:
    """The last day with a value of the metric (as known at the store's known day)."""
    row = (
        numbers.reader()
        .execute(f"SELECT max(period_start) FROM {numbers.values} WHERE metric = ?", [metric])
        .fetchone()
    )
    return row[0] if row and row[0] is not None else None


def first_release_holding(numbers: NumbersStore, metric: str, day: date) -> date | None:
    """The release date of the first current publication with a value of the metric for `day`:
    the earliest date a forecaster could have known it."""
    row = (
        numbers.reader()
        .execute(
            "SELECT min(b.release_date) FROM release_value v JOIN batch b USING (batch_id) "
            "WHERE b.status = 'current' AND v.metric = ? AND v.period_start = ?",
            [metric, day],
        )
        .fetchone()
    )
    return row[0] if row and row[0] is not None else None


def area_series(
    numbers: NumbersStore,
    metric: str,
    area_type: str,
    start: date,
    end: date,
    method: Method,
    scope: Scope = NATIONAL,
    protection: Protection | None = None,
) -> dict[str, Series]:
    """Area -> its daily figure from start to end (the roll-up engine's, without detail; with
    `protection`, the figures the caller may see: perturbed as every roll-up of theirs)."""
    result = rollup(
        numbers, metric, area_type, (start, end), method, AS_REPORTED, scope,
        series=True, detail=False, protection=protection,
    )  # fmt: skip
    days = (end - start).days + 1
    out: dict[str, Series] = {}
    for row in result.rows:
        series = out.get(row.area)
        if series is None:
            series = out[row.area] = Series(start, np.full(days, np.nan))
        series.values[(row.period_start - start).days] = row.value
    return out


@dataclass
class Contributions:
    """Each organisation's own daily series and the share each area takes of it (on the last day
    of the range)."""

    organisations: dict[str, Series]
    shares: dict[str, dict[str, float]]  # area -> organisation -> share


def contributor_series(
    numbers: NumbersStore,
    metric: str,
    area_type: str,
    start: date,
    end: date,
    method: Method,
    scope: Scope = NATIONAL,
    protection: Protection | None = None,
) -> Contributions:
    """The organisations contributing to each area, from the engine's contributors (perturbed
    records with `protection`)."""
    result = rollup(
        numbers, metric, area_type, (start, end), method, AS_REPORTED, scope, series=True,
        protection=protection,
    )  # fmt: skip
    days = (end - start).days + 1
    organisations: dict[str, Series] = {}
    shares: dict[str, dict[str, float]] = defaultdict(dict)
    last: dict[tuple[str, str], date] = {}
    for row in result.rows:
        i = (row.period_start - start).days
        for c in row.contributors:
            series = organisations.get(c.organisation)
            if series is None:
                series = organisations[c.organisation] = Series(start, np.full(days, np.nan))
            series.values[i] = c.value
            key = (row.area, c.organisation)
            if key not in last or last[key] <= row.period_start:
                last[key] = row.period_start
                shares[row.area][c.organisation] = c.share
    return Contributions(organisations, dict(shares))


def held_releases(numbers: NumbersStore, metric: str) -> list[date]:
    """Release dates of the current publications holding the metric, oldest first."""
    rows = (
        numbers.reader()
        .execute(
            "SELECT DISTINCT b.release_date FROM batch b JOIN release_value v USING (batch_id) "
            "WHERE b.status = 'current' AND v.metric = ? ORDER BY 1",
            [metric],
        )
        .fetchall()
    )
    return [r[0] for r in rows]
