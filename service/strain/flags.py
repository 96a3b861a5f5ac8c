"""THE strain flag: one place evaluates every threshold (ontology/metrics.ttl, supplies.ttl:
nhskg:strainThreshold on a metric, with nhskg:thresholdValue and nhskg:strainDirection). A
current value, a roll-up row or a forecast is flagged by `evaluate`; no threshold is written in
Python. A metric without a threshold is never flagged (None: not evaluated, which is not "no
strain")."""

from __future__ import annotations

from dataclasses import dataclass

from service.reference.metrics import MetricTerm


@dataclass(frozen=True)
class StrainFlag:
    metric: str  # the metric's key
    threshold: str  # IRI of the nhskg:StrainThreshold
    threshold_value: float
    direction: str  # StrainAbove | StrainBelow
    value: float
    flagged: bool

    @property
    def reason(self) -> str:
        side = "above" if self.direction == "StrainAbove" else "below"
        verdict = "strain" if self.flagged else "no strain"
        return f"{verdict}: {self.value:.4g} against strain {side} {self.threshold_value:g}"


def crosses(value: float, threshold_value: float, direction: str) -> bool:
    """Whether a value is on the strained side of a threshold (the threshold itself is not)."""
    if direction == "StrainAbove":
        return value > threshold_value
    if direction == "StrainBelow":
        return value < threshold_value
    raise ValueError(f"unknown strain direction {direction!r} (ontology: StrainAbove, StrainBelow)")


def evaluate(metric: MetricTerm, value: float | None) -> StrainFlag | None:
    """The metric's strain flag for a value; None when the metric states no threshold or there
    is no value."""
    if metric.strain is None or value is None:
        return None
    iri, threshold_value, direction = metric.strain
    return StrainFlag(
        metric.key,
        iri,
        threshold_value,
        direction,
        value,
        crosses(value, threshold_value, direction),
    )
