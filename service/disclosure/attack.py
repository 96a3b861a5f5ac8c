"""The attacker: from every published figure, the tightest interval a linear programme (scipy's
HiGHS) can derive for each protected cell.

Unknowns: each record's true value v >= 0 and, when the figures are perturbed, its noise e with
|e| <= the policy's maximum perturbation (public) and v + e >= 0 (a published value is never
negative). What the attacker is told depends on what was published:

- `exact` (no protection): each figure is its records' combination, exactly;
- `primary` (primary suppression only): figures from 1 to the threshold are withheld (the
  attacker knows each lies in [0, threshold]); every other figure is exact;
- `perturbed` (the service's cell-key perturbation): each figure is its records' combination of
  v + e, as published.

The protected cells are every record (one organisation's value on one day: what differencing
overlapping geographies isolates) and every figure of whole records (a count, not a
catchment-share estimate) whose true value is from 1 to the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, hstack, identity, vstack

from service.disclosure.space import Space

EXACT, PRIMARY, PERTURBED = "exact", "primary", "perturbed"
# Relative: the engine's float sums and the programme's differ by rounding, and HiGHS's presolve
# declares near-parallel equalities with RHS a rounding apart infeasible.
SLACK = 1e-7
MODES = (EXACT, PRIMARY, PERTURBED)


@dataclass(frozen=True)
class Target:
    what: str  # "record" or a figure's geography type
    label: str
    coefficients: dict[int, float]
    true: float


@dataclass(frozen=True)
class Interval:
    target: Target
    low: float
    high: float
    witnessed: bool = False  # from two feasible points (a bound on the tightest), not solved

    @property
    def width(self) -> float:
        return self.high - self.low


def small(value: float, threshold: int) -> bool:
    return 0.5 <= value <= threshold + 1e-9


def targets(space: Space, threshold: int) -> list[Target]:
    """Records and figures whose true value is small, each combination once."""
    found: dict[tuple[tuple[int, float], ...], Target] = {}
    for n, record in enumerate(space.records):
        if small(record.value, threshold) and not record.suppressed:
            label = f"{record.org_code} {record.region_code} {record.day}"
            found[((n, 1.0),)] = Target("record", label, {n: 1.0}, record.value)
    for cell in space.cells:
        # A figure made with fractional shares (catchment, sites) is an estimate, not a count of
        # people: its records are the protected cells it is made of.
        whole = all(abs(k - 1.0) < 1e-9 for k in cell.coefficients.values())
        if whole and small(cell.true, threshold):
            key = tuple(sorted((n, round(k, 9)) for n, k in cell.coefficients.items()))
            label = f"{cell.area or 'unmapped'} {cell.start}..{cell.end} {cell.question.text()}"
            found.setdefault(key, Target(cell.geography, label, cell.coefficients, cell.true))
    return list(found.values())


class Attacker:
    """One linear programme of everything published, asked min and max of each target."""

    def __init__(
        self,
        space: Space,
        mode: str,
        threshold: int,
        maximum_noise: int,
        time_limit: float = 120.0,
        decimals: int = 6,
    ) -> None:
        self.time_limit = time_limit
        if mode not in MODES:
            raise ValueError(f"mode {mode!r}: one of {', '.join(MODES)}")
        self.mode, self.n = mode, len(space.records)
        rows, published, withheld = self._figures(space, mode, threshold)
        n = self.n
        a = _matrix(rows, n)
        known = _matrix(space.identities, n)  # sums the reader knows hold (true values)
        self.tied = {k for identity in space.identities for k in identity}
        lower = space.lower or [0.0] * n
        y = np.array(published)
        slack = SLACK * np.maximum(1.0, np.abs(y))
        if mode == PERTURBED:  # published rounded to `decimals` places: the attacker knows
            slack = np.maximum(slack, 0.5 * 10.0**-decimals)
            # variables: v (n), e (n); each figure: A (v + e) = published (to within the
            # rounding of the engine's sums, as every equality here); v + e >= 0
            both = hstack([a, a])
            sums = hstack([known, csr_matrix(known.shape)])
            self.a_ub = vstack(
                [both, -both, hstack([-identity(n), -identity(n)]), sums, -sums]
            ).tocsr()
            tiny = np.full(known.shape[0], SLACK)
            self.b_ub = np.concatenate([y + slack, slack - y, np.zeros(n), tiny, tiny])
            self.bounds = [(v, None) for v in lower] + [(-maximum_noise, maximum_noise)] * n
        else:
            # variables: v (n); each figure: A v = published, or withheld: 0 <= A v <= threshold
            hidden = np.array(withheld, dtype=bool)
            high = np.where(hidden, threshold, y + slack)
            low = np.where(hidden, 0.0, y - slack)
            self.a_ub = vstack([a, -a, known, -known]).tocsr()
            tiny = np.full(known.shape[0], SLACK)
            self.b_ub = np.concatenate([high, -low, tiny, tiny])
            self.bounds = [(v, None) for v in lower]
        self.figures = len(rows)

    @staticmethod
    def _figures(
        space: Space, mode: str, threshold: int
    ) -> tuple[list[dict[int, float]], list[float], list[bool]]:
        """Each distinct combination once, with what is published of it (the same combination
        is the same figure whichever question asked it: the engine is deterministic)."""
        seen: dict[tuple[tuple[int, float], ...], int] = {}
        rows: list[dict[int, float]] = []
        published: list[float] = []
        withheld: list[bool] = []
        for cell in space.cells:
            if not cell.coefficients:
                continue
            key = tuple(sorted((n, round(k, 9)) for n, k in cell.coefficients.items()))
            if key in seen:
                continue
            seen[key] = len(rows)
            rows.append(cell.coefficients)
            # Without perturbation the figure is its combination of the true values (the engine's
            # own sum agrees to within rounding: space.py checks it).
            exact = sum(k * space.records[n].value for n, k in cell.coefficients.items())
            published.append(cell.published if mode == PERTURBED else exact)
            withheld.append(mode == PRIMARY and small(cell.true, threshold))
        return rows, published, withheld

    def witnessed(self, target: Target, space: Space, maximum_noise: int) -> Interval | None:
        """An interval the attacker cannot narrow, from two points that satisfy every published
        figure (perturbed mode only): the true values and noise, with each of the target's
        records moved to max(0, w - D) and to w + D and its noise moved the other way (w, the
        published record value v + e, is unchanged, so every figure is). The tightest interval
        holds this one: when it is already as wide as the protection width, no programme can
        narrow the cell further, and none need be solved."""
        if self.mode != PERTURBED or any(k < 0 for k in target.coefficients.values()):
            return None
        if any(n in self.tied for n in target.coefficients):  # moving it breaks an identity
            return None
        low = high = 0.0
        lower = space.lower or [0.0] * len(space.records)
        for n, k in target.coefficients.items():
            w = space.records[n].value + space.noise[n]
            low += k * max(lower[n], w - maximum_noise)
            high += k * (w + maximum_noise)
        return Interval(target, low, high, witnessed=True)

    def interval(self, target: Target) -> Interval:
        c = np.zeros(2 * self.n if self.mode == PERTURBED else self.n)
        for n, k in target.coefficients.items():
            c[n] = k
        low = self._solve(c)
        high = -self._solve(-c)
        return Interval(target, low, high)

    def _solve(self, c: np.ndarray) -> float:
        found = linprog(
            c,
            A_ub=self.a_ub,
            b_ub=self.b_ub,
            bounds=self.bounds,
            method="highs",
            options={"time_limit": self.time_limit},
        )
        if found.status == 3:  # unbounded: the attacker learns nothing on that side
            return -np.inf
        if found.status == 1:  # out of time: undecided, the caller counts it
            raise TimeoutError(found.message)
        if found.status != 0:
            raise RuntimeError(f"the attacker's programme failed: {found.message}")
        return float(found.fun)


def _matrix(rows: list[dict[int, float]], n: int) -> csr_matrix:
    data, cols, ptr = [], [], [0]
    for row in rows:
        for k, v in sorted(row.items()):
            cols.append(k)
            data.append(v)
        ptr.append(len(cols))
    return csr_matrix((data, cols, ptr), shape=(len(rows), n))
