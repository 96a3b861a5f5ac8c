"""The reference as known at a date (`asKnownAt`): what the first request costs (the snapshot of
the graphs known then is built) and what a repeated one costs (read from the bounded cache).

(1) The embedded sample with a steward's correction recorded two days after its load (as in
tests/reference/test_known_at.py): the current snapshot's build for comparison, the first
`known_at(load day)` (copy the graphs known then, build the read model), a repeated one, a
lookup as known then, and the placement table of one area type for a roll-up as known then,
first and repeated. (2) With a national store given ($NHSKG_BENCH_STORE, or the national-load
benchmark's), the cost of a cache miss nationally: the graphs known now copied into memory and
the read model built over them (what the first request as known at a past date pays).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from statistics import median
from typing import Any

from bench.core import Context, Row, benchmark, row

REPEATS = 200
ON = date(2020, 4, 6)
CORRECTION = {
    "id": "bench-bcp-to-another-lrf",
    "author": "a.steward@example.nhs.uk",
    "reason": "benchmark correction",
    "changes": [
        {"end_area_membership": {"member": "E06000058", "parent": "E48000009",
                                 "last_day": "2020-03-31"}},
        {"area_membership": {"member": "E06000058", "parent": "E48000010",
                             "from": "2020-04-01"}},
    ],
}  # fmt: skip


def _seconds(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def _ms_repeated(fn: Any, count: int = REPEATS) -> float:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return median(times)


def _sample_history() -> tuple[Any, date]:
    """The sample in memory, loaded now, and the correction recorded two days later."""
    from service.manifest import load_all
    from service.rdf.store import GraphStore
    from service.rdf.terms import SAMPLE_DATA_DIR
    from service.stewardship.changeset import parse_changeset
    from service.stewardship.workflow import apply

    store = GraphStore(None)
    assert all(r.ok for r in load_all(store, SAMPLE_DATA_DIR))
    loaded = datetime.now(UTC).date()
    store.clock = lambda: datetime.combine(loaded + timedelta(days=2), clock_time(12), UTC)
    assert apply(store, parse_changeset(CORRECTION)).status == "applied"
    return store, loaded


def sample_rows() -> list[Row]:
    from service.geography.known_places import placements_known
    from service.reference import ReferenceData
    from service.returns.numbers import NumbersStore

    store, loaded = _sample_history()
    build_s, now = _seconds(lambda: ReferenceData.build(store))
    first_s, then = _seconds(lambda: now.known_at(loaded))
    assert then is not now, "the correction should make the load day's graphs differ"
    again_ms = _ms_repeated(lambda: now.known_at(loaded))
    assert now.history.builds == 1, "a repeated request must not build again"
    lookup_ms = _ms_repeated(
        lambda: now.known_at(loaded).lookup.lookup("RD3", "LRF", ON, "HEADQUARTERS")
    )
    numbers = NumbersStore(None)
    places_s, table = _seconds(lambda: placements_known(numbers, then, "LRF"))
    places_again_ms = _ms_repeated(lambda: placements_known(numbers, then, "LRF"))
    count = numbers.con.execute(f"SELECT count(*) FROM {table}").fetchone()
    note = f"sample, {store.quad_count():,} quads"
    return [
        row("sample: current snapshot build (for comparison)", build_s, "s", note=note),
        row("sample: first request as known at (snapshot built)", first_s, "s", note=note),
        row("sample: repeated request as known at (cached), p50", again_ms, "ms", "< 50"),
        row("sample: lookup as known at, repeated, p50", lookup_ms, "ms", "< 50"),
        row(
            "sample: roll-up placements as known at (LRF), first",
            places_s,
            "s",
            note=f"{count[0] if count else 0:,} org_area rows",
        ),
        row("sample: roll-up placements as known at (LRF), repeated, p50", places_again_ms, "ms"),
    ]


def national_rows(path: Path) -> list[Row]:
    """A cache miss nationally: the graphs known now copied into memory and read (the same
    work as for a past date; the national store holds no history of its own to ask about)."""
    from service.rdf.store import GraphStore
    from service.reference import ReferenceData

    store = GraphStore(path, read_only=True)
    copy_s, copy = _seconds(lambda: store.copy_known_at(datetime.now(UTC)))
    build_s, _ = _seconds(lambda: ReferenceData.build(copy))
    note = f"{copy.quad_count():,} quads"
    return [
        row("national: copy the graphs known at a date", copy_s, "s", note=note),
        row("national: build the snapshot as known at (first request)", build_s, "s", note=note),
    ]


@benchmark("known-at")
def known_at(ctx: Context) -> list[Row]:
    rows = sample_rows()
    given = ctx.shared.get("national_store") or os.environ.get("NHSKG_BENCH_STORE")
    if given and Path(str(given)).exists():
        rows += national_rows(Path(str(given)))
    else:
        rows.append(
            row(
                "national: build the snapshot as known at (first request)",
                None,
                "s",
                note="no national store given ($NHSKG_BENCH_STORE)",
            )
        )
    return rows
