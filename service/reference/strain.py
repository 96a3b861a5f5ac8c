"""Early-warning terms of the ontology (ontology/strain.ttl), read once with the reference
snapshot: which metrics are forecast and how far ahead, and each metric's strain thresholds (the
value, the side of it that is strain, the quantity compared, the capacity shown with it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.rdf.store import GraphStore
from service.reference.metrics import ThresholdBasis, local_name

THRESHOLDS = """
SELECT ?metric ?threshold ?label ?definition ?value ?direction ?quantity ?capacity ?basis ?source
       ?comment WHERE {
    ?metric nhskg:strainThreshold ?threshold .
    ?threshold rdfs:label ?label ; nhskg:thresholdValue ?value ; nhskg:strainDirection ?direction .
    OPTIONAL { ?threshold skos:definition ?definition }
    OPTIONAL { ?threshold nhskg:thresholdQuantity ?quantity }
    OPTIONAL { ?threshold nhskg:capacityMetric ?capacity }
    OPTIONAL { ?threshold nhskg:thresholdBasis ?basis }
    OPTIONAL { ?threshold <http://purl.org/dc/terms/source> ?source }
    OPTIONAL { ?threshold rdfs:comment ?comment }
}"""

HORIZONS = "SELECT ?metric ?horizon WHERE { ?metric nhskg:forecastHorizon ?horizon }"
DEFAULTS = """
SELECT ?metric ?horizon ?model ?approach WHERE {
    ?metric nhskg:forecastHorizon ?horizon .
    OPTIONAL { ?metric nhskg:forecastModel/skos:notation ?model }
    OPTIONAL { ?metric nhskg:forecastApproach/skos:notation ?approach }
}"""

FIGURE = "FigureValue"  # the quantity compared when a threshold states none
UNSTATED = ThresholdBasis(True, "the ontology states no source for it")


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
    basis: ThresholdBasis = UNSTATED


@dataclass(frozen=True)
class ForecastDefault:
    """How a metric's areas are forecast when the question names no model or approach (the
    ontology's nhskg:forecastModel, nhskg:forecastApproach, by their skos:notation)."""

    metric: str
    horizon: int
    model: str  # ENSEMBLE, ARIMA, ...; "": the ontology states none (or two)
    approach: str  # AREA | CONTRIBUTORS; "": none stated


@dataclass
class EarlyWarningIndex:
    thresholds: list[Threshold] = field(default_factory=list)
    horizons: dict[str, int] = field(default_factory=dict)  # metric IRI -> days ahead
    defaults: dict[str, ForecastDefault] = field(default_factory=dict)  # metric IRI -> default

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
                basis=ThresholdBasis.of(r["basis"], r["source"], r["comment"]),
            )
            for r in store.select(THRESHOLDS)
        }
        horizons = {r["metric"]: int(r["horizon"]) for r in store.select(HORIZONS)}
        defaults: dict[str, ForecastDefault] = {}
        for r in store.select(DEFAULTS):
            found = ForecastDefault(
                r["metric"],
                int(r["horizon"]),
                str(r["model"] or ""),
                str(r["approach"] or ""),
            )
            if defaults.get(r["metric"], found) != found:  # two models for one metric: neither
                found = ForecastDefault(r["metric"], found.horizon, "", "")
            defaults[r["metric"]] = found
        return cls(sorted(thresholds.values(), key=lambda t: t.key), horizons, defaults)

    def default_for(self, metric: str) -> ForecastDefault:
        """The metric's forecast default; a metric forecast without a single stated model and
        approach is an error in the ontology, said so (never a model chosen here)."""
        found = self.defaults.get(metric)
        if found is None:
            raise LookupError(f"{local_name(metric)} has no nhskg:forecastHorizon: not forecast")
        if not found.model or not found.approach:
            raise LookupError(
                f"the ontology states no single nhskg:forecastModel and nhskg:forecastApproach "
                f"for {local_name(metric)} (ontology/strain.ttl)"
            )
        return found

    def for_metric(self, metric: str) -> list[Threshold]:
        return [t for t in self.thresholds if t.metric == metric]
