"""GraphQL types of GP practices: commissioner over time and the areas a practice is in."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.types import Info

from service.api.graphql.errors import UserError
from service.api.graphql.iris import RDFS_LABEL, iri_field, term
from service.api.graphql.lookup_types import AreaShare
from service.api.graphql.types import KINDS, Organisation
from service.geography.assign import UnknownAreaType
from service.geography.practices import PracticeAreas, PracticePlacer
from service.reference.practices import Commissioning


@strawberry.type(
    name="PracticeCommissioning",
    description="A dated statement of who commissions a practice (nhskg:PracticeCommissioning).",
)
class PracticeCommissioningValue:
    commissioner: str = iri_field(term("commissionerCode"), "ODS code of the CCG / sub-ICB.")
    pcn: str | None = iri_field(term("primaryCareNetworkCode"), "Primary care network code.")
    valid_from: dt.date = iri_field(term("validFrom"), "First day the statement covers.")
    valid_to: dt.date | None = iri_field(term("validTo"), "Last day (null: open-ended).")
    source: str = iri_field(
        "http://www.w3.org/ns/prov#wasDerivedFrom", "The load stating it (mapping id)."
    )

    @classmethod
    def of(cls, c: Commissioning) -> PracticeCommissioningValue:
        return cls(
            commissioner=c.commissioner,
            pcn=c.pcn,
            valid_from=c.start,
            valid_to=c.end,
            source=c.source,
        )


@strawberry.type(description="The areas of one type a practice is in on a date, and how.")
class PracticeGeography:
    type: str = iri_field(term("apiName"), "Geography type (SUB_ICB, ICB, NHS_REGION, LRF...).")
    as_of: dt.date
    areas: list[AreaShare] = iri_field(term("parentArea"), "Areas with the practice's share.")
    commissioner: str | None = iri_field(term("commissionerCode"), "Commissioner on the date.")
    commissioner_area: str | None = iri_field(term("gssCode"), "The area it resolves to.")
    basis: str | None = strawberry.field(
        description="commissioner (up through area memberships) or commissioner's districts "
        "(every district in the commissioner lies in the one area); null when not placed."
    )
    districts: list[str] = strawberry.field(
        description="The districts in the commissioner (basis commissioner's districts, or "
        "the reason it spans several areas)."
    )
    reason: str | None = strawberry.field(description="Why there are no areas, when none.")

    @classmethod
    def of(cls, placed: PracticeAreas, label: dict[str, str]) -> PracticeGeography:
        return cls(
            type=placed.area_type,
            as_of=placed.on,
            areas=[
                AreaShare(code=a, name=label.get(a, a), share=round(s, 6))
                for a, s in sorted(placed.shares.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            commissioner=placed.commissioner,
            commissioner_area=placed.commissioner_area,
            basis=placed.basis,
            districts=placed.districts,
            reason=placed.reason,
        )


def placer_of(info: Info, practice: Organisation | None = None) -> PracticePlacer:
    """The practices' placer of the reference the practice was read from (as known at a date),
    else of the request's."""
    reference = practice.reference(info) if practice is not None else info.context.reference
    placer: PracticePlacer = reference.lookup.practices
    return placer


def geography_of(
    info: Info, code: str, area_type: str, day: dt.date, practice: Organisation | None = None
) -> PracticeGeography:
    placer = placer_of(info, practice)
    try:
        placed = placer.areas(code, area_type, day)
    except UnknownAreaType as exc:
        raise UserError(str(exc), "Query geographyTypes for the known keys.") from exc
    labels = {a: placer.placer.area_label(a) for a in placed.shares}
    return PracticeGeography.of(placed, labels)


@strawberry.type(description="A GP practice or other prescribing cost centre (nhskg:GPPractice).")
class GPPractice(Organisation):
    @strawberry.field(
        description="Postcode its newest ODS record states.", metadata={"iri": term("postcode")}
    )
    def postcode(self, info: Info) -> str | None:
        practice = placer_of(info, self).practices.get(self.code)
        return practice.postcode if practice else None

    @strawberry.field(
        description="ODS status: A active, C closed, D dormant, P proposed.",
        metadata={"iri": term("practiceStatusCode")},
    )
    def status(self, info: Info) -> str | None:
        practice = placer_of(info, self).practices.get(self.code)
        return practice.status if practice else None

    @strawberry.field(
        description="The status in words (the ontology's label).", metadata={"iri": RDFS_LABEL}
    )
    def status_label(self, info: Info) -> str | None:
        index = placer_of(info, self).practices
        practice = index.get(self.code)
        return index.status_label(practice) if practice and practice.status else None

    @strawberry.field(
        description="Prescribing setting code (4: GP practice).",
        metadata={"iri": term("prescribingSettingCode")},
    )
    def prescribing_setting(self, info: Info) -> int | None:
        practice = placer_of(info, self).practices.get(self.code)
        return practice.setting if practice else None

    @strawberry.field(
        description="The prescribing setting in words (the ontology's label).",
        metadata={"iri": RDFS_LABEL},
    )
    def prescribing_setting_label(self, info: Info) -> str | None:
        index = placer_of(info, self).practices
        practice = index.get(self.code)
        return index.setting_label(practice) if practice else None

    @strawberry.field(
        description="Every commissioning statement held, oldest first (the September 2020 "
        "practice map: one day; epraccur: from joining the commissioner).",
        metadata={"iri": term("PracticeCommissioning")},
    )
    def commissionings(self, info: Info) -> list[PracticeCommissioningValue]:
        practice = placer_of(info, self).practices.get(self.code)
        found = practice.commissionings if practice else []
        return [PracticeCommissioningValue.of(c) for c in found]

    @strawberry.field(
        description="The commissioning holding on a date (default: the asOf asked, else "
        "today); null when none is held.",
        metadata={"iri": term("PracticeCommissioning")},
    )
    def commissioner(
        self, info: Info, as_of: dt.date | None = None
    ) -> PracticeCommissioningValue | None:
        practice = placer_of(info, self).practices.get(self.code)
        held = (
            practice.commissioning_on(as_of or self.asked_on or dt.date.today())
            if practice
            else None
        )
        return PracticeCommissioningValue.of(held) if held else None

    @strawberry.field(
        description="The areas of each type asked (default: SUB_ICB, ICB, NHS_REGION, LRF) the "
        "practice is in on a date (default: the asOf asked, else today), through its "
        "commissioner; each with the basis or the reason.",
        metadata={"iri": term("parentArea")},
    )
    def geographies(
        self, info: Info, as_of: dt.date | None = None, types: list[str] | None = None
    ) -> list[PracticeGeography]:
        day = as_of or self.asked_on or dt.date.today()
        wanted = types or ["SUB_ICB", "ICB", "NHS_REGION", "LRF"]
        return [geography_of(info, self.code, t, day, self) for t in wanted]


KINDS[term("GPPractice")] = GPPractice  # organisation_of answers practices as GPPractice


@strawberry.type(description="A practice in an area on a date, with its share (1: wholly).")
class PracticeInArea:
    practice: GPPractice
    share: float = iri_field(term("share"), "The practice's share in the area.")
