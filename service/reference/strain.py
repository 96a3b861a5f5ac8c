"""Early-warning terms of the ontology (ontology/strain.ttl), read once with the reference
snapshot: which metrics are forecast and how far ahead, and each metric's strain thresholds (the
value, the side of it that is strain, the quantity compared, the capacity shown with it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.rdf.store import GraphStore
from service.reference.metrics import local_name

THRESHOLDS = """
SELECT ?metric ?threshold ?label ?definition ?value ?direction ?quantity ?capacity WHERE {
    ?metric nhskg:strainThreshold ?threshold .
    ?threshold rdfs:label ?label ; nhskg:thresholdValue ?value ; nhskg:strainDirection ?direction .
    OPTIONAL { ?threshold skos:definition ?definition }
    OPTIONAL { ?threshold nhskg:thresholdQuantity ?quantity }
    OPTIONAL { ?threshold nhskg:capacityMetric ?capacity }
}"""

HORIZONS = "SELECT ?metric ?horizon WHERE { ?metric nhskg:forecastHorizon ?horizon }"

FIGURE = "FigureValue"  # the quantity compared when a threshold states none


@dataclass(frozen=True)
class Threshold:
    iri: str
    key: str  # local name, e.g. CovidBedsDoublingStrain
    metric: str  # the metric's IRI
    label: str
    definition: str
    value: float
    direction: str  # StrainAbove | StrainBelow
    quantity: str = FIGURE  # FigureValue | DoublingTime
    capacity_metric: str | None = None  # IRI


@dataclass
class EarlyWarningIndex:
    thresholds: list[Threshold] = field(default_factory=list)
    horizons: dict[str, int] = field(default_factory=dict)  # metric IRI -> days ahead

    @classmethod
    def build(cls, store: GraphStore) -> EarlyWarningIndex:
        thresholds = {
            r["threshold"]: Threshold(
                iri=r["threshold"],
                key=local_name(r["threshold"]),
                metric=r["metric"],
                label=str(r["label"]),
                definition=str(r["definition"] or ""),
                value=float(r["value"]),
                direction=local_name(r["direction"]),
                quantity=local_name(r["quantity"]) if r["quantity"] else FIGURE,
                capacity_metric=r["capacity"],
            )
            for r in store.select(THRESHOLDS)
        }
        horizons = {r["metric"]: int(r["horizon"]) for r in store.select(HORIZONS)}
        return cls(sorted(thresholds.values(), key=lambda t: t.key), horizons)

    def for_metric(self, metric: str) -> list[Threshold]:
        return [t for t in self.thresholds if t.metric == metric]
