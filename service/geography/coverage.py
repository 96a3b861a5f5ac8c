"""What the reference holds for each geography type, year by year: the coverage report.

For each type (every area type the ontology names) and year: how many areas of the type take
part in a membership on the year's reference day, how many memberships touch them, and the share
of the NHS trusts open that day that each placement method puts in an area of the type. Days on
which a type has no membership at all (before its first lookup, between two, after its last)
are listed as gaps with the reason; a method that places no trust says why (the most common
reason its placements give).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from service.geography.assign import Placer
from service.geography.methods import METHODS
from service.geography.practices import PracticePlacer
from service.geography.reference import Reference

DAY = timedelta(days=1)


@dataclass(frozen=True)
class TypeLife:
    """The days on which areas of a type take part in a membership."""

    key: str
    first: date | None
    last: date | None  # None: still in use (a membership with no end)
    gaps: list[tuple[date, date]]  # inclusive runs of days with no membership, between first/last

    def holds_on(self, day: date) -> bool:
        if self.first is None or day < self.first or (self.last and day > self.last):
            return False
        return not any(start <= day <= end for start, end in self.gaps)


def type_lifetimes(ref: Reference) -> dict[str, TypeLife]:
    """Per area type: the union of the validity of every membership an area of the type is
    member or parent of."""
    spans: dict[str, list[tuple[date, date]]] = {key: [] for key in ref.api_names()}
    for memberships in ref.memberships.values():
        for m in memberships:
            end = m.end or date.max
            for iri in {m.member, m.parent}:
                area = ref.areas.get(iri)
                for key in area.types if area else ():
                    spans.setdefault(key, []).append((m.start, end))
    out = {}
    for key, runs in spans.items():
        if not runs:
            out[key] = TypeLife(key, None, None, [])
            continue
        runs.sort()
        gaps: list[tuple[date, date]] = []
        reach = runs[0][1]
        for start, end in runs[1:]:
            if reach < date.max and start > reach + DAY:
                gaps.append((reach + DAY, start - DAY))
            reach = max(reach, end)
        out[key] = TypeLife(key, runs[0][0], None if reach == date.max else reach, gaps)
    return out


@dataclass
class MethodShare:
    placed: int
    open_trusts: int
    reason: str | None = None  # the most common reason of the trusts not placed

    @property
    def share(self) -> float:
        return self.placed / self.open_trusts if self.open_trusts else 0.0


@dataclass
class CoverageRow:
    area_type: str
    year: int
    on: date
    areas: int
    memberships: int
    methods: dict[str, MethodShare] = field(default_factory=dict)
    gaps: list[dict[str, str]] = field(default_factory=list)  # from, to, reason
    # GP practices open that day (ODS dates) placed in an area of the type through their
    # commissioner (`open_trusts` counts the open practices here); None when not asked for.
    practices: MethodShare | None = None


def _gap_reason(life: TypeLife, start: date, end: date) -> str:
    if life.first is None:
        return "no lookup of this type is held"
    if end < life.first:
        return f"before the first lookup of this type held (memberships from {life.first})"
    if life.last is not None and start > life.last:
        return f"after the last lookup of this type held (memberships to {life.last})"
    return "no lookup of this type holds on these days"


def _year_gaps(life: TypeLife, year: int, today: date) -> list[dict[str, str]]:
    first, last = date(year, 1, 1), min(date(year, 12, 31), today)
    runs: list[tuple[date, date]] = []
    if life.first is None or life.first > first:
        runs.append((first, min(last, (life.first or date.max) - DAY)))
    runs += [(max(s, first), min(e, last)) for s, e in life.gaps if s <= last and e >= first]
    if life.last is not None and life.last < last:
        runs.append((max(first, life.last + DAY), last))
    return [
        {"from": s.isoformat(), "to": e.isoformat(), "reason": _gap_reason(life, s, e)}
        for s, e in runs
        if s <= e
    ]


def _method_share(
    placer: Placer, method: str, key: str, on: date, trusts: list[str]
) -> MethodShare:
    placed, reasons = 0, Counter[str]()
    for code in trusts:
        placements = placer.place_by(method, code, key, on)
        if any(p.shares for p in placements):
            placed += 1
        else:
            reasons.update({str(p.reason) for p in placements if p.reason} or {"no placement"})
    reason = reasons.most_common(1)[0][0] if reasons and placed < len(trusts) else None
    return MethodShare(placed, len(trusts), reason)


def practice_share(practices: PracticePlacer, key: str, on: date) -> MethodShare:
    """Open practices placed in an area of the type on a date, with the most common reason
    (in general terms, with its count) of those not placed."""
    placed, total, reasons = 0, 0, Counter[str]()
    for practice in practices.practices.by_code.values():
        if not practice.open_on(on):
            continue
        total += 1
        answer = practices.areas(practice.code, key, on)
        if answer.shares:
            placed += 1
        else:
            reasons[str(answer.reason_kind)] += 1
    reason = None
    if reasons:
        kind, count = reasons.most_common(1)[0]
        reason = f"{kind} ({count} of {total - placed})"
    return MethodShare(placed, total, reason)


def coverage_report(
    placer: Placer,
    years: range,
    *,
    practices: PracticePlacer | None = None,
    area_types: list[str] | None = None,
    methods: tuple[str, ...] = METHODS,
    month_day: tuple[int, int] = (10, 1),
    today: date | None = None,
) -> list[CoverageRow]:
    """One row per (area type, year), measured on the year's reference day (1 October by
    default: after each April's reorganisations, and after the July 2022 creation of ICBs)."""
    ref = placer.reference
    today = today or date.today()
    lives = type_lifetimes(ref)
    members = [
        (m, ref.areas.get(m.member), ref.areas.get(m.parent))
        for ms in ref.memberships.values()
        for m in ms
    ]
    out = []
    for key in area_types or ref.api_names():
        life = lives[key]
        of_type = [m for m, a, b in members if (a and key in a.types) or (b and key in b.types)]
        for year in years:
            on = date(year, *month_day)
            holding = [m for m in of_type if m.holds_on(on)]
            areas = {
                iri
                for m in holding
                for iri in (m.member, m.parent)
                if iri in ref.areas and key in ref.areas[iri].types
            }
            row = CoverageRow(key, year, on, len(areas), len(holding))
            trusts = sorted(c for c, o in ref.organisations.items() if o.open_on(on))
            for method in methods:
                row.methods[method] = _method_share(placer, method, key, on, trusts)
            row.gaps = _year_gaps(life, year, today)
            if practices is not None:
                row.practices = practice_share(practices, key, on)
            out.append(row)
    return out
