"""`nhskg disclosure audit`: the attacker's linear programmes over everything the public role can
obtain for a metric and period, and the information the protection costs.

A protected cell is disclosed when the attacker's tightest interval for it is narrower than the
policy's protection width (`narrowed`), and recovered exactly when the interval holds one value
only. The information loss is the mean absolute perturbation of the published figures per
geography type and span (daily, 7-day), as a share of the mean absolute figure; the policy
states the bound."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from service.access.disclosure import DisclosurePolicy, Protection, source_floor
from service.disclosure.area_space import build_area_space
from service.disclosure.attack import PERTURBED, Attacker, Interval, targets
from service.disclosure.space import Space, build_space
from service.returns.area_spec import is_area_metric
from service.returns.codes import Successions
from service.returns.numbers import NumbersStore

EXACTLY = 1e-6


def one_value(interval: Interval) -> bool:
    """Whether the interval holds one whole number only (a count recovered exactly)."""
    return math.floor(interval.high + EXACTLY) == math.ceil(interval.low - EXACTLY)


@dataclass(frozen=True)
class Loss:
    geography: str
    span: str
    cells: int
    mean_absolute_perturbation: float
    mean_absolute_value: float

    @property
    def relative(self) -> float:
        """Mean |perturbation| over mean |figure|: 0 when nothing moved (no figures, or every
        figure 0: zeros stay zero), infinite when figures of 0 were moved (never within a
        bound)."""
        if not self.mean_absolute_perturbation:
            return 0.0
        if not self.mean_absolute_value:
            return math.inf
        return self.mean_absolute_perturbation / self.mean_absolute_value


@dataclass
class Report:
    metric: str
    start: date
    end: date
    mode: str
    records: int
    figures: int  # published figures (every question's)
    distinct_figures: int  # distinct combinations the attacker's programme holds
    questions: int
    skipped: int
    tried: int = 0
    solved: int = 0  # by the attacker's linear programmes (min and max)
    witnessed: int = 0  # shown wide enough by two feasible points, without a programme
    undecided: int = 0  # the programme ran out of time
    exact: int = 0
    narrowed: int = 0  # narrower than the protection width (exact ones included)
    width: int = 0
    loss: list[Loss] = field(default_factory=list)
    loss_bound: float = 0.0
    worst: list[Interval] = field(default_factory=list)
    seconds: float = 0.0
    suppressed: int = 0  # values the source suppressed (each in [0, k], in no figure)
    suppressed_in_figures: int = 0  # must be 0: a suppressed value summed into a figure
    identities: int = 0  # sums the attacker knows hold (a larger area = its parts)
    source_floor: int = 0  # what the attacker knows of an unsuppressed value: at least this

    @property
    def loss_within_bound(self) -> bool:
        """Per geography type (the unmapped totals, reported too, are not a geography: what no
        area took sums many records' noise over a small remainder)."""
        return all(
            item.relative <= self.loss_bound for item in self.loss if item.geography != "unmapped"
        )

    def text(self) -> str:
        lines = [
            f"Disclosure audit of {self.metric.rsplit('#', 1)[-1]} {self.start}..{self.end}, "
            f"figures {self.mode}:",
            f"  {self.questions} questions, {self.figures} published figures "
            f"({self.distinct_figures} distinct), {self.records} records, "
            f"{self.skipped} figures not modelled",
            *(
                [
                    f"  suppressed at source: {self.suppressed} cells (each in [0, "
                    f"{max(self.source_floor - 1, 0)}]), {self.suppressed_in_figures} of them in a "
                    f"published figure; every other value known to be >= {self.source_floor}; "
                    f"{self.identities} sums of parts the attacker uses"
                ]
                if self.suppressed or self.identities or self.source_floor
                else []
            ),
            f"  protected cells tried: {self.tried} ({self.solved} by linear programme, "
            f"{self.witnessed} by two feasible points; {self.undecided} out of time)",
            f"  recovered exactly: {self.exact}",
            f"  narrowed inside the protection interval (narrower than {self.width}): "
            f"{self.narrowed}",
        ]
        for interval in self.worst[:5]:
            t = interval.target
            lines.append(
                f"    {t.what} {t.label}: true {t.true:g}, attacker's interval "
                f"[{interval.low:.3g}, {interval.high:.3g}]"
            )
        if self.loss:
            lines.append(
                f"  information loss (mean |perturbation| / mean |figure|, "
                f"bound {self.loss_bound}):"
            )
        for item in self.loss:
            lines.append(
                f"    {item.geography:<10} {item.span:<6} {item.cells:>6} figures: "
                f"{item.mean_absolute_perturbation:.2f} / {item.mean_absolute_value:.1f} "
                f"= {item.relative:.3f}"
            )
        lines.append(f"  {self.seconds:.1f} s")
        return "\n".join(lines)


def information_loss(space: Space) -> list[Loss]:
    groups: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for cell in space.cells:
        groups[(cell.geography, cell.question.span)].append((cell.published, cell.true))
    out = []
    for (geography, span), pairs in sorted(groups.items()):
        perturbation = sum(abs(p - t) for p, t in pairs) / len(pairs)
        value = sum(abs(t) for _, t in pairs) / len(pairs)
        out.append(Loss(geography, span, len(pairs), perturbation, value))
    return out


def audit(
    numbers: NumbersStore,
    metric: str,
    start: date,
    end: date,
    policy: DisclosurePolicy,
    salt: str,
    *,
    mode: str = PERTURBED,
    successions: Successions | None = None,
    max_targets: int | None = None,
    solve_all: bool = False,
    methods: tuple[str, ...] | None = None,
    time_limit: float = 120.0,
    floor: int | None = None,
) -> Report:
    """The audit of one mode: `perturbed` (what the service publishes), `primary` or `exact`
    (the negative controls: the same figures primary-suppressed, or unprotected). A metric
    reported by area is asked by area (service/disclosure/area_space.py). `floor`: the
    perturbation's source floor (default the ontology's, as the service applies it; 0, a
    negative control: perturbed as if the source suppressed nothing)."""
    began = time.perf_counter()
    shift = source_floor(metric) if floor is None else floor
    protection = Protection(policy, salt, shift) if mode == PERTURBED else None
    if is_area_metric(metric):
        space = build_area_space(numbers, metric, start, end, protection)
    else:
        space = build_space(numbers, metric, start, end, protection, successions)
    if methods:  # the attacker told only these methods' figures (a smaller programme)
        space.cells = [c for c in space.cells if c.question.method.value in methods]
    attacker = Attacker(space, mode, policy.threshold, policy.maximum, time_limit, policy.decimals)
    found = targets(space, policy.threshold)
    if max_targets is not None and len(found) > max_targets:  # evenly spread, deterministic
        step = len(found) / max_targets
        found = [found[int(i * step)] for i in range(max_targets)]
    report = Report(
        metric, start, end, mode, len(space.records), len(space.cells), attacker.figures,
        space.questions, space.skipped, width=policy.width, loss_bound=policy.loss_bound,
        suppressed=len(space.suppressed), suppressed_in_figures=space.suppressed_in_figures,
        identities=len(space.identities), source_floor=source_floor(metric),
    )  # fmt: skip
    disclosed = []
    for target in found:
        interval = attacker.witnessed(target, space, policy.maximum) if not solve_all else None
        if interval is None or interval.width < policy.width - EXACTLY:
            try:
                interval = attacker.interval(target)
            except TimeoutError:
                report.undecided += 1
                continue
            report.solved += 1
        else:
            report.witnessed += 1
        report.tried += 1
        if interval.width < policy.width - EXACTLY:
            report.narrowed += 1
            disclosed.append(interval)
            if one_value(interval):
                report.exact += 1
    report.worst = sorted(disclosed, key=lambda i: i.width)
    report.loss = information_loss(space) if mode == PERTURBED else []
    report.seconds = time.perf_counter() - began
    return report
