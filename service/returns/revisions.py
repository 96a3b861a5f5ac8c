"""Revisions as data: which values one release changed from what an earlier release had
published, by how much, and per area; and the releases that revised more of a metric's history
than the ontology's threshold for it (nhskg:revisionThreshold) allows without a steward.

A value's identity is its reporter, metric and period (service/returns/releases.py). Between two
release dates, a value is revised when it was published by the first (as known then) and is
different as known on the second; values first published in between are additions, not
revisions. A return may give one reporter under two regions (NW6 in the August 2020 publication):
values are paired within the same region.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from service.returns.numbers import NumbersStore


@dataclass(frozen=True)
class Revision:
    reporter: str  # the code the return gave
    org_code: str  # the organisation it counts for
    region_code: str  # the region the later release states
    period_start: date
    period_end: date
    before: float | None  # None: suppressed (values reported by area)
    after: float | None
    before_batch: str
    after_batch: str
    area_type: str | None = None  # the reporting area's type (None: an organisation)

    @property
    def change(self) -> float | None:
        """None when either value is suppressed (its number is unknown)."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class AreaRevision:
    """The revisions of one area (the region the return states) and period."""

    area: str
    period_start: date
    count: int
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before


def revisions(
    numbers: NumbersStore, metric: str, start: date, end: date, between: tuple[date, date]
) -> list[Revision]:
    """The values of `metric` with periods starting from `start` to `end` that differ as known
    on the second release date from what the first had published."""
    first, second = between
    if first > second:
        raise ValueError(f"between: {first} is after {second}; give the earlier release first")
    before, after = numbers.known_at(first).values, numbers.known_at(second).values
    rows = (
        numbers.con.cursor()
        .execute(
            f"""
        WITH b AS (SELECT * FROM {before} WHERE metric = $m AND period_start BETWEEN $s AND $e),
             a AS (SELECT * FROM {after} WHERE metric = $m AND period_start BETWEEN $s AND $e)
        SELECT a.reported_code, a.org_code, a.region_code, a.period_start, a.period_end,
               b.value, a.value, b.batch_id, a.batch_id, a.area_type
        FROM b JOIN a ON a.reported_code = b.reported_code AND a.period_start = b.period_start
            AND a.period_end = b.period_end AND a.region_code = b.region_code
            AND a.area_type IS NOT DISTINCT FROM b.area_type
        WHERE a.value IS DISTINCT FROM b.value
        ORDER BY a.period_start, a.reported_code""",
            {"m": metric, "s": start, "e": end},
        )
        .fetchall()
    )
    return [Revision(*r) for r in rows]


def by_area(found: list[Revision]) -> list[AreaRevision]:
    """Revisions summed per area (the stated region; for values reported by area, the
    reporting area) and period; a suppressed value counts as 0 in the sums."""
    sums: dict[tuple[str, date], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for r in found:
        total = sums[(r.region_code or r.reporter, r.period_start)]
        total[0] += 1
        total[1] += r.before or 0.0
        total[2] += r.after or 0.0
    return [
        AreaRevision(area, day, int(n), before, after)
        for (area, day), (n, before, after) in sorted(sums.items())
    ]


@dataclass(frozen=True)
class RevisedRelease:
    """A current batch whose release revised earlier-published values of a metric."""

    batch_id: str
    file: str
    release_date: date
    metric: str
    reissued: int  # values it gives that an earlier release had published
    revised: int  # of them, values it changed
    first_period: date
    last_period: date

    @property
    def share(self) -> float:
        return self.revised / self.reissued if self.reissued else 0.0


def revised_releases(numbers: NumbersStore, metrics: list[str]) -> list[RevisedRelease]:
    """For each current batch and metric of those given: the values it re-issues (an earlier
    current release had published them) and how many of them it changed, compared with the
    latest earlier release of each value."""
    if not metrics:
        return []
    rows = (
        numbers.con.cursor()
        .execute(
            """
        WITH v AS (
            SELECT v.*, b.release_date, b.loaded_at, b.file
            FROM release_value v JOIN batch b ON b.batch_id = v.batch_id
            WHERE b.status = 'current' AND list_contains($metrics, v.metric)
        ), pairs AS (
            SELECT n.batch_id, n.file, n.release_date, n.metric, n.period_start,
                   n.value IS DISTINCT FROM p.value AS changed
            FROM v n JOIN v p ON p.reported_code = n.reported_code AND p.metric = n.metric
                AND p.period_start = n.period_start AND p.period_end = n.period_end
                AND p.region_code = n.region_code AND p.release_date < n.release_date
                AND p.area_type IS NOT DISTINCT FROM n.area_type
            QUALIFY rank() OVER (
                PARTITION BY n.batch_id, n.reported_code, n.metric, n.period_start,
                    n.period_end, n.region_code, n.area_type
                ORDER BY p.release_date DESC, p.loaded_at DESC, p.batch_id DESC) = 1
        )
        SELECT batch_id, file, release_date, metric, count(*), count(*) FILTER (WHERE changed),
               min(period_start), max(period_start)
        FROM pairs GROUP BY ALL ORDER BY release_date, file, metric""",
            {"metrics": metrics},
        )
        .fetchall()
    )
    return [RevisedRelease(*r) for r in rows]
