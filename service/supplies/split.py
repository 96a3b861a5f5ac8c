"""A trust's real demand divided over its hospital sites, for the per-site SYNTHETIC return.

Which sites: the hospitals the trust runs on both the first and the last day of the return (its
own and those it carries on, as the SITES placement method reads them: `hospital_sites`), i.e.
the sites an NHS website hospital list locates by their own point; clinics and offices located
only through a postcode they share with a hospital are left out. A trust with no such site keeps
trust-level rows (the return stays complete).

How: equally. No public per-site figure of beds or patients exists, and the SITES method gives
each located site of a trust an equal share too. Each day's count is divided into whole units:
every site gets the quotient, and the remainder goes one unit each to the sites next in a
rotation that advances a site a day (so no site always gets the extra unit). The sites' values
add up exactly to the trust's on every day; a day the trust did not report stays unreported at
every site.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from service.geography.assign import Placer
from service.geography.sites import hospital_sites
from service.reference.reporters import Registered


@dataclass(frozen=True)
class SiteSplit:
    """Trust code -> its hospital sites (codes, sorted); trusts without one are not listed."""

    sites: dict[str, tuple[str, ...]]


def hospital_split(
    placer: Placer,
    trusts: list[str],
    first: date,
    last: date,
    registered: Mapping[str, Registered] | None = None,
) -> SiteSplit:
    """The hospital sites each trust runs on both `first` and `last` (see the module) and, with
    `registered` (the sites the returns loader admits as reporters: reference_sites), open by
    their own ODS dates on every day between: the loader refuses a site's value outside them
    (nationally, a site a trust runs by its operations can have closed as a site code: RJF05)."""
    out: dict[str, tuple[str, ...]] = {}
    for trust in trusts:
        kept = set(hospital_sites(placer.ctx, trust, first))
        kept &= set(hospital_sites(placer.ctx, trust, last))
        if registered is not None:
            kept = {s for s in kept if _open_throughout(registered.get(s), first, last)}
        if kept:
            out[trust] = tuple(sorted(kept))
    return SiteSplit(out)


def _open_throughout(site: Registered | None, first: date, last: date) -> bool:
    if site is None:
        return False
    opened, closed = _day(site.open_date), _day(site.close_date)
    return (opened is None or opened <= first) and (closed is None or closed >= last)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def split_counts(series: np.ndarray, parts: int) -> list[np.ndarray]:
    """`series` (whole counts, NaN where not reported) divided into `parts` whole-count series
    that add up to it exactly on every day (see the module)."""
    out = [np.full(len(series), np.nan) for _ in range(parts)]
    for day, value in enumerate(series):
        if math.isnan(value):
            continue
        whole = round(float(value))
        quotient, remainder = divmod(whole, parts)
        for k in range(parts):
            extra = 1 if (k - day) % parts < remainder else 0
            out[k][day] = quotient + extra
    return out
