"""Late returns, from the releases: a reporter's value for a period is late when it first
appears in a release later than the period's first release (the earliest release holding any
value of that metric for that period); the rest arrived on time. (Missing, absent from every
release so far, is the roll-up's coverage: no value answers.) Retired batches take no part."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from service.returns.numbers import NumbersStore

LATE = """
WITH arrivals AS (
    SELECT v.org_code, v.period_start, min(b.release_date) AS arrived
    FROM release_value v JOIN batch b ON b.batch_id = v.batch_id
    WHERE b.status <> 'retired' AND v.metric = ? AND v.period_start BETWEEN ? AND ?
      AND v.org_code IN (SELECT unnest(?))
    GROUP BY ALL
), firsts AS (
    SELECT v.period_start, min(b.release_date) AS first_release
    FROM release_value v JOIN batch b ON b.batch_id = v.batch_id
    WHERE b.status <> 'retired' AND v.metric = ? AND v.period_start BETWEEN ? AND ?
    GROUP BY ALL
)
SELECT a.org_code, a.period_start, a.arrived, f.first_release
FROM arrivals a JOIN firsts f USING (period_start)
WHERE a.arrived > f.first_release
ORDER BY a.org_code, a.period_start
"""


@dataclass(frozen=True)
class LateReturn:
    organisation: str  # the reporter's code (as resolved at load: restated predecessors too)
    period_start: date
    arrived: date  # the release it first appeared in
    first_release: date  # the period's first release

    @property
    def days_late(self) -> int:
        return (self.arrived - self.first_release).days


def late_returns(
    numbers: NumbersStore, metric: str, start: date, end: date, organisations: Collection[str]
) -> list[LateReturn]:
    """The late values of these organisations for a metric (IRI) over [start, end]."""
    if not organisations:
        return []
    period = [metric, start, end]
    rows = numbers.reader().execute(LATE, [*period, sorted(organisations), *period]).fetchall()
    return [LateReturn(str(r[0]), r[1], r[2], r[3]) for r in rows]
