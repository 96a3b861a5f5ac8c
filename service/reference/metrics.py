"""The metric scheme (ontology/metrics.ttl), read from the store's ontology graph for the API:
a new metric is an ontology change, never a code change."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from service.rdf.store import GraphStore

ASSUMPTION = "an assumption of this service, not a published standard"


@dataclass(frozen=True)
class ThresholdBasis:
    """Where a strain threshold's value comes from (nhskg:thresholdBasis): a publication
    (dct:source names it) or an assumption of this service (rdfs:comment says why). A threshold
    the ontology gives no basis is taken as an assumption: never presented as a standard."""

    assumed: bool
    source: str  # the publication (dct:source), or why it is assumed (rdfs:comment)

    @classmethod
    def of(cls, basis: object, source: object, comment: object) -> ThresholdBasis:
        published = basis is not None and str(basis).endswith("#PublishedStandard") and source
        if published:
            return cls(False, str(source))
        return cls(True, str(comment or "the ontology states no source for it"))

    @property
    def note(self) -> str:
        """What every answer using the threshold says of it."""
        return ASSUMPTION if self.assumed else f"source: {self.source}"


METRICS = """
SELECT ?metric ?label ?definition ?unit ?kind ?kindLabel ?threshold ?datatype ?numerator
       ?denominator ?open ?strain ?strainValue ?strainDirection ?item ?strainBasis
       ?strainSource ?strainComment WHERE {
    ?metric a nhskg:Metric ; skos:inScheme nhskg:MetricScheme ; skos:prefLabel ?label ;
            nhskg:measureKind ?kind .
    ?kind skos:prefLabel ?kindLabel .
    OPTIONAL { ?metric skos:definition ?definition }
    OPTIONAL { ?metric nhskg:unitOfMeasure ?unit }
    OPTIONAL { ?metric nhskg:revisionThreshold ?threshold }
    OPTIONAL { ?metric nhskg:valueDatatype ?datatype }
    OPTIONAL { ?metric nhskg:numeratorMetric ?numerator ; nhskg:denominatorMetric ?denominator }
    OPTIONAL { ?metric nhskg:openToPublic ?open }
    OPTIONAL { ?metric nhskg:supplyItem ?item }
    OPTIONAL {
        ?metric nhskg:strainThreshold ?strain .
        ?strain nhskg:thresholdValue ?strainValue ; nhskg:strainDirection ?strainDirection .
        OPTIONAL { ?strain nhskg:thresholdBasis ?strainBasis }
        OPTIONAL { ?strain <http://purl.org/dc/terms/source> ?strainSource }
        OPTIONAL { ?strain rdfs:comment ?strainComment }
        # A threshold on the figure itself (doubling times are the early warning's)
        FILTER NOT EXISTS {
            ?strain nhskg:thresholdQuantity ?quantity . FILTER (?quantity != nhskg:FigureValue)
        }
    }
}"""

AGGREGATIONS = """
SELECT ?metric ?aggregation ?label WHERE {
    ?metric a nhskg:Metric ; nhskg:validAggregation ?aggregation .
    ?aggregation skos:prefLabel ?label .
}"""


@dataclass(frozen=True)
class MetricTerm:
    key: str  # the local name of the ontology term, e.g. BedsOccupiedCovid
    iri: str
    label: str
    definition: str
    unit: str
    kind: str  # the local name of its measure kind: Stock or Flow
    kind_label: str
    aggregations: tuple[tuple[str, str], ...]  # (local name, label)
    # The share of earlier-published values a new release may revise before a steward looks.
    revision_threshold: float | None = None
    # nhskg:valueDatatype: how values are written in RDF (xsd:integer for counts)
    value_datatype: str = "http://www.w3.org/2001/XMLSchema#decimal"
    # A ratio metric (kind Ratio): the two metrics summed over the same contributors.
    numerator: str | None = None
    denominator: str | None = None
    # nhskg:openToPublic false: the public role may not see it in any form (supplies)
    open_to_public: bool = True
    # nhskg:strainThreshold: (threshold IRI, value, direction local name StrainAbove|StrainBelow)
    strain: tuple[str, float, str] | None = None
    strain_basis: ThresholdBasis | None = None  # where the threshold's value comes from
    supply_item: str | None = None  # nhskg:supplyItem (local name), for supplies metrics

    @property
    def is_ratio(self) -> bool:
        return self.numerator is not None and self.denominator is not None


def local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


class MetricIndex:
    def __init__(self, metrics: list[MetricTerm]) -> None:
        self.by_key = {m.key: m for m in sorted(metrics, key=lambda m: m.key)}
        self._by_iri = {m.iri: m for m in metrics}

    @classmethod
    def build(cls, store: GraphStore) -> MetricIndex:
        aggregations: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for r in store.select(AGGREGATIONS):
            aggregations[r["metric"]].add((local_name(r["aggregation"]), str(r["label"])))
        metrics: dict[str, MetricTerm] = {}
        for r in store.select(METRICS):
            iri = r["metric"]
            metrics.setdefault(
                iri,
                MetricTerm(
                    key=local_name(iri),
                    iri=iri,
                    label=str(r["label"]),
                    definition=str(r["definition"] or ""),
                    unit=str(r["unit"] or ""),
                    kind=local_name(r["kind"]),
                    kind_label=str(r["kindLabel"]),
                    aggregations=tuple(sorted(aggregations[iri])),
                    revision_threshold=(
                        float(r["threshold"]) if r["threshold"] is not None else None
                    ),
                    value_datatype=r["datatype"] or MetricTerm.value_datatype,
                    numerator=r["numerator"],
                    denominator=r["denominator"],
                    open_to_public=str(r["open"]).lower() not in ("false", "0"),
                    strain=(
                        (r["strain"], float(r["strainValue"]), local_name(r["strainDirection"]))
                        if r["strain"] is not None
                        else None
                    ),
                    strain_basis=(
                        ThresholdBasis.of(r["strainBasis"], r["strainSource"], r["strainComment"])
                        if r["strain"] is not None
                        else None
                    ),
                    supply_item=local_name(r["item"]) if r["item"] is not None else None,
                ),
            )
        return cls(list(metrics.values()))

    def find(self, key_or_iri: str) -> MetricTerm | None:
        """By local name (BedsOccupiedCovid) or full IRI."""
        return self.by_key.get(key_or_iri.strip()) or self._by_iri.get(key_or_iri.strip())

    def by_iri(self, iri: str) -> MetricTerm | None:
        return self._by_iri.get(iri)
