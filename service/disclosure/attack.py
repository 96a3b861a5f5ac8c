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

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, hstack, identity, vstack
from scipy.sparse.csgraph import connected_components

from service.disclosure.modes import MODES, PERTURBED, PRIMARY
from service.disclosure.space import Space

# Relative: the engine's float sums and the programme's differ by rounding, and HiGHS's presolve
# declares near-parallel equalities with RHS a rounding apart infeasible.
SLACK = 1e-7


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
        lower = np.array(space.lower or [0.0] * n, dtype=float)
        y = np.array(published, dtype=float)
        slack = SLACK * np.maximum(1.0, np.abs(y))
        tiny = np.full(known.shape[0], SLACK)
        # One ranged row per figure (low <= row . x <= high), built sparse once; each connected
        # part's programme (_Programme) takes its rows and columns from it.
        if mode == PERTURBED:  # published rounded to `decimals` places: the attacker knows
            slack = np.maximum(slack, 0.5 * 10.0**-decimals)
            # variables: v (n), e (n); each figure: A (v + e) = published (to within the
            # rounding of the engine's sums, as every equality here); v + e >= 0
            matrix = vstack(
                [hstack([a, a]), hstack([identity(n), identity(n)]),
                 hstack([known, csr_matrix(known.shape)])]
            )  # fmt: skip
            low = np.concatenate([y - slack, np.zeros(n), -tiny])
            high = np.concatenate([y + slack, np.full(n, np.inf), tiny])
            self.var_low = np.concatenate([lower, np.full(n, -float(maximum_noise))])
            self.var_high = np.concatenate([np.full(n, np.inf), np.full(n, float(maximum_noise))])
        else:
            # variables: v (n); each figure: A v = published, or withheld: 0 <= A v <= threshold
            hidden = np.array(withheld, dtype=bool)
            matrix = vstack([a, known])
            low = np.concatenate([np.where(hidden, 0.0, y - slack), -tiny])
            high = np.concatenate([np.where(hidden, float(threshold), y + slack), tiny])
            self.var_low, self.var_high = lower, np.full(n, np.inf)
        self.matrix: csr_matrix = csr_matrix(matrix)
        self.row_low, self.row_high = low, high
        self.components = _components(self.matrix, n, mode == PERTURBED)
        self._programmes: dict[int, _Programme] = {}
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
        """The tightest interval of the target, by two programmes over the connected part of
        the published figures its records are in (figures of other records cannot move it)."""
        parts = {int(self.components[n]) for n in target.coefficients}
        programme = self._programme(parts)
        c = np.zeros(len(programme.columns))
        for n, k in target.coefficients.items():
            c[programme.position[n]] = k
        low = programme.solve(c, self.time_limit)
        high = -programme.solve(-c, self.time_limit)
        return Interval(target, low, high)

    def _programme(self, parts: set[int]) -> _Programme:
        key = min(parts) if len(parts) == 1 else -1 - len(self._programmes)
        if key not in self._programmes:
            wanted = np.isin(self.components, sorted(parts))
            columns = np.flatnonzero(wanted)
            rows = np.flatnonzero(np.asarray(abs(self.matrix[:, columns]).sum(axis=1)).ravel())
            self._programmes[key] = _Programme(
                self.matrix[rows][:, columns], self.row_low[rows], self.row_high[rows],
                self.var_low[columns], self.var_high[columns], columns,
            )  # fmt: skip
        return self._programmes[key]

    @property
    def parts(self) -> int:
        """How many independent programmes the published figures fall into."""
        return int(self.components[: self.n].max()) + 1 if self.n else 0


@dataclass
class _Programme:
    """One connected part of the attacker's programme: its rows (ranged) and columns."""

    matrix: csr_matrix
    row_low: np.ndarray
    row_high: np.ndarray
    var_low: np.ndarray
    var_high: np.ndarray
    columns: np.ndarray
    position: dict[int, int] = field(default_factory=dict)
    a_ub: csr_matrix = field(init=False)
    b_ub: np.ndarray = field(init=False)
    bounds: list[tuple[float, float | None]] = field(init=False)

    def __post_init__(self) -> None:
        self.position = {int(c): i for i, c in enumerate(self.columns)}
        # The ranged rows as HiGHS's interior point takes them (A_ub x <= b_ub): the finite
        # sides only. Interior point, not simplex: the figures of overlapping geographies with
        # catchment and site shares are near-parallel rows, on which dual simplex stalls (one
        # national programme out of time at 30 s) and the interior point does not.
        finite_high, finite_low = np.isfinite(self.row_high), np.isfinite(self.row_low)
        self.a_ub = vstack([self.matrix[finite_high], -self.matrix[finite_low]]).tocsr()
        self.b_ub = np.concatenate([self.row_high[finite_high], -self.row_low[finite_low]])
        self.bounds = [
            (low, high if np.isfinite(high) else None)
            for low, high in zip(self.var_low, self.var_high, strict=True)
        ]

    def solve(self, c: np.ndarray, time_limit: float) -> float:
        found = linprog(
            c,
            A_ub=self.a_ub if self.a_ub.shape[0] else None,
            b_ub=self.b_ub if self.a_ub.shape[0] else None,
            bounds=self.bounds,
            method="highs-ipm",
            options={"time_limit": time_limit},
        )
        if found.status == 3:  # unbounded: the attacker learns nothing on that side
            return -np.inf
        if found.status == 1:  # out of time: undecided, the caller counts it
            raise TimeoutError(found.message)
        if found.status != 0 or found.fun is None:
            raise RuntimeError(f"the attacker's programme failed: {found.message}")
        return float(found.fun)


def _components(matrix: csr_matrix, n: int, paired: bool) -> np.ndarray:
    """The connected part of each variable (records joined by a figure they are both in; a
    record's noise, `paired`, in its record's part): columns of `matrix`, labelled 0.."""
    rows, columns = matrix.shape
    coo = matrix.tocoo()
    # A graph of columns and rows (a column joined to each row it is in), and each record's
    # noise joined to its record: linear in the non-zeros, where columns x columns was not.
    first = np.concatenate([coo.col, np.arange(n)]) if paired else coo.col
    second = np.concatenate([columns + coo.row, np.arange(n) + n]) if paired else columns + coo.row
    size = columns + rows
    graph = csr_matrix((np.ones(len(first)), (first, second)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    labels = np.asarray(labels)[:columns]
    _, compact = np.unique(labels, return_inverse=True)
    labels = compact
    return np.asarray(labels)


def _matrix(rows: list[dict[int, float]], n: int) -> csr_matrix:
    data, cols, ptr = [], [], [0]
    for row in rows:
        for k, v in sorted(row.items()):
            cols.append(k)
            data.append(v)
        ptr.append(len(cols))
    return csr_matrix((data, cols, ptr), shape=(len(rows), n))
