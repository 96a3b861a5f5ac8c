"""Placement shares in whole millionths, so whether an organisation is wholly placed is decided
exactly, the same way on every engine.

An organisation's shares come from catchment proportions, site counts and membership shares; as
floats they sum to 1 only within noise (0.999999997 for a catchment whose source rounded its
proportions), and a sum taken in a different order lands on the other side of any threshold.
Every writer of the org_area and area_area tables and the lookup round the shares of one
placement to millionths by largest remainder: the rounded shares sum exactly to the placement's
total rounded to millionths. The roll-up then sums each share as a whole number of millionths and
compares that integer with `ONE` (service/rollup/engine.py), with no tolerance.

    >>> millionths({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3})
    {'A': 333334, 'B': 333333, 'C': 333333}
"""

from __future__ import annotations

import math
from collections.abc import Mapping

ONE = 1_000_000  # a whole, in millionths


def millionths(shares: Mapping[str, float]) -> dict[str, int]:
    """Each share in whole millionths, the largest remainders rounded up (ties by area code), so
    that they sum to the total share rounded to millionths."""
    scaled = {area: share * ONE for area, share in shares.items()}
    out = {area: math.floor(s) for area, s in scaled.items()}
    short = round(sum(scaled.values())) - sum(out.values())
    for area in sorted(scaled, key=lambda a: (out[a] - scaled[a], a))[:short]:
        out[area] += 1
    return out


def rounded(shares: Mapping[str, float]) -> dict[str, float]:
    """The shares rounded to millionths as `millionths` rounds them, as fractions."""
    return {area: n / ONE for area, n in millionths(shares).items()}
