"""Values reported by area: loading one UKHSA release into a copy of the national store, and
the roll-up latency of cases by LTLA -> LRF and MSOA weekly cases -> ICB (the graph's dated
memberships, method AREA_MEMBERSHIP), side by side with the organisation roll-up of the same
shape (COVID beds occupied, by the default placement method) on the same numbers store.
Then the same area roll-ups as known at a past date (`asKnownAt`): the reference of the graphs
known then is built (timed by the known-at benchmark), and its area_area and area_succession
tables are built once for every reporting area (service/geography/known_places.py); the rows
time that build, then each roll-up over the cached tables side by side with the current one.

`NHSKG_BENCH_STORE=DIR` names an existing national store (its numbers.duckdb beside it) to skip
the national load; the store is copied, never written.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from bench.core import Context, Row, benchmark, median, row

CASES_FIRST = "cases-ltla-utla-region-nation-release-2020-08-14.csv"
CASES_LATER = "cases-ltla-utla-region-nation-release-2020-08-28.csv"
MSOA = "cases-msoa-weekly-release-2020-10-19.csv"
DAY, MONTH = date(2020, 8, 1), (date(2020, 7, 4), date(2020, 7, 31))
WEEK = (date(2020, 10, 5), date(2020, 10, 11))  # ISO week 41 of the MSOA file


def _ms(call: Callable[[], Any]) -> float:
    """The median of up to 7 runs (at most 3 s in all), in milliseconds."""
    runs: list[float] = []
    while len(runs) < 7 and sum(runs) < 3000:
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1000)
    return median(runs)


@benchmark("areas")
def areas(ctx: Context) -> list[Row]:
    from bench.national import national_store
    from service.geography.rollup import RollUp
    from service.rdf.store import GraphStore
    from service.rdf.vocab import NHSKG
    from service.reference.placement import read_reference
    from service.returns.area_load import load_area_file
    from service.returns.codes import graph_successions
    from service.returns.numbers import NumbersStore
    from service.rollup.areas import area_rollup
    from service.rollup.engine import rollup
    from service.rollup.model import DEFAULT_METHOD

    source = national_store(ctx)
    ukhsa = ctx.data_dir / "areas" / "ukhsa"
    if source is None or not ukhsa.is_dir():
        return [row("area release load", None, "s", note="no national store or UKHSA data")]
    target = ctx.scratch / "areas" / "store"
    target.parent.mkdir(parents=True, exist_ok=True)
    GraphStore(source, read_only=True)._store.backup(str(target))
    if (source.parent / "numbers.duckdb").exists():
        shutil.copy(source.parent / "numbers.duckdb", target.parent / "numbers.duckdb")
    store, numbers = GraphStore(target), NumbersStore(target.parent / "numbers.duckdb")
    started = time.perf_counter()
    reference = read_reference(store)
    memo = RollUp(reference)
    setup_s = time.perf_counter() - started
    rows = [row("read the geography for area loads (once per process)", setup_s, "s")]
    for name in (CASES_FIRST, CASES_LATER, MSOA):
        started, cpu = time.perf_counter(), time.process_time()
        result = load_area_file(store, numbers, ukhsa / name, reference, rollup=memo)
        seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        note = (
            f"{result.status}, {result.values:,} values, {result.placements:,} placements; "
            f"CPU {cpu_s:.1f} s"
        )
        rows.append(row(f"load {name}", seconds, "s", note=note))
    cases, weekly = str(NHSKG.LabConfirmedCases), str(NHSKG.LabConfirmedCasesWeekly)
    beds = str(NHSKG.BedsOccupiedCovid)
    successions = graph_successions(store)
    held = numbers.con.execute(
        "SELECT count(*) FROM reported_value WHERE metric = ?", [beds]
    ).fetchone()
    queries: list[tuple[str, Callable[[], Any]]] = [
        ("cases LTLA -> LRF, one day", lambda: area_rollup(numbers, cases, "LRF", DAY)),
        ("cases LTLA -> LRF, 28-day series",
         lambda: area_rollup(numbers, cases, "LRF", MONTH, series=True)),
        ("MSOA weekly cases -> ICB, one week", lambda: area_rollup(numbers, weekly, "ICB", WEEK)),
    ]  # fmt: skip
    if held and held[0]:
        queries += [
            ("organisations: beds occupied -> LRF, one day",
             lambda: rollup(numbers, beds, "LRF", DAY, DEFAULT_METHOD, successions=successions)),
            ("organisations: beds occupied -> LRF, 28-day series",
             lambda: rollup(numbers, beds, "LRF", MONTH, DEFAULT_METHOD,
                            successions=successions, series=True)),
            ("organisations: beds occupied -> ICB, one day",
             lambda: rollup(numbers, beds, "ICB", DAY, DEFAULT_METHOD, successions=successions)),
        ]  # fmt: skip
    for name, query in queries:
        answer = query()
        total = sum(r.value for r in answer.rows)
        note = (
            f"{len(answer.rows)} rows, total {total:,.0f}, "
            f"unmapped {answer.unmapped_summary.total:,.0f}"
        )
        rows.append(row(f"roll-up {name}", _ms(query), "ms", note=note))
    rows += _known_at_rows(store, numbers, queries[:3])
    numbers.close()
    return rows


def _known_at_rows(
    store: Any, numbers: Any, queries: list[tuple[str, Callable[[], Any]]]
) -> list[Row]:
    """The area roll-ups above as known at a past date. The national store holds no history,
    so the past reference is a snapshot built over a copy of the graphs known now (the same
    work as for a past date, and the same answers, which the rows check)."""
    from datetime import UTC, datetime

    from service.geography import known_places
    from service.rdf.vocab import NHSKG
    from service.reference import ReferenceData
    from service.rollup.areas import area_rollup

    cases, weekly = str(NHSKG.LabConfirmedCases), str(NHSKG.LabConfirmedCasesWeekly)
    then = ReferenceData.build(store.copy_known_at(datetime.now(UTC)))
    then.serial = 10**6  # any serial but 0 (the current snapshot's) takes the known-at path
    started = time.perf_counter()
    tables = known_places.area_placements_known(numbers, then)
    build_s = time.perf_counter() - started
    (count,) = numbers.con.execute(f"SELECT count(*) FROM {tables[0]}").fetchone()
    built = "as known at: area_area + area_succession built for a past reference"
    rows = [row(built, build_s, "s", note=f"{count:,} area_area rows, built once per snapshot")]
    known = numbers.areas_placed_by(*tables)
    metrics = {name: query for name, query in queries}
    asked = [
        ("cases LTLA -> LRF, one day", lambda: area_rollup(known, cases, "LRF", DAY)),
        ("cases LTLA -> LRF, 28-day series",
         lambda: area_rollup(known, cases, "LRF", MONTH, series=True)),
        ("MSOA weekly cases -> ICB, one week",
         lambda: area_rollup(known, weekly, "ICB", WEEK)),
    ]  # fmt: skip
    for name, query in asked:
        now_answer, then_answer = metrics[name](), query()
        same = [(r.area, r.value) for r in now_answer.rows] == [
            (r.area, r.value) for r in then_answer.rows
        ]
        if not same:
            raise AssertionError(f"{name}: as known at differs from the current answer")
        now_ms = _ms(metrics[name])
        then_ms = _ms(lambda q=query: (known_places.area_placements_known(numbers, then), q()))
        rows.append(
            row(f"roll-up {name}, as known at / current", then_ms / now_ms, "x", "< 1.5",
                note=f"{then_ms:.1f} ms against {now_ms:.1f} ms, side by side; the same rows")
        )  # fmt: skip
    return rows
