"""GraphQL types of a roll-up: rows per area (and period), contributors, coverage, unmapped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

import strawberry
from strawberry.types import Info

from service.api.graphql.iris import iri_field, term
from service.api.graphql.numbers_types import FigureProtection, Metric, ThresholdBasis
from service.api.graphql.types import GeographicArea, GeographyType, Organisation, organisation_of
from service.reference.vocabulary import placement_methods

if TYPE_CHECKING:

    class RollupMethod(Enum):
        """The placement methods of the ontology (service/reference/vocabulary.py)."""

else:  # one value per nhskg:PlacementMethod, in the ontology's order
    RollupMethod = strawberry.enum(
        Enum(
            "RollupMethod",
            [
                (m.key, strawberry.enum_value(m.key, description=m.definition))
                for m in placement_methods()
            ],
            module=__name__,
        ),
        description="How an organisation is placed in areas.",
    )


PROTECTION_TEXT = (
    "How this figure is protected against disclosing small numbers (null: not protected)."
)


@strawberry.input(
    one_of=True,
    description="Give exactly one: asReported: true (each value stays with the organisation "
    "that reported it) or toOrganisationsAt: a date (values move to the organisations that "
    "carry the reporting ones on at that date).",
)
class RestateInput:
    as_reported: bool | None = strawberry.UNSET
    to_organisations_at: dt.date | None = strawberry.UNSET


@strawberry.type(description="One organisation's part of an area's figure.")
class Contributor:
    code: str = iri_field(term("reportingOrganisation"), "ODS code (after restating).")
    share: float = iri_field(term("share"), "Share of its value the area receives.")
    value: float = iri_field(term("reportedValue"), "Its value as reported.")

    @strawberry.field(
        description="The organisation, if the reference data knows it (batched per request).",
        metadata={"iri": term("reportingOrganisation")},
    )
    async def organisation(self, info: Info) -> Organisation | None:
        if not info.context.access.allows(self.code):  # the policy, again, at every depth
            return None
        record = await info.context.organisations.load(self.code)
        return organisation_of(record) if record else None


@strawberry.type(
    description="Who the figure covers: of the organisations that report this "
    "metric and that the method places in the area, those with a value."
)
class Coverage:
    reported: int
    expected: int
    missing: list[str] = strawberry.field(description="ODS codes expected but without a value.")


@strawberry.type(
    description="An area's value against its metric's strain threshold (service/strain/flags.py)."
)
class Strain(ThresholdBasis):
    flagged: bool = strawberry.field(description="Whether the value is on the strained side.")
    threshold: str = iri_field(term("strainThreshold"), "IRI of the threshold.")
    threshold_value: float = iri_field(term("thresholdValue"), "The value strain starts at.")
    direction: str = iri_field(term("strainDirection"), "StrainAbove or StrainBelow.")
    reason: str = strawberry.field(
        description="The comparison in words, and where the threshold comes from."
    )


@strawberry.type(description="A metric summed into one area for one period (or a whole range).")
class RollupRow:
    area: GeographicArea = iri_field(term("GeographicArea"), "The area.")
    period_start: dt.date = iri_field(term("periodStart"), "First day covered.")
    period_end: dt.date = iri_field(term("periodEnd"), "Last day covered.")
    value: float = iri_field(term("reportedValue"), "Sum of contributors' value x share.")
    contributors: list[Contributor] = iri_field(
        term("reportingOrganisation"), "Every organisation that contributes."
    )
    coverage: Coverage
    withheld: int = strawberry.field(
        default=0,
        description="Organisations the method places in the area that are outside your "
        "scope: their values are left out of value (0: the figure is whole).",
    )
    protection: FigureProtection | None = strawberry.field(
        default=None, description=PROTECTION_TEXT
    )
    numerator: float | None = strawberry.field(
        default=None,
        description="A ratio metric: the numerator summed over the contributors with both parts.",
    )
    denominator: float | None = strawberry.field(
        default=None,
        description="A ratio metric: the denominator summed over the same contributors.",
    )
    one_part: list[str] = strawberry.field(
        default_factory=list,
        description="A ratio metric: organisations with a value of one part only, left out of "
        "both sums.",
    )
    strain: Strain | None = strawberry.field(
        default=None,
        description="The value against the metric's strain threshold (null: the metric states "
        "none).",
    )
    suppressed: int = strawberry.field(
        default=0,
        description="Values reported by area: cells the source suppressed (UKHSA's MSOA counts "
        "of 0-2), not in value (0: none).",
    )


@strawberry.type(description="One point of an area's time series.")
class SeriesPoint:
    period_start: dt.date = iri_field(term("periodStart"), "First day covered.")
    period_end: dt.date = iri_field(term("periodEnd"), "Last day covered.")
    value: float = iri_field(term("reportedValue"), "The area's figure.")
    coverage: Coverage
    protection: FigureProtection | None = strawberry.field(
        default=None, description=PROTECTION_TEXT
    )


@strawberry.type(
    description="An area's figures over a range, one point per period; also as plain lists in "
    "period order (periodStarts, values, reported, expected: item i of each is one point), "
    "which a client charting thousands of points asks for instead of points."
)
class AreaSeries:
    area: GeographicArea = iri_field(term("GeographicArea"), "The area.")
    points: list[SeriesPoint]
    period_starts: list[dt.date] = iri_field(term("periodStart"), "First day of each period.")
    values: list[float] = iri_field(term("reportedValue"), "The area's figure in each period.")
    reported: list[int] = strawberry.field(
        description="Organisations with a value in each period (coverage.reported)."
    )
    expected: list[int] = strawberry.field(
        description="Organisations expected in each period (coverage.expected)."
    )


@strawberry.type(
    description="A value in scope that no area of the type takes (not placed, or "
    "split between successors without shares)."
)
class UnmappedValue:
    code: str = iri_field(term("reportingOrganisation"), "ODS code.")
    period_start: dt.date = iri_field(term("periodStart"), "First day of the period.")
    value: float = iri_field(term("reportedValue"), "The value left out.")
    reason: str = strawberry.field(default="", description="Why no area takes it.")
    placed_share: float | None = strawberry.field(
        default=None,
        description="For an organisation placed in part: the share some area took (the rest is "
        "this value).",
    )
    unlocated_share: float | None = strawberry.field(
        default=None, description="The share at sites with no known location (SITES)."
    )


@strawberry.type(description="A metric rolled up by a geography type.")
class RollupResult:
    metric: Metric = iri_field(term("metric"), "The metric.")
    by: GeographyType = iri_field(term("apiName"), "The geography type.")
    method: RollupMethod
    restated_to: dt.date | None = strawberry.field(
        description="The date of the organisations values were restated to (null: as reported)."
    )
    kind: str = iri_field(term("measureKind"), "Stock: a range is a time series, never a sum.")
    protection: FigureProtection | None = strawberry.field(
        description="How every figure of this answer (rows, series, unmapped values) is "
        "protected against disclosing small numbers (null: published as summed)."
    )
    reported_type: str | None = strawberry.field(
        default=None,
        description="A metric reported by area (method AREA_MEMBERSHIP): the type of the areas "
        "summed (LAD, MSOA ...); null for organisations' values.",
    )
    known_at: dt.date | None = strawberry.field(
        default=None,
        description="The date the answer is known at (asKnownAt): the releases out by then and "
        "the reference graph as it stood at the end of that day; null: as known now.",
    )
    # Built only when asked for: a 90-day national answer has tens of thousands of
    # contributors, which a client asking for the series alone should not pay for.
    build_rows: strawberry.Private[Callable[[], list[RollupRow]]]
    build_series: strawberry.Private[Callable[[], list[AreaSeries]]]
    build_unmapped: strawberry.Private[Callable[[], list[UnmappedValue]]]
    build_notice: strawberry.Private[Callable[[], str | None]]

    @strawberry.field(
        description="Set when the figures rest on synthetic values (the Supply Chain 360 return "
        "is generated, not real): the notice naming the datasets and files. Null: real data."
    )
    def synthetic_notice(self) -> str | None:
        return self.build_notice()

    @strawberry.field(description="Whether the figures rest on synthetic (generated) values.")
    def synthetic(self) -> bool:
        return self.build_notice() is not None

    @strawberry.field(
        description="One row per area and period (a flow over a range: one row per area)."
    )
    def rows(self) -> list[RollupRow]:
        return self.build_rows()

    @strawberry.field(description="The rows grouped per area.")
    def series(self) -> list[AreaSeries]:
        return self.build_series()

    @strawberry.field
    def unmapped(self) -> list[UnmappedValue]:
        return self.build_unmapped()

    unmapped_total: float = iri_field(
        term("reportedValue"), "Sum of the unmapped values (what no area took)."
    )
    unmapped_count: int = strawberry.field(description="How many unmapped values there are.")
    unmapped_organisations: list[str] = strawberry.field(
        description="ODS codes with an unmapped value, each once, sorted."
    )
