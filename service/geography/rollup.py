"""Roll an area up to the areas of another type that contain it on a date, through memberships.

Generic in the area type: any kind of area that a district's memberships reach (directly, as LAD
-> LRF, or in steps, as LAD -> ICB -> NHS region) works without code. Shares multiply along a
path. When a member has parents of several kinds that each reach the target, only the first kind
that reaches it is used (the target kind itself first, then by API name), so one area is never
counted twice through two routes.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta

from service.reference.placement import Membership, Reference


@dataclass(frozen=True)
class Reached:
    """A target area reached from a member, with its share and the memberships on the way."""

    area: str
    share: float
    path: tuple[Membership, ...]


class RollUp:
    """Memoised roll-ups on one reference snapshot (reuse it across many questions).

    Memberships start and end on a few dates (a handful of vintages), so the answers are
    remembered per epoch, the interval between two such dates in which no membership starts or
    ends: a question about any day of it is answered once."""

    def __init__(self, reference: Reference) -> None:
        self.ref = reference
        self._memo: dict[tuple[str, str, int], tuple[Reached, ...]] = {}
        self._boundaries: list[date] | None = None

    def boundaries(self) -> list[date]:
        """The days on which some membership starts or stops holding, in order."""
        if self._boundaries is None:
            days: set[date] = set()
            for memberships in self.ref.memberships.values():
                for m in memberships:
                    days.add(m.start)
                    if m.end is not None and m.end < date.max:
                        days.add(m.end + timedelta(days=1))
            self._boundaries = sorted(days)
        return self._boundaries

    def epoch(self, on: date) -> int:
        """The number of the interval between membership boundaries that holds `on`."""
        return bisect_right(self.boundaries(), on)

    def types_of(self, area: str) -> frozenset[str]:
        found = self.ref.areas.get(area)
        return found.types if found else frozenset()

    def resolve(
        self, area: str, target: str, on: date, epoch: int | None = None
    ) -> tuple[Reached, ...]:
        """The areas of type `target` that contain `area` on `on` (`epoch`: `on`'s, when the
        caller already knows it)."""
        return self._resolve(
            area, target, on, self.epoch(on) if epoch is None else epoch, frozenset()
        )

    def _resolve(
        self, area: str, target: str, on: date, epoch: int, visiting: frozenset[str]
    ) -> tuple[Reached, ...]:
        # Memoised at every level (districts are reached from thousands of MSOAs). Memberships
        # are acyclic (a member is always of a smaller kind than its parent); `visiting` only
        # stops a malformed cycle from looping.
        key = (area, target, epoch)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._resolve_once(area, target, on, epoch, visiting)
        return found

    def _resolve_once(
        self, area: str, target: str, on: date, epoch: int, visiting: frozenset[str]
    ) -> tuple[Reached, ...]:
        if area in visiting:
            return ()
        by_kind: dict[str, list[Membership]] = {}
        for m in self.ref.memberships.get(area, []):
            if m.holds_on(on) and m.parent != area:
                for kind in self.types_of(m.parent) or frozenset({"?"}):
                    by_kind.setdefault(kind, []).append(m)
        if target in self.types_of(area):
            if target in by_kind:  # its ground lay in another area of its type that day
                return self._through(by_kind[target], target, on, epoch, visiting | {area})
            return (Reached(area, 1.0, ()),) if self._is_own(area, target, on) else ()
        order = sorted(by_kind, key=lambda k: (k != target, k))
        for kind in order:
            reached = self._through(by_kind[kind], target, on, epoch, visiting | {area})
            if reached:
                return reached
        return ()

    def _is_own(self, area: str, target: str, on: date) -> bool:
        """Whether an area of the target type answers for itself on `on`. Areas' types carry
        no dates, so a unitary created later (Cumberland, 2023), which memberships place in its
        county (Cumbria) before its creation, is of its type only from its first membership
        in itself: before the county's membership too, it is in no area of the type, never in
        itself. An area never placed in another of its type is its own on every date."""
        own: list[date] = []
        later = False
        for m in self.ref.memberships.get(area, []):
            if m.parent == area:
                own.append(m.start)
            elif target in self.types_of(m.parent):
                later = True
        return not later or (bool(own) and min(own) <= on)

    def _through(
        self,
        memberships: list[Membership],
        target: str,
        on: date,
        epoch: int,
        visiting: frozenset[str],
    ) -> tuple[Reached, ...]:
        totals: dict[str, Reached] = {}
        for m in memberships:
            for up in self._resolve(m.parent, target, on, epoch, visiting):
                share = m.share * up.share
                prior = totals.get(up.area)
                if prior is None:
                    totals[up.area] = Reached(up.area, share, (m, *up.path))
                else:
                    totals[up.area] = Reached(up.area, prior.share + share, prior.path)
        return tuple(sorted(totals.values(), key=lambda r: (-r.share, r.area)))
