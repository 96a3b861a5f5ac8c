"""Roll an area up to the areas of another type that contain it on a date, through memberships.

Generic in the area type: any kind of area that a district's memberships reach (directly, as LAD
-> LRF, or in steps, as LAD -> ICB -> NHS region) works without code. Shares multiply along a
path. When a member has parents of several kinds that each reach the target, only the first kind
that reaches it is used (the target kind itself first, then by API name), so one area is never
counted twice through two routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.geography.reference import Membership, Reference


@dataclass(frozen=True)
class Reached:
    """A target area reached from a member, with its share and the memberships on the way."""

    area: str
    share: float
    path: tuple[Membership, ...]


class RollUp:
    """Memoised roll-ups on one reference snapshot (reuse it across many questions)."""

    def __init__(self, reference: Reference) -> None:
        self.ref = reference
        self._memo: dict[tuple[str, str, date], tuple[Reached, ...]] = {}

    def types_of(self, area: str) -> frozenset[str]:
        found = self.ref.areas.get(area)
        return found.types if found else frozenset()

    def resolve(self, area: str, target: str, on: date) -> tuple[Reached, ...]:
        key = (area, target, on)
        if key not in self._memo:
            self._memo[key] = self._resolve(area, target, on, frozenset())
        return self._memo[key]

    def _resolve(
        self, area: str, target: str, on: date, visiting: frozenset[str]
    ) -> tuple[Reached, ...]:
        if target in self.types_of(area):
            return (Reached(area, 1.0, ()),)
        if area in visiting:
            return ()
        by_kind: dict[str, list[Membership]] = {}
        for m in self.ref.memberships.get(area, []):
            if m.holds_on(on) and m.parent != area:
                for kind in self.types_of(m.parent) or frozenset({"?"}):
                    by_kind.setdefault(kind, []).append(m)
        order = sorted(by_kind, key=lambda k: (k != target, k))
        for kind in order:
            reached = self._through(by_kind[kind], target, on, visiting | {area})
            if reached:
                return reached
        return ()

    def _through(
        self, memberships: list[Membership], target: str, on: date, visiting: frozenset[str]
    ) -> tuple[Reached, ...]:
        totals: dict[str, Reached] = {}
        for m in memberships:
            for up in self._resolve(m.parent, target, on, visiting):
                share = m.share * up.share
                prior = totals.get(up.area)
                if prior is None:
                    totals[up.area] = Reached(up.area, share, (m, *up.path))
                else:
                    totals[up.area] = Reached(up.area, prior.share + share, prior.path)
        return tuple(sorted(totals.values(), key=lambda r: (-r.share, r.area)))
