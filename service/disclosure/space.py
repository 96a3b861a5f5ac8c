"""The query space of one metric and period as the public role sees it: every geography type,
placement method, day and 7-day range, as reported and restated, asked of the roll-up engine
the API uses, and each published figure written as a linear combination of the records (one
reporting organisation's value, under one stated region, for one day).

The engine is asked twice per question: without protection and with every contributor (the true
figures and which records make them), and with the protection the public role gets and without
detail (the figures it publishes). A figure whose combination does not give its true value back
(a restatement that moves a reporter part-way through a range) is left out and counted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from service.access.disclosure import Protection
from service.returns.codes import Successions
from service.returns.numbers import NumbersStore
from service.rollup.engine import rollup
from service.rollup.model import (
    AS_REPORTED,
    RETURN_STATED,
    Method,
    Restate,
    RollupResult,
    to_organisations_at,
)

RANGE_DAYS = 7
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Record:
    org_code: str  # the reporting organisation's, or area's, code
    region_code: str  # the region the return states (an area's value: its area type)
    day: date
    value: float  # a suppressed value (no number): 0
    area_type: str = ""  # a value reported by area: the reporting area's type
    suppressed: bool = False


@dataclass(frozen=True)
class Question:
    area_type: str
    method: Method
    restate: Restate
    start: date
    end: date
    daily: bool  # True: a series, one figure per day; False: the range summed (7 days)

    @property
    def span(self) -> str:
        return "daily" if self.daily else f"{RANGE_DAYS}-day"

    def text(self) -> str:
        restated = f" restated to {self.restate.at}" if self.restate.at else ""
        return f"{self.area_type} by {self.method.value}{restated}"


@dataclass
class Cell:
    """One published figure: an area's (or, area None, the unmapped total's) for one period."""

    question: Question
    area: str | None
    start: date
    end: date
    coefficients: dict[int, float]  # record index -> share
    true: float
    published: float

    @property
    def geography(self) -> str:
        return "unmapped" if self.area is None else self.question.area_type


@dataclass
class Space:
    records: list[Record]
    noise: list[float] = field(default_factory=list)  # each record's, as the engine reads it
    cells: list[Cell] = field(default_factory=list)
    skipped: int = 0  # figures whose combination could not be written exactly
    questions: int = 0
    lower: list[float] = field(default_factory=list)  # what the reader knows: v >= lower
    suppressed: list[int] = field(default_factory=list)  # records the source suppressed
    suppressed_in_figures: int = 0  # coefficients of suppressed records in figures (must be 0)
    identities: list[dict[int, float]] = field(default_factory=list)  # true sums = 0


def read_records(
    numbers: NumbersStore, metric: str, start: date, end: date, values: str | None = None
) -> list[Record]:
    """The records of the period, from `values` (default: the store's values; the protected
    relation gives them as perturbed)."""
    rows = (
        numbers.reader()
        .execute(
            f"SELECT org_code, coalesce(region_code, ''), period_start, sum(value) "
            f"FROM {values or numbers.values} WHERE metric = ? AND period_start BETWEEN ? AND ? "
            "GROUP BY ALL ORDER BY period_start, org_code, 2",
            [metric, start, end],
        )
        .fetchall()
    )
    return [Record(str(o), str(r), d, float(v)) for o, r, d, v in rows]


def placements(numbers: NumbersStore) -> list[tuple[str, Method]]:
    """(area type, method) the placement table holds, and NHS regions as the returns state."""
    rows = numbers.reader().execute("SELECT DISTINCT area_type, method FROM org_area").fetchall()
    found = sorted((str(t), Method(str(m))) for t, m in rows)
    return [*found, ("NHS_REGION", RETURN_STATED)]


def questions(
    numbers: NumbersStore, start: date, end: date, *, restate_at: date | None = None
) -> Iterator[Question]:
    """Every (geography type, method, restatement) by day and by each 7-day range in the
    period; restated to the organisations of `restate_at` (default: the period's last day)."""
    restates = [AS_REPORTED, to_organisations_at(restate_at or end)]
    ranges = [
        (start + timedelta(days=n), start + timedelta(days=n + RANGE_DAYS - 1))
        for n in range((end - start).days - RANGE_DAYS + 2)
    ]
    for area_type, method in placements(numbers):
        for restate in restates:
            yield Question(area_type, method, restate, start, end, True)
            for first, last in ranges:
                yield Question(area_type, method, restate, first, last, False)


def build_space(
    numbers: NumbersStore,
    metric: str,
    start: date,
    end: date,
    protection: Protection | None,
    successions: Successions | None = None,
) -> Space:
    """Every published figure of the metric in [start, end], true and as published."""
    space = Space(read_records(numbers, metric, start, end))
    space.noise = [0.0] * len(space.records)
    space.lower = [0.0] * len(space.records)
    if protection is not None:
        perturbed = read_records(numbers, metric, start, end, protection.relation(numbers.values))
        space.noise = [p.value - r.value for p, r in zip(perturbed, space.records, strict=True)]
    index: dict[tuple[str, date], list[int]] = defaultdict(list)
    for n, record in enumerate(space.records):
        index[(record.org_code, record.day)].append(n)
    for question in questions(numbers, start, end):
        asked = (numbers, metric, question.area_type, (question.start, question.end))
        how = (question.method, question.restate)
        daily = question.daily
        truth = rollup(*asked, *how, successions=successions, series=daily)
        shown = rollup(
            *asked, *how, successions=successions, series=daily, detail=False,
            protection=protection,
        )  # fmt: skip
        space.questions += 1
        add_cells(space, index, question, truth, shown)
    return space


def add_cells(
    space: Space,
    index: dict[tuple[str, date], list[int]],
    question: Question,
    truth: RollupResult,
    shown: RollupResult,
    members: set[int] | None = None,
) -> list[int]:
    """The figures of one answer as cells (the areas', then the unmapped total's); `members`:
    the records the answer is made of (default: every record of the range). The cells of the
    areas added, by index."""
    added: list[int] = []
    published = {(r.area, r.period_start): r.value for r in shown.rows}
    taken: dict[int, float] = defaultdict(float)  # record -> the share the areas took
    for row in truth.rows:
        coefficients: dict[int, float] = defaultdict(float)
        for c in row.contributors:
            reporter = c.reported_by or c.organisation
            for day in _days(row.period_start, row.period_end):
                for n in index.get((reporter, day), []):
                    stated = space.records[n].region_code
                    if question.method == RETURN_STATED and stated != row.area:
                        continue
                    coefficients[n] += c.share
        if not _matches(space, coefficients, row.value):
            space.skipped += 1
            continue
        added.append(len(space.cells))
        cell = Cell(question, row.area, row.period_start, row.period_end, dict(coefficients),
                    row.value, published[(row.area, row.period_start)])  # fmt: skip
        space.cells.append(cell)
        for n, k in coefficients.items():
            taken[n] += k
    # The answer's unmapped total (what no area took, over the whole range it answers): every
    # record of the range less what the areas took. The public reads it (unmappedTotal).
    first, last = question.start, question.end
    rest = {
        n: 1.0 - taken.get(n, 0.0)
        for n, record in enumerate(space.records)
        if first <= record.day <= last
        and (members is None or n in members)
        and abs(1.0 - taken.get(n, 0.0)) > 1e-12
    }
    if not _matches(space, rest, truth.unmapped_summary.total):
        space.skipped += 1
        return added
    cell = Cell(question, None, first, last, rest, truth.unmapped_summary.total,
                shown.unmapped_summary.total)  # fmt: skip
    space.cells.append(cell)
    return added


def _matches(space: Space, coefficients: dict[int, float], value: float) -> bool:
    total = sum(k * space.records[n].value for n, k in coefficients.items())
    return abs(total - value) <= TOLERANCE * max(1.0, abs(value))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
