"""Supplies by trust from a return reported by sites: each site's values count for the
organisation running it on the day (the lookup's and the SITES placement's reading of the
reference: `operator_on`, with a split's stated weights; service/geography/site_placement.py),
values a trust reports itself for that trust. Days of stock by trust is the ratio of the sums,
over the reporters that gave both stock and use, as for any area (service/rollup/ratio.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from service.geography.assign import Placer
from service.geography.site_placement import carriers
from service.geography.sites import is_site, operator_on
from service.rdf.vocab import NHSKG
from service.returns.numbers import NumbersStore


@dataclass(frozen=True)
class TrustStock:
    trust: str
    held: float
    used: float
    reporters: tuple[str, ...]  # the trust itself and/or the sites counted for it

    @property
    def days_of_stock(self) -> float | None:
        return self.held / self.used if self.used > 0 else None


def stock_by_trust(
    numbers: NumbersStore, placer: Placer, item: str, day: date
) -> tuple[dict[str, TrustStock], dict[str, float]]:
    """Per trust, `item` (a consumable's metric prefix, e.g. FFP3Respirators) held and used on
    `day`; and the held and used of sites no organisation is found running (by site)."""
    held, used = str(NHSKG[f"{item}Held"]), str(NHSKG[f"{item}Used"])
    con = numbers.reader()
    try:
        rows = con.execute(
            f"SELECT org_code, sum(value) FILTER (WHERE metric = ?), "
            f"sum(value) FILTER (WHERE metric = ?) FROM {numbers.values} "
            "WHERE metric IN (?, ?) AND period_start = ? AND area_type IS NULL GROUP BY org_code",
            [held, used, held, used, day],
        ).fetchall()
    finally:
        con.close()
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    counted: dict[str, set[str]] = defaultdict(set)
    unplaced: dict[str, float] = {}
    for code, h, u in rows:
        if h is None or u is None:  # one part only: left out of both sums, as the roll-up does
            continue
        for trust, share in _running(placer, code, day):
            if share is None:
                unplaced[code] = float(h)
                continue
            sums[trust][0] += share * float(h)
            sums[trust][1] += share * float(u)
            counted[trust].add(code)
    found = {
        trust: TrustStock(trust, h, u, tuple(sorted(counted[trust])))
        for trust, (h, u) in sorted(sums.items())
    }
    return found, unplaced


def _running(placer: Placer, code: str, day: date) -> list[tuple[str, float | None]]:
    """Who a reporter's values count for: a trust itself; a site, the organisations running it
    (share None when none is, or a split without weights carries its operator on)."""
    if not is_site(placer.ctx, code):
        return [(code, 1.0)]
    run = operator_on(placer.ctx, code, day)
    if not run.operators:
        return [(code, None)]
    return carriers(placer.ctx, run, day)
