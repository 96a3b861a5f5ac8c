"""GP practices and the CCGs / sub-ICB locations that commission them, over time.

A practice is in the areas of its commissioner: the commissioning holding on the date names the
commissioner by its ODS code, which resolves to the area listed most recently on or before the
date (a CCG, later a sub-ICB location), rolled up through the area memberships to the type
asked for (ICB, NHS region). A date no commissioning covers answers nothing, with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from service.geography.assign import Placer
from service.geography.methods import area_for_ods_code
from service.geography.reference import code_of
from service.rdf.store import GraphStore

PRACTICES = """
SELECT ?code ?label ?postcode ?commissioner ?pcn ?from ?to WHERE {
    ?practice a nhskg:GPPractice ; nhskg:odsCode ?code ; rdfs:label ?label .
    OPTIONAL { ?practice nhskg:postcode ?postcode }
    OPTIONAL { ?c nhskg:commissionedPractice ?practice ; nhskg:commissionerCode ?commissioner ;
                  nhskg:validFrom ?from .
               OPTIONAL { ?c nhskg:validTo ?to }
               OPTIONAL { ?c nhskg:primaryCareNetworkCode ?pcn } }
}"""


@dataclass(frozen=True)
class Commissioning:
    commissioner: str  # ODS code
    pcn: str | None
    start: date
    end: date | None

    def holds_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass
class Practice:
    code: str
    name: str
    postcode: str | None = None
    commissionings: list[Commissioning] = field(default_factory=list)

    def commissioning_on(self, day: date) -> Commissioning | None:
        holding = [c for c in self.commissionings if c.holds_on(day)]
        return max(holding, key=lambda c: c.start) if holding else None


@dataclass
class PracticeAreas:
    practice: str
    on: date
    area_type: str
    shares: dict[str, float]
    commissioner: str | None = None
    pcn: str | None = None
    reason: str | None = None


class PracticeIndex:
    def __init__(self, practices: list[Practice]) -> None:
        self.by_code = {p.code: p for p in practices}

    @classmethod
    def build(cls, store: GraphStore) -> PracticeIndex:
        found: dict[str, Practice] = {}
        for r in store.select(PRACTICES):
            practice = found.setdefault(
                r["code"], Practice(r["code"], r["label"], r["postcode"] or None)
            )
            if r["commissioner"] and r["from"]:
                c = Commissioning(r["commissioner"], r["pcn"], r["from"], r["to"])
                if c not in practice.commissionings:
                    practice.commissionings.append(c)
        return cls(list(found.values()))

    def areas(self, placer: Placer, code: str, area_type: str, on: date) -> PracticeAreas:
        """The areas of `area_type` a practice is in on a date, through its commissioner."""
        practice = self.by_code.get(code.strip().upper())
        answer = PracticeAreas(code, on, area_type, {})
        if practice is None:
            answer.reason = f"unknown GP practice {code!r}"
            return answer
        held = practice.commissioning_on(on)
        if held is None:
            spans = ", ".join(f"{c.start} to {c.end or 'open'}" for c in practice.commissionings)
            answer.reason = f"no commissioning of {practice.code} held on {on} (held: {spans})"
            return answer
        answer.commissioner, answer.pcn = held.commissioner, held.pcn
        area = area_for_ods_code(placer.reference, held.commissioner, on)
        if area is None:
            answer.reason = f"commissioner {held.commissioner} is not a known area"
            return answer
        for reached in placer.ctx.rollup.resolve(area.iri, area_type, on):
            answer.shares[code_of(reached.area)] = reached.share
        if not answer.shares:
            answer.reason = f"commissioner {held.commissioner} lies in no {area_type} on {on}"
        return answer

    def counts(self, placer: Placer, area_type: str, on: date) -> dict[str, float]:
        """Practices per area of a type on a date (a practice in two areas counts by share)."""
        totals: dict[str, float] = defaultdict(float)
        for code in self.by_code:
            for area, share in self.areas(placer, code, area_type, on).shares.items():
                totals[area] += share
        return {a: round(v, 6) for a, v in sorted(totals.items())}
