"""What a roll-up by LRF restated to current organisations means, for the synthetic system: the
mappings every path is given, and a plain-Python reference answer they are all checked against.

Restatement at day R: a value reported by organisation P counts for the organisation(s) that carry
P on at R (following chains of events up to R), each with its share (1 for a merger, the split
share for a split). Placement: an organisation is in an LRF with the share of its sites there,
valid while the organisation is open; the placement used is the one valid at R.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import numpy as np

from bench.rollup_data import SyntheticSystem
from service.geography.millionths import rounded

# (organisation, area type, area, share, valid_from, valid_to or None)
Placement = tuple[str, str, str, float, date, date | None]


def restatement(system: SyntheticSystem, at: date) -> dict[str, list[tuple[str, float]]]:
    """Reporting organisation -> [(organisation carrying it on at `at`, share)], for every
    organisation (an organisation no event touched before `at` maps to itself with share 1)."""
    steps = {p: e for e in system.events if e.day <= at for p in e.predecessors}

    def carry(code: str, depth: int = 0) -> list[tuple[str, float]]:
        event = steps.get(code)
        if event is None or depth > 20:
            return [(code, 1.0)]
        out: list[tuple[str, float]] = []
        for successor, share in event.successors:
            out += [(c, share * s) for c, s in carry(successor, depth + 1)]
        return out

    return {org: carry(org) for org in system.current + system.predecessors}


def placements(system: SyntheticSystem) -> list[Placement]:
    """Organisation -> LRF and -> ICB by the share of its sites, valid while it is open."""
    closed = system.closed_on()
    by_org: dict[str, list[str]] = defaultdict(list)
    for org, lad in system.site_lad.values():
        by_org[org].append(lad)
    geo = system.geography
    out: list[Placement] = []
    for org in sorted(by_org):
        lads = by_org[org]
        valid_to = closed[org] - timedelta(days=1) if org in closed else None
        for area_type, lookup in (("LRF", geo.lad_lrf), ("ICB", geo.lad_icb)):
            counts = Counter(lookup[lad] for lad in lads)
            # in whole millionths, as every writer of the placement tables rounds them
            shares = rounded({area: n / len(lads) for area, n in counts.items()})
            for area, share in sorted(shares.items()):
                out.append((org, area_type, area, share, system.first_day, valid_to))
    return out


def placed_at(
    places: list[Placement], area_type: str, at: date
) -> dict[str, list[tuple[str, float]]]:
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for org, kind, area, share, valid_from, valid_to in places:
        if kind == area_type and valid_from <= at and (valid_to is None or at <= valid_to):
            out[org].append((area, share))
    return out


def org_area_at(system: SyntheticSystem, area_type: str, at: date) -> list[tuple[str, str, float]]:
    """The precomputed mapping: (reporting organisation, area, share) after restatement at `at`."""
    places = placed_at(placements(system), area_type, at)
    shares: dict[tuple[str, str], float] = defaultdict(float)
    for org, targets in restatement(system, at).items():
        for target, share in targets:
            for area, place_share in places.get(target, []):
                shares[(org, area)] += share * place_share
    return [(org, area, s) for (org, area), s in sorted(shares.items())]


def reference_rollup(
    system: SyntheticSystem, metric: str, start: date, end: date, at: date, area_type: str = "LRF"
) -> dict[str, float]:
    """Area -> sum over days in [start, end] of the metric, restated at `at`, in plain Python."""
    chosen = (
        (system.metric == metric)
        & (system.day >= np.datetime64(start))
        & (system.day <= np.datetime64(end))
    )
    by_org: dict[str, float] = defaultdict(float)
    for org, value in zip(system.org[chosen], system.value[chosen], strict=True):
        by_org[org] += value
    totals: dict[str, float] = defaultdict(float)
    for org, area, share in org_area_at(system, area_type, at):
        if org in by_org:
            totals[area] += by_org[org] * share
    return dict(totals)


def same_answer(a: dict[str, float], b: dict[str, float], rel: float = 1e-9) -> str:
    """'' when both give the same areas and totals (to `rel`, as sums run in different orders),
    else what differs."""
    if set(a) != set(b):
        return f"areas differ: {sorted(set(a) ^ set(b))[:5]}"
    worst = max((abs(a[k] - b[k]) / max(abs(a[k]), 1.0) for k in a), default=0.0)
    return "" if worst <= rel else f"totals differ (worst relative difference {worst:.2e})"
