"""Periods of returned values: a day, a month or a quarter, as first and last day."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}


@dataclass(frozen=True)
class Period:
    start: date
    end: date


def month_number(name: str) -> int | None:
    return MONTHS.get(name.strip().lower())


def heading_day(cell: Any) -> date | None:
    """A column heading that is a date (a spreadsheet date, or text such as 2020-04-02)."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    try:
        return date.fromisoformat(str(cell).strip()[:10])
    except ValueError:
        return None


def period_from_text(text: str, pattern: str) -> Period | None:
    """A month (groups year, month) or a run of months (year, first_month, last_month)."""
    match = re.search(pattern, text) if pattern else None
    if not match:
        return None
    parts = match.groupdict()
    year = int(parts["year"])
    first = month_number(parts.get("first_month") or parts.get("month") or "")
    last = month_number(parts.get("last_month") or parts.get("month") or "")
    if first is None or last is None:
        return None
    start_year = year if first <= last else year - 1
    end_day = calendar.monthrange(year, last)[1]
    return Period(date(start_year, first, 1), date(year, last, end_day))


_EPOCH = date(1970, 1, 1).toordinal()


def day_array(days: list[date]) -> np.ndarray:
    """Dates as numpy datetime64[s] (what DuckDB reads as a timestamp column), converted once per
    distinct date: numpy parses a list of a million date objects one by one (4 s a column)."""
    ordinals = {d: d.toordinal() - _EPOCH for d in set(days)}
    out = np.fromiter((ordinals[d] for d in days), dtype=np.int64, count=len(days))
    return out.astype("datetime64[D]").astype("datetime64[s]")
