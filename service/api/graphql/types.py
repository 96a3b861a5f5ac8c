"""GraphQL types, named as the ontology names them; each field records the IRI it exposes."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from service.api.graphql.iris import RDF_TYPE, RDFS_LABEL, iri_field, term
from service.api.graphql.lookup_types import ResolvedOrganisation, resolved_of
from service.reference.areas import Area, AreaIndex, AreaMembership, AreaType
from service.reference.organisations import OdsRecord as OdsRecordData
from service.reference.organisations import Organisation as OrganisationRecord

if TYPE_CHECKING:
    from service.reference import ReferenceData

KNOWN_AT = (
    "The date the reference was read as known at (asKnownAt: the graphs written by the end of "
    "that day); null: as known now."
)


@strawberry.type(
    name="GeographyType",
    description="A kind of geographic area the ontology "
    "defines (a subclass of nhskg:GeographicArea with an API name).",
)
class GeographyType:
    key: str = iri_field(term("apiName"), "The API name, used as `by` and `type` arguments.")
    iri: str = iri_field(RDF_TYPE, "The ontology class.")
    label: str = iri_field(RDFS_LABEL, "The class label.")
    definition: str = iri_field(
        "http://www.w3.org/2004/02/skos/core#definition",
        "What the ontology says this kind of area is.",
    )

    @classmethod
    def of(cls, t: AreaType) -> GeographyType:
        return cls(key=t.key, iri=t.iri, label=t.label, definition=t.definition)


@strawberry.type(description="A dated membership of one area in another (nhskg:AreaMembership).")
class AreaLink:
    area: Annotated[GeographicArea, strawberry.lazy("service.api.graphql.types")] = iri_field(
        term("parentArea"), "The linked area (parent or child, depending on the field)."
    )
    share: float = iri_field(term("share"), "Share of the member in the parent (1 = wholly).")
    valid_from: dt.date = iri_field(term("validFrom"), "First day the membership holds.")
    valid_to: dt.date | None = iri_field(term("validTo"), "Last day, if it has ended.")

    @classmethod
    def of(
        cls, area: Area, m: AreaMembership, index: AreaIndex, source: GeographicArea | None = None
    ) -> AreaLink:
        """`source`: the area it is linked from, whose reference (as known at) it keeps."""
        known = (source.source, source.known_at) if source is not None else (None, None)
        return cls(
            area=GeographicArea.of(area, index, source=known[0], known_at=known[1]),
            share=m.share,
            valid_from=m.valid_from,
            valid_to=m.valid_to,
        )


@strawberry.type(description="A geographic area of any type (nhskg:GeographicArea).")
class GeographicArea:
    iri: str = iri_field(term("GeographicArea"), "IRI of the area.")
    code: str = iri_field(term("gssCode"), "GSS code where the area has one, else ODS code.")
    name: str = iri_field(RDFS_LABEL, "Name of the area.")
    gss_code: str | None = iri_field(term("gssCode"), "ONS GSS code.")
    ods_code: str | None = iri_field(term("odsCode"), "ODS code (NHS regions, ICBs).")
    types: list[str] = iri_field(term("apiName"), "API names of the area's types.")
    known_at: dt.date | None = strawberry.field(default=None, description=KNOWN_AT)
    # The reference it was read from (as known at a date), else the request's current one.
    source: strawberry.Private[Any] = None

    @classmethod
    def of(
        cls,
        area: Area,
        index: AreaIndex,
        *,
        source: ReferenceData | None = None,
        known_at: dt.date | None = None,
    ) -> GeographicArea:
        return cls(
            iri=area.iri,
            code=area.code,
            name=area.name,
            gss_code=area.gss_code,
            ods_code=area.ods_code,
            types=index.type_keys(area),
            known_at=known_at,
            source=source,
        )

    @strawberry.field(
        description="Areas this area lies in on the date (default today).",
        metadata={"iri": term("parentArea")},
    )
    async def parents(self, info: Info, as_of: dt.date | None = None) -> list[AreaLink]:
        day = as_of or dt.date.today()
        if self.source is not None:  # as known at a date: that reference's memberships
            areas: AreaIndex = self.source.areas
            links = areas.parents(areas.by_iri[self.iri], day)
        else:
            areas, links = (
                info.context.reference.areas,
                await info.context.parents.load((self.iri, day)),
            )
        return [AreaLink.of(a, m, areas, self) for a, m in links]

    @strawberry.field(
        description="Areas lying in this area on the date, optionally of one type.",
        metadata={"iri": term("memberArea")},
    )
    async def children(
        self, info: Info, as_of: dt.date | None = None, type: str | None = None
    ) -> list[AreaLink]:
        day = as_of or dt.date.today()
        if self.source is not None:
            areas: AreaIndex = self.source.areas
            links = areas.children(areas.by_iri[self.iri], day)
        else:
            areas = info.context.reference.areas
            links = await info.context.children.load((self.iri, day))
        out = [AreaLink.of(a, m, areas, self) for a, m in links]
        return [link for link in out if type is None or type in link.area.types]


@strawberry.type(description="What one vintage of an ODS file says about an organisation.")
class OdsRecord:
    vintage: dt.date = iri_field(term("vintage"), "The date the file describes.")
    name: str = iri_field(RDFS_LABEL, "Name in that vintage.")
    region_code: str | None = iri_field(term("statedRegionCode"), "Stated NHS England region.")
    health_geography_code: str | None = iri_field(
        term("statedHealthGeographyCode"), "Stated STP / ICB code."
    )

    @classmethod
    def of(cls, r: OdsRecordData) -> OdsRecord:
        return cls(
            vintage=r.vintage,
            name=r.name,
            region_code=r.region_code,
            health_geography_code=r.health_geography_code,
        )


@strawberry.interface(description="An organisation or site registered with ODS.")
class Organisation:
    iri: str = iri_field(term("Organisation"), "IRI of the organisation.")
    code: str = iri_field(term("odsCode"), "ODS code.")
    name: str = iri_field(RDFS_LABEL, "Name in the newest vintage.")
    type: str = iri_field(RDF_TYPE, "IRI of its ontology class.")
    open_date: dt.date | None = iri_field(term("openDate"), "First day open.")
    close_date: dt.date | None = iri_field(term("closeDate"), "Last day open, if closed.")
    ods_records: list[OdsRecord] = iri_field(term("OdsRecord"), "What each ODS vintage says.")
    known_at: dt.date | None = strawberry.field(default=None, description=KNOWN_AT)
    # The date the query asked about (organisation(code, asOf)); carriedOnBy defaults to it.
    asked_on: strawberry.Private[dt.date | None] = None
    # The reference it was read from (as known at a date), else the request's current one.
    source: strawberry.Private[Any] = None

    def reference(self, info: Info) -> ReferenceData:
        found: ReferenceData = self.source or info.context.reference
        return found

    @strawberry.field(
        description="The organisations carrying this one on at a date (default: the asOf the "
        "organisation was asked for, else today): itself while open, else its successors with "
        "the succession events from this code and the share each carries (null: unweighted).",
        metadata={"iri": term("Succession")},
    )
    def carried_on_by(self, info: Info, as_of: dt.date | None = None) -> list[ResolvedOrganisation]:
        day = as_of or self.asked_on or dt.date.today()
        _, _, found = self.reference(info).lookup.carried_on_by(self.code, day)
        return resolved_of(found)


@strawberry.type(description="An NHS trust (nhskg:NHSTrust).")
class Trust(Organisation):
    pass


@strawberry.type(description="Who a site is listed under from when (nhskg:SiteOperation).")
class SiteOperation:
    operator: str = iri_field(term("operator"), "ODS code of the organisation listed.")
    valid_from: dt.date = iri_field(term("validFrom"), "First day of the operation.")
    valid_to: dt.date | None = iri_field(term("validTo"), "Last day, if it has ended.")


@strawberry.type(description="A hospital or other site (nhskg:Site).")
class Site(Organisation):
    postcode: str | None = iri_field(term("postcode"), "Postcode of the site.")
    latitude: float | None = iri_field(term("latitude"), "WGS84 latitude, where known.")
    longitude: float | None = iri_field(term("longitude"), "WGS84 longitude, where known.")

    @strawberry.field(
        description="Every operation of the site: the organisation each file lists it under, "
        "and from when (the operator over time).",
        metadata={"iri": term("SiteOperation")},
    )
    def operations(self, info: Info) -> list[SiteOperation]:
        found = self.reference(info).lookup.site_operations(self.code)
        return [SiteOperation(operator=o, valid_from=f, valid_to=t) for o, f, t in found]

    @strawberry.field(
        description="The organisations running the site on a date (default: the asOf asked, "
        "else today): those carrying on the operator its operation lists, with the events.",
        metadata={"iri": term("operator")},
    )
    def operators(self, info: Info, as_of: dt.date | None = None) -> list[ResolvedOrganisation]:
        day = as_of or self.asked_on or dt.date.today()
        return resolved_of(self.reference(info).lookup.site_operators(self.code, day))


@strawberry.type(description="Any other ODS organisation (ICB, provider...).")
class OtherOrganisation(Organisation):
    pass


# Ontology class -> GraphQL type; other modules add theirs (practice_types: GPPractice).
KINDS: dict[str, type[Organisation]] = {term("NHSTrust"): Trust, term("Site"): Site}


def organisation_of(
    record: OrganisationRecord,
    asked_on: dt.date | None = None,
    source: ReferenceData | None = None,
    known_at: dt.date | None = None,
) -> Organisation:
    kind: type[Organisation] = KINDS.get(record.type_iri, OtherOrganisation)
    extra = (
        {"postcode": record.postcode, "latitude": record.latitude, "longitude": record.longitude}
        if kind is Site
        else {}
    )
    return kind(
        **extra,
        iri=record.iri,
        code=record.code,
        name=record.name,
        type=record.type_iri,
        open_date=record.open_date,
        close_date=record.close_date,
        ods_records=[OdsRecord.of(r) for r in record.records],
        asked_on=asked_on,
        source=source,
        known_at=known_at,
    )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class OrganisationEdge:
    cursor: str
    node: Organisation


@strawberry.type
class OrganisationConnection:
    edges: list[OrganisationEdge]
    page_info: PageInfo
    total_count: int
    known_at: dt.date | None = strawberry.field(default=None, description=KNOWN_AT)


@strawberry.input(description="Filters for `organisations`; all given filters must hold.")
class OrganisationFilter:
    type: str | None = strawberry.field(
        default=None, description="Ontology class local name (NHSTrust, Site, ...)."
    )
    region: str | None = strawberry.field(
        default=None,
        description="NHS England region ODS code stated by ODS (Y56) on openOn (default today).",
    )
    icb: str | None = strawberry.field(
        default=None, description="STP / ICB ODS code stated by ODS on openOn (default today)."
    )
    open_on: dt.date | None = strawberry.field(
        default=None, description="Only organisations open on this date."
    )
    name_contains: str | None = strawberry.field(
        default=None, description="Case-insensitive part of the name."
    )
