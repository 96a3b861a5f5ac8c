"""THE strain flag: one place evaluates every threshold (nhskg:strainThreshold on a metric, with
nhskg:thresholdValue and nhskg:strainDirection, in the ontology). A current value or a roll-up
row is flagged by `flag_value`; no threshold is written in Python. A metric without a threshold
is never flagged (None: not evaluated, which is not "no strain").

Shared with the early-warning work (branch h20f: forecasts and doubling-time thresholds, same
ontology terms): `crosses(quantity, threshold)` takes anything with `.value` and `.direction`,
so its thresholds and these compare the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from service.reference.metrics import MetricTerm


class ThresholdLike(Protocol):
    @property
    def value(self) -> float: ...

    @property
    def direction(self) -> str: ...  # StrainAbove | StrainBelow


@dataclass(frozen=True)
class MetricThreshold:
    iri: str  # the nhskg:StrainThreshold
    value: float
    direction: str


@dataclass(frozen=True)
class StrainFlag:
    metric: str  # the metric's key
    threshold: MetricThreshold
    quantity: float  # the value compared
    flagged: bool

    @property
    def reason(self) -> str:
        side = "above" if self.threshold.direction == "StrainAbove" else "below"
        verdict = "strain" if self.flagged else "no strain"
        return f"{verdict}: {self.quantity:.4g} against strain {side} {self.threshold.value:g}"


def crosses(quantity: float | None, threshold: ThresholdLike) -> bool:
    """Whether a quantity is on the strained side of a threshold (the threshold itself is not)."""
    if quantity is None:
        return False
    if threshold.direction == "StrainAbove":
        return quantity > threshold.value
    if threshold.direction == "StrainBelow":
        return quantity < threshold.value
    raise ValueError(f"unknown strain direction {threshold.direction!r}")


def flag_value(metric: MetricTerm, value: float | None) -> StrainFlag | None:
    """The metric's strain flag for a figure; None when the metric states no threshold on its
    figure or there is no value."""
    if metric.strain is None or value is None:
        return None
    threshold = MetricThreshold(*metric.strain)
    return StrainFlag(metric.key, threshold, value, crosses(value, threshold))
