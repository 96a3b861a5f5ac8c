"""GraphQL types of the metric scheme and reported values (observations with their batch)."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry
from strawberry.types import Info

from service.api.graphql.iris import RDFS_LABEL, iri_field, term
from service.api.graphql.types import Organisation, organisation_of
from service.reference.metrics import MetricTerm

SKOS = "http://www.w3.org/2004/02/skos/core#"


@strawberry.enum(
    description="How a published figure is protected against disclosing small numbers (the "
    "metric's disclosure policy in the ontology); null: published as summed."
)
class FigureProtection(Enum):
    PERTURBED = strawberry.enum_value(
        "PERTURBED",
        description="Summed from values each perturbed by the cell-key method (noise fixed per "
        "organisation, metric and period): never a small number exactly, and the same figure "
        "whichever query asks.",
    )


@strawberry.type(description="A way of combining a metric's values (nhskg:AggregationScheme).")
class Aggregation:
    key: str = iri_field(term("validAggregation"), "Local name of the ontology concept.")
    label: str = iri_field(RDFS_LABEL, "What it does.")


@strawberry.type(description="The dates a metric has values for in the numbers store.")
class PeriodRange:
    first: dt.date = iri_field(term("firstPeriod"), "First period start held.")
    last: dt.date = iri_field(term("lastPeriod"), "Last period start held.")
    value_count: int = iri_field(term("valueCount"), "Values held.")


@strawberry.type(description="Where a strain threshold comes from (nhskg:thresholdBasis).")
class ThresholdBasis:
    """The basis fields every type that shows a strain threshold carries."""

    assumption: bool = strawberry.field(
        default=True,
        description="True: the threshold is an assumption of this service, not a published "
        "standard (nhskg:thresholdBasis nhskg:ServiceAssumption, or no basis stated).",
    )
    source: str = strawberry.field(
        default="",
        description="The publication that states the threshold (dct:source), or, for an "
        "assumption, why it is assumed (rdfs:comment).",
    )


@strawberry.type(
    description="The threshold beyond which an area is flagged as under strain "
    "(nhskg:StrainThreshold, stated in the ontology per metric)."
)
class MetricStrainThreshold(ThresholdBasis):
    iri: str = iri_field(term("StrainThreshold"), "IRI of the threshold.")
    value: float = iri_field(term("thresholdValue"), "The value at which strain starts.")
    direction: str = iri_field(
        term("strainDirection"), "StrainAbove (occupancy) or StrainBelow (days of stock)."
    )


@strawberry.type(description="A metric of the ontology's metric scheme (nhskg:Metric).")
class Metric:
    key: str = iri_field(term("metric"), "Local name of the term: the `metric` argument.")
    iri: str = iri_field(term("Metric"), "IRI of the metric.")
    label: str = iri_field(SKOS + "prefLabel", "Preferred label.")
    definition: str = iri_field(SKOS + "definition", "What it counts or measures.")
    unit: str = iri_field(term("unitOfMeasure"), "What one unit is (beds, attendances...).")
    kind: str = iri_field(
        term("measureKind"), "Stock (never summed over time) or Flow (sums over time)."
    )
    aggregations: list[Aggregation] = iri_field(
        term("validAggregation"), "The aggregations that give a meaningful number."
    )
    numerator: str | None = iri_field(
        term("numeratorMetric"),
        "A ratio metric (kind Ratio): the metric summed above the line (its key).",
    )
    denominator: str | None = iri_field(
        term("denominatorMetric"),
        "A ratio metric: the metric summed below the line over the same contributors.",
    )
    strain_threshold: MetricStrainThreshold | None = iri_field(
        term("strainThreshold"), "The threshold strain flags compare with (null: none)."
    )
    open_to_public: bool = iri_field(
        term("openToPublic"), "False: the public role may not see this metric at all."
    )

    @classmethod
    def of(cls, m: MetricTerm) -> Metric:
        return cls(
            key=m.key,
            iri=m.iri,
            label=m.label,
            definition=m.definition,
            unit=m.unit,
            kind=m.kind,
            aggregations=[Aggregation(key=k, label=label) for k, label in m.aggregations],
            numerator=m.numerator.rsplit("#", 1)[-1] if m.numerator else None,
            denominator=m.denominator.rsplit("#", 1)[-1] if m.denominator else None,
            strain_threshold=(
                MetricStrainThreshold(
                    iri=m.strain[0],
                    value=m.strain[1],
                    direction=m.strain[2],
                    assumption=m.strain_basis.assumed if m.strain_basis else True,
                    source=m.strain_basis.source if m.strain_basis else "",
                )
                if m.strain
                else None
            ),
            open_to_public=m.open_to_public,
        )

    @strawberry.field(
        description="Dates held for this metric (null when none are loaded).",
        metadata={"iri": term("firstPeriod")},
    )
    async def held(self, info: Info) -> PeriodRange | None:
        found = await info.context.held.load(self.iri)
        if found is None:
            return None
        return PeriodRange(first=found[0], last=found[1], value_count=found[2])


@strawberry.type(description="A load of one publication file (nhskg:ReturnBatch, PROV-O).")
class Batch:
    id: str = iri_field(term("ReturnBatch"), "Batch identifier.")
    publication: str = iri_field(term("batchOf"), "The publication it loaded.")
    file: str = iri_field("http://www.w3.org/ns/prov#wasDerivedFrom", "The file it was read from.")
    sha256: str = iri_field(term("sha256"), "SHA-256 of the file.")
    loaded_at: dt.datetime = iri_field(
        "http://www.w3.org/ns/prov#startedAtTime", "When it was loaded."
    )
    status: str = strawberry.field(
        description="current; superseded by a later load of the same file; or retired by a "
        "steward (its values no longer answer)."
    )
    dataset: str = iri_field(term("publicationOf"), "The dataset the publication belongs to.")
    release_date: dt.date = iri_field(
        term("releaseDate"),
        "The publication's release date: of two releases of a value, the later answers.",
    )
    mapping: str | None = strawberry.field(default=None, description="The return mapping used.")
    value_count: int | None = iri_field(term("valueCount"), "Values loaded.", default=None)
    answering: int | None = strawberry.field(
        default=None,
        description="Of them, values answering questions now (the rest are history: a later "
        "release gives them, or the batch is not current).",
    )
    release_source: str | None = strawberry.field(
        default=None, description="Where the release date came from: file name, mapping, stated."
    )
    superseded_by: str | None = strawberry.field(
        default=None, description="The batch of the later load of the same file."
    )
    changed_at: dt.datetime | None = strawberry.field(
        default=None, description="When a steward last retired or restored it."
    )
    change_note: str | None = strawberry.field(default=None, description="Why.")


@strawberry.type(description="One reported value (nhskg:ReportedValue) with its provenance.")
class Observation:
    code: str = iri_field(term("reportingOrganisation"), "ODS code it counts for (restated).")
    reported_code: str = iri_field(term("reportedCode"), "The code the return used.")
    metric: Metric = iri_field(term("metric"), "What was measured.")
    period_start: dt.date = iri_field(term("periodStart"), "First day of the period.")
    period_end: dt.date = iri_field(term("periodEnd"), "Last day of the period.")
    value: float | None = iri_field(
        term("reportedValue"), "The value as published (null: suppressed by the source)."
    )
    stated_region: str = iri_field(term("statedRegion"), "The region the return states.")
    sheet: str | None = strawberry.field(description="Sheet of the source file.")
    cell: str | None = strawberry.field(description="Cell of the source file.")
    batch: Batch = iri_field(term("inBatch"), "The load (and release) it came from.")
    area_type: str | None = strawberry.field(
        default=None,
        description="A value reported by area: the reporting area's type (LAD, MSOA ...).",
    )
    suppressed: bool = strawberry.field(
        default=False,
        description="The source suppressed the value (UKHSA's -99: a count of 0-2); no number.",
    )
    protection: FigureProtection | None = strawberry.field(
        default=None,
        description="How the value is protected against disclosing small numbers (the metric's "
        "disclosure policy protects this caller: PERTURBED, the value as every roll-up sums it, "
        "not as reported); null: the value as reported.",
    )

    @strawberry.field(
        description="The organisation, if the reference data knows it.",
        metadata={"iri": term("reportingOrganisation")},
    )
    async def organisation(self, info: Info) -> Organisation | None:
        record = await info.context.organisations.load(self.code)
        return organisation_of(record) if record else None
