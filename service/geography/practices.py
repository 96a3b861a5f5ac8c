"""Which areas of a type a GP practice is in on a date, through its commissioner.

The commissioning holding on the date names the commissioner by its ODS code, which resolves to
the area listed most recently on or before the date (a CCG, later a sub-ICB location). From there:

- upward through the area memberships (sub-ICB location -> ICB -> NHS region): basis
  `commissioner`;
- in a type the commissioner does not lie in (an LRF, a district), through the districts that lie
  in the commissioner's area on that date, and only when every one of them lies wholly in one
  and the same area of the type (which then contains the whole commissioner, so the practice):
  basis `commissioner's districts`. A commissioner whose districts span several areas places
  nothing, and the answer names the areas and their districts: the practice's own location is
  not held (epraccur gives a postcode, and no postcode lookup is loaded).

A type the practice's primary care network is an area of (PCN): the PCN its commissioning
names (only the September 2020 practice map names one, for that day): basis `practice map PCN`.

Every answer without areas says why. Nothing here extends a statement past its dates; a
commissioning carried from the 2020 map to a CCG merger states what it rests on (`statement`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from service.geography.assign import Placer
from service.geography.methods import area_for_ods_code
from service.reference.placement import Membership, code_of
from service.reference.practices import Practice, PracticeIndex

DISTRICT = "LAD"
EXACT = 1.0 - 1e-9  # a district reaching one area with its whole share (floating sums)


@dataclass
class PracticeAreas:
    practice: str
    on: date
    area_type: str
    shares: dict[str, float] = field(default_factory=dict)
    commissioner: str | None = None  # ODS code as stated
    commissioner_area: str | None = None  # the area code it resolves to on the date
    pcn: str | None = None
    source: str | None = None  # the graph stating the commissioning
    statement: str | None = None  # what the commissioning rests on (for a carried one, in words)
    basis: str | None = None  # commissioner | commissioner's districts
    districts: list[str] = field(default_factory=list)  # basis "commissioner's districts"
    reason: str | None = None
    reason_kind: str | None = None  # the reason without the particulars (for counts)


class PracticePlacer:
    """Practice placements on one reference snapshot (memoised through the roll-up's epochs)."""

    def __init__(self, practices: PracticeIndex, placer: Placer) -> None:
        self.practices = practices
        self.placer = placer
        self._children: dict[str, list[Membership]] | None = None
        self._pcn_types: frozenset[str] | None = None

    def areas(self, code: str, area_type: str, on: date) -> PracticeAreas:
        """The areas of `area_type` a practice is in on a date, with the reason when none."""
        self.placer.check_type(area_type)
        practice = self.practices.get(code)
        answer = PracticeAreas(code.strip().upper(), on, area_type)
        if practice is None:
            answer.reason = answer.reason_kind = f"unknown GP practice {code!r}"
            return answer
        held = practice.commissioning_on(on)
        if held is None:
            answer.reason = not_held_reason(practice, on)
            answer.reason_kind = "no commissioning held on that date"
            return answer
        answer.commissioner, answer.pcn, answer.source = held.commissioner, held.pcn, held.source
        answer.statement = held.basis()
        if area_type in self.pcn_types():
            self._through_pcn(answer, on)
            return answer
        area = area_for_ods_code(self.placer.reference, held.commissioner, on)
        if area is None:
            answer.reason = unknown_commissioner_reason(practice, held.commissioner)
            answer.reason_kind = "commissioner not a CCG or sub-ICB location held"
            return answer
        answer.commissioner_area = area.code
        rollup = self.placer.ctx.rollup
        reached = rollup.resolve(area.iri, area_type, on)
        if reached:
            answer.basis = "commissioner"
            answer.shares = {code_of(r.area): r.share for r in reached}
            return answer
        self._through_districts(answer, area.iri, on)
        return answer

    def _through_pcn(self, answer: PracticeAreas, on: date) -> None:
        pcn = area_for_ods_code(self.placer.reference, answer.pcn, on) if answer.pcn else None
        if pcn is None or answer.area_type not in pcn.types:
            answer.reason = (
                f"no {answer.area_type} of {answer.practice} held on {on}: only the September 2020 "
                f"GP practice map names practices' primary care networks (on 2020-09-01)"
                + (f"; it names {answer.pcn}, which is no area held" if answer.pcn else "")
            )
            answer.reason_kind = f"no {answer.area_type} held on that date"
            return
        answer.shares, answer.basis = {pcn.code: 1.0}, "practice map PCN"

    def pcn_types(self) -> frozenset[str]:
        """The geography types of the areas practices' commissionings name as their PCN."""
        if self._pcn_types is None:
            codes = {
                c.pcn for p in self.practices.by_code.values() for c in p.commissionings if c.pcn
            }
            by_ods = self.placer.reference.areas_by_ods
            self._pcn_types = frozenset(
                t for code in codes for area in by_ods.get(code, []) for t in area.types
            )
        return self._pcn_types

    def _through_districts(self, answer: PracticeAreas, area: str, on: date) -> None:
        rollup = self.placer.ctx.rollup
        districts = sorted(
            m.member
            for m in self.children().get(area, [])
            if m.holds_on(on) and DISTRICT in rollup.types_of(m.member)
        )
        name = f"{answer.commissioner} ({code_of(area)})"
        if not districts:
            answer.reason = (
                f"commissioner {name} lies in no {answer.area_type} on {on}, and no districts "
                "are held in it on that date to place it by"
            )
            answer.reason_kind = "no districts held in the commissioner"
            return
        by_area: dict[str, list[str]] = defaultdict(list)
        partial: list[str] = []
        for district in districts:
            reached = rollup.resolve(district, answer.area_type, on)
            if len(reached) == 1 and reached[0].share >= EXACT:
                by_area[code_of(reached[0].area)].append(code_of(district))
            else:
                partial.append(code_of(district))
        answer.districts = [code_of(d) for d in districts]
        if len(by_area) == 1 and not partial:
            [(target, _)] = by_area.items()
            answer.shares, answer.basis = {target: 1.0}, "commissioner's districts"
            return
        spans = "; ".join(f"{a}: {', '.join(ds)}" for a, ds in sorted(by_area.items()))
        if partial:
            spans += f"{'; ' if spans else ''}in no single {answer.area_type}: {', '.join(partial)}"
        answer.reason = (
            f"commissioner {name} spans more than one {answer.area_type} on {on} ({spans}); "
            f"the practice's own location is not held, so it is not placed in one"
        )
        answer.reason_kind = f"commissioner spans more than one {answer.area_type}"

    def children(self) -> dict[str, list[Membership]]:
        """Memberships by parent area (the reference indexes them by member)."""
        if self._children is None:
            found: dict[str, list[Membership]] = defaultdict(list)
            for memberships in self.placer.reference.memberships.values():
                for m in memberships:
                    found[m.parent].append(m)
            self._children = dict(found)
        return self._children

    def counts(self, area_type: str, on: date, *, open_only: bool = True) -> dict[str, float]:
        """Practices per area of a type on a date (a practice in two areas counts by share);
        `open_only`: only practices open on that day by their ODS dates."""
        totals: dict[str, float] = defaultdict(float)
        for practice in self.practices.by_code.values():
            if open_only and not practice.open_on(on):
                continue
            for area, share in self.areas(practice.code, area_type, on).shares.items():
                totals[area] += share
        return {a: round(v, 6) for a, v in sorted(totals.items())}

    def in_area(self, area: str, area_type: str, on: date) -> list[tuple[Practice, float]]:
        """The practices open on a date that lie in an area (code) of a type, with their share."""
        found = []
        for practice in sorted(self.practices.by_code.values(), key=lambda p: p.code):
            if not practice.open_on(on):
                continue
            share = self.areas(practice.code, area_type, on).shares.get(area)
            if share:
                found.append((practice, share))
        return found


def not_held_reason(practice: Practice, on: date) -> str:
    if practice.open_date is not None and on < practice.open_date:
        return f"{practice.code} opened on {practice.open_date}, after {on}"
    if practice.close_date is not None and on > practice.close_date:
        return f"{practice.code} closed on {practice.close_date}, before {on}"
    spans = ", ".join(f"{c.span()} ({c.source})" for c in practice.commissionings) or "none"
    return f"no commissioning of {practice.code} held on {on} (held: {spans})"


def unknown_commissioner_reason(practice: Practice, commissioner: str) -> str:
    latest = practice.latest
    stated = (
        f"; its ODS record of {latest.vintage} states region {latest.region_code or 'none'}, "
        f"ICB {latest.icb_code or 'none'}"
        if latest
        else ""
    )
    return (
        f"commissioner {commissioner} of {practice.code} is no CCG or sub-ICB location in "
        f"the geography lookups held (Welsh health boards and NHS England's commissioning "
        f"hubs are in none){stated}"
    )
