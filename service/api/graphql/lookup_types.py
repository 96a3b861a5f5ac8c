"""GraphQL types of the apps' lookup (the same answer as GET /lookup/{code}/{type})."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from service.api.graphql.iris import ORG, iri_field, term
from service.geography.lookup import LookupAnswer


@strawberry.type(description="A change event on the way from an old code (nhskg:Succession).")
class ChangeEvent:
    iri: str = iri_field(term("Succession"), "IRI of the event.")
    type: str = iri_field(term("Succession"), "Merger, Acquisition, Split, CodeChange, ...")
    date: dt.date = iri_field(term("effectiveDate"), "First day the successors carry on.")
    basis: str = iri_field(term("typeBasis"), "Whether the type was stated or inferred.")
    predecessors: list[str] = iri_field(ORG + "originalOrganization", "Predecessor codes.")
    successors: list[str] = iri_field(ORG + "resultingOrganization", "Successor codes.")


@strawberry.type(description="An organisation a code resolved to on the date.")
class ResolvedOrganisation:
    code: str = iri_field(term("odsCode"), "ODS code.")
    name: str = iri_field("http://www.w3.org/2000/01/rdf-schema#label", "Name.")
    weight: float | None = iri_field(term("share"), "Share carried on (null: unweighted).")
    events: list[ChangeEvent] = iri_field(term("Succession"), "Events from the asked code.")


@strawberry.type(description="An area and the organisation's share in it.")
class AreaShare:
    code: str = iri_field(term("gssCode"), "Area code.")
    name: str = iri_field("http://www.w3.org/2000/01/rdf-schema#label", "Area name.")
    share: float = iri_field(term("share"), "Share of the organisation in the area.")


@strawberry.type(description="Which areas of a type an organisation is in, by a named method.")
class LookupResult:
    code: str
    as_of: dt.date
    geography_type: str
    method: str
    status: str
    message: str
    primary_area: AreaShare | None
    areas: list[AreaShare]
    resolved: list[ResolvedOrganisation]
    coverage: float
    placed_share: float = strawberry.field(
        description="The share of the organisation the areas take (their shares' sum)."
    )
    unlocated_share: float = strawberry.field(
        description="The share at sites with no known location (SITES)."
    )
    unplaced: str | None = strawberry.field(
        description="Where the share no area takes went, in words; null when all is placed."
    )
    split_weighting: str | None
    conflicts: JSON | None
    evidence: JSON
    reason: str | None
    known_at: dt.date | None = strawberry.field(
        default=None,
        description="The date the reference was read as known at (asKnownAt: the graphs "
        "written by the end of that day); null: as known now.",
    )

    @classmethod
    def of(cls, a: LookupAnswer, known_at: dt.date | None = None) -> LookupResult:
        def area(d: dict[str, Any]) -> AreaShare:
            return AreaShare(code=d["code"], name=d["name"], share=d["share"])

        resolved = resolved_of(a.resolved)
        return cls(
            code=a.code,
            as_of=a.as_of,
            geography_type=a.geography_type,
            method=a.method,
            status=a.status,
            message=a.message,
            primary_area=area(a.primary_area) if a.primary_area else None,
            areas=[area(x) for x in a.areas],
            resolved=resolved,
            coverage=a.coverage,
            placed_share=a.placed_share,
            unlocated_share=a.unlocated_share,
            unplaced=a.unplaced,
            split_weighting=a.split_weighting,
            conflicts=cast(JSON, a.conflicts),
            evidence=cast(JSON, a.evidence),
            reason=a.reason,
            known_at=known_at,
        )


def resolved_of(found: list[dict[str, Any]]) -> list[ResolvedOrganisation]:
    """The lookup's carried-on organisations (service.geography.lookup) as GraphQL objects."""
    return [
        ResolvedOrganisation(
            code=r["code"],
            name=r["name"],
            weight=r["weight"],
            events=[
                ChangeEvent(
                    iri=e["event"],
                    type=e["type"],
                    date=dt.date.fromisoformat(e["date"]),
                    basis=e["basis"],
                    predecessors=e["predecessors"],
                    successors=e["successors"],
                )
                for e in r["events"]
            ],
        )
        for r in found
    ]
