"""The query space of a metric reported by area (UKHSA cases by MSOA or LAD, admissions by age by
NHS region) as the public role sees it: for every type the metric is reported at, its areas
rolled up (AREA_MEMBERSHIP, the graph's dated memberships) into every area type they reach,
by period and over ranges of periods, asked of the roll-up engine the API uses; each published
figure written as a combination of the records (one area's value for one period).

What a reader knows besides the figures, and the attacker is told:
- a value the source suppresses (UKHSA's -99: 0 to k, nhskg:suppressedAtSourceUpTo) is in
  [0, k] and is in no published figure (checked: `Space.suppressed_in_figures` stays 0); every
  other value of the metric is at least k + 1 (`Space.lower`);
- where the metric is reported at two types (LADs and their region), a larger area's value is
  the sum of its parts': an identity the attacker may use (added where it holds in truth).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from service.access.disclosure import Protection, source_floor
from service.disclosure.space import Question, Record, Space, add_cells
from service.returns.numbers import NumbersStore
from service.rollup.areas import area_rollup, reported_types
from service.rollup.model import AREA_MEMBERSHIP, AS_REPORTED

RANGE_PERIODS = 7


def read_area_records(
    numbers: NumbersStore, metric: str, start: date, end: date, values: str | None = None
) -> list[Record]:
    """The values of the period, one per (area code, area type, period); suppressed ones (no
    number) with value 0 and `suppressed` set."""
    rows = (
        numbers.reader()
        .execute(
            f"SELECT org_code, area_type, period_start, sum(value), bool_or(value IS NULL) "
            f"FROM {values or numbers.values} WHERE metric = ? AND area_type IS NOT NULL "
            "AND period_start BETWEEN ? AND ? GROUP BY ALL ORDER BY period_start, 2, org_code",
            [metric, start, end],
        )
        .fetchall()
    )
    return [
        Record(str(o), str(t), d, float(v or 0.0), area_type=str(t), suppressed=bool(s))
        for o, t, d, v, s in rows
    ]


def ranges(days: list[date]) -> list[tuple[date, date]]:
    """Every window of RANGE_PERIODS consecutive periods (7 days of a daily series, 7 weeks of a
    weekly one); the whole period once when it holds fewer."""
    if len(days) < RANGE_PERIODS:
        return [(days[0], days[-1])] if len(days) > 1 else []
    return [(days[n], days[n + RANGE_PERIODS - 1]) for n in range(len(days) - RANGE_PERIODS + 1)]


def build_area_space(
    numbers: NumbersStore,
    metric: str,
    start: date,
    end: date,
    protection: Protection | None,
) -> Space:
    """Every published figure of an area metric in [start, end], true and as published."""
    space = Space(read_area_records(numbers, metric, start, end))
    space.noise = [0.0] * len(space.records)
    if protection is not None:
        perturbed = read_area_records(
            numbers, metric, start, end, protection.relation(numbers.values)
        )
        space.noise = [p.value - r.value for p, r in zip(perturbed, space.records, strict=True)]
    floor = source_floor(metric)
    space.lower = [0.0 if r.suppressed else float(floor) for r in space.records]
    space.suppressed = [n for n, r in enumerate(space.records) if r.suppressed]
    by_type: dict[str, dict[tuple[str, date], list[int]]] = defaultdict(lambda: defaultdict(list))
    own: dict[tuple[str, str, date], int] = {}
    for n, record in enumerate(space.records):
        own[(record.area_type, record.org_code, record.day)] = n
        if not record.suppressed:
            by_type[record.area_type][(record.org_code, record.day)].append(n)
    days = sorted({r.day for r in space.records})
    if not days:
        return space
    for reported in reported_types(numbers, metric):
        index = by_type.get(reported.area_type, {})
        members = {n for entries in index.values() for n in entries}
        for target in sorted(set(reported.reaches)):
            asked = [(days[0], days[-1], True), *((a, b, False) for a, b in ranges(days))]
            for first, last, daily in asked:
                question = Question(target, AREA_MEMBERSHIP, AS_REPORTED, first, last, daily)
                when = (first, last) if first != last else first
                truth = area_rollup(
                    numbers, metric, target, when, reported_type=reported.area_type, series=daily
                )
                shown = area_rollup(
                    numbers, metric, target, when, reported_type=reported.area_type,
                    series=daily, detail=False, protection=protection,
                )  # fmt: skip
                space.questions += 1
                added = add_cells(space, index, question, truth, shown, members)
                if daily and target != reported.area_type:
                    _identities(space, own, target, added)
    space.suppressed_in_figures = sum(
        1 for cell in space.cells for n in cell.coefficients if space.records[n].suppressed
    )
    return space


def _identities(
    space: Space, own: dict[tuple[str, str, date], int], target: str, cells: list[int]
) -> None:
    """A larger area the metric is also reported at (a region beside its LADs): its own value
    is the sum of its parts', where that holds in truth (the reader may assume it)."""
    for c in cells:
        cell = space.cells[c]
        total = own.get((target, cell.area or "", cell.start))
        if total is None or space.records[total].suppressed:
            continue
        if any(space.records[n].suppressed for n in cell.coefficients):
            continue
        if abs(space.records[total].value - cell.true) > 1e-6:
            continue
        identity = {n: k for n, k in cell.coefficients.items()}
        identity[total] = identity.get(total, 0.0) - 1.0
        space.identities.append(identity)
