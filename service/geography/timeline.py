"""An organisation's answers in one area type over time, as segments: the precomputed form the
lookup reads (a dictionary look-up and a bisection) and the org_area table is written from.

Each organisation is evaluated only on the dates its own answers can change: the dates shared by
all (a membership starts or ends, an area is listed under an ODS code), the successions of the
codes that pass to it, the operations of any site ever stated under those codes, its ODS record
vintages and its opening. Consecutive dates with the same answers are one segment.

    >>> # timelines = Timelines(placer); timelines.answer("RJ1", "LRF", date(2026, 7, 1))
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from service.geography.assign import Answer, Placer, label
from service.geography.carrying_on import Lineages, SuccessionTable
from service.geography.methods import METHODS, Placement

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Timeline:
    org: str
    area_type: str
    starts: tuple[date, ...]  # first day of each segment
    answers: tuple[Answer, ...]  # the answer of each segment (all methods)
    last_day: date | None  # the organisation's close date; later days are not covered

    def at(self, on: date) -> Answer | None:
        """The answer holding on `on`, or None outside the days the timeline covers."""
        if not self.starts or on < self.starts[0] or (self.last_day and on > self.last_day):
            return None
        return self.answers[bisect_right(self.starts, on) - 1]

    def end_of(self, i: int) -> date | None:
        return self.starts[i + 1] - DAY if i + 1 < len(self.starts) else self.last_day


def shares_key(p: Placement) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((a, round(s, 6)) for a, s in p.shares.items()))


def segments(
    days: Iterable[date], answer_on: Callable[[date], Answer]
) -> tuple[tuple[date, ...], tuple[Answer, ...]]:
    """The days on which the answers change, and the answers from each: a day whose answers
    are those of the day before (by answer_signature) starts no segment."""
    starts: list[date] = []
    answers: list[Answer] = []
    previous: list[tuple[Any, ...]] | None = None
    for day in days:
        answer = answer_on(day)
        signature = answer_signature(answer)
        if signature == previous:
            continue
        starts.append(day)
        answers.append(answer)
        previous = signature
    return tuple(starts), tuple(answers)


def answer_signature(answer: Answer) -> list[tuple[Any, ...]]:
    """What makes two days' answers the same (evidence compared by value, cheaply: equal
    states share their evidence objects)."""
    return [
        (label(p), shares_key(p), round(p.coverage, 6), round(p.unlocated, 6), p.reason, p.evidence)
        for p in answer.placements
    ]


class Timelines:
    """Timelines of every organisation in every area type, built on first use from one placer
    (one reference snapshot)."""

    def __init__(self, placer: Placer, methods: Sequence[str] = METHODS) -> None:
        self.placer = placer
        self.methods = tuple(methods)
        self._every: list[date] | None = None
        self._shared: set[date] | None = None
        self._starts: dict[str, list[date]] = {}
        self._timelines: dict[tuple[str, str], Timeline] = {}

    def every_date(self) -> list[date]:
        """Dates on which some fact any method depends on starts or stops holding."""
        if self._every is None:
            ref, ctx = self.placer.reference, self.placer.ctx
            dates = set(self.shared_dates())
            for op in ref.site_operations:
                dates.add(op.start)
                if op.end:
                    dates.add(op.end + DAY)
            for records in ref.ods_records.values():
                dates.update(r.vintage for r in records)
            if isinstance(ctx.carrying_on, SuccessionTable):
                dates.update(step.effective for step in ctx.carrying_on.index.steps)
            elif isinstance(ctx.carrying_on, Lineages):
                dates.update(ctx.carrying_on.dates_of(ref.organisations))
            self._every = sorted(dates)
        return self._every

    def shared_dates(self) -> set[date]:
        """Dates that may change any organisation's answer: a membership starts or ends, an
        area is listed under an ODS code."""
        if self._shared is None:
            dates = set(self.placer.ctx.rollup.boundaries())
            for area in self.placer.reference.areas.values():
                dates.update(area.listed_on)
            self._shared = dates
        return self._shared

    def own_dates(self, org: str) -> set[date] | None:
        """The dates on which `org`'s answers can change; None when the carrying-on cannot name
        the codes that pass to it (then every date counts)."""
        ctx = self.placer.ctx
        lineage = ctx.lineage(org)
        if lineage is None or not isinstance(ctx.carrying_on, Lineages):
            return None
        dates = self.shared_dates() | ctx.carrying_on.dates_of(lineage)
        by_site, by_operator = ctx.site_index()
        for code in lineage:
            for site in by_operator.get(code, ()):
                for op in by_site[site]:
                    dates.add(op.start)
                    if op.end:
                        dates.add(op.end + DAY)
        dates.update(r.vintage for r in self.placer.reference.ods_records.get(org, ()))
        return dates

    def starts(self, org: str) -> list[date]:
        """The days on which `org`'s answers are evaluated: its change dates within its open
        life, from the first day on which any fact holds."""
        if org not in self._starts:
            every = self.every_date()
            found = self.placer.reference.organisations.get(org)
            if not every or found is None:
                self._starts[org] = []
                return []
            own = self.own_dates(org)
            floor = every[0]
            days = (set(every) if own is None else own) | {floor}
            if found.opened:
                days.add(found.opened)
            self._starts[org] = [
                d
                for d in sorted(days)
                if d >= floor
                and (found.opened is None or d >= found.opened)
                and (found.closed is None or d <= found.closed)
            ]
        return self._starts[org]

    def get(self, org: str, area_type: str) -> Timeline:
        key = (org, area_type)
        if key not in self._timelines:
            self._timelines[key] = self._build(org, area_type)
        return self._timelines[key]

    def _build(self, org: str, area_type: str) -> Timeline:
        starts, answers = segments(
            self.starts(org), lambda day: self.placer.place(org, area_type, day, self.methods)
        )
        found = self.placer.reference.organisations.get(org)
        closed = found.closed if found else None
        return Timeline(org, area_type, starts, answers, closed)

    def answer(self, org: str, area_type: str, on: date) -> Answer:
        """The answer of every method on a day: from the timeline, or worked out on the spot
        for a day it does not cover (before the first fact, after the organisation closed)."""
        found = self.get(org, area_type).at(on)
        if found is not None:
            return found
        return self.placer.place(org, area_type, on, self.methods)

    def warm(
        self, area_types: Iterable[str] | None = None, organisations: Iterable[str] | None = None
    ) -> int:
        """Build the timelines of the named (or every) organisation and area type; the number
        of segments."""
        types = list(area_types or self.placer.reference.api_names())
        orgs = sorted(organisations or self.placer.reference.organisations)
        return sum(len(self.get(o, t).starts) for o in orgs for t in types)
