"""Forecasts: every LRF 14 days ahead (target < 10 s), by area and by contributors rolled up,
and a short rolling-origin backtest, 7 days ahead by NHS region and LRF, of the ENSEMBLE against
persistence and the 7-day linear trend (target: below the better baseline, MAE and WIS).

The national store (bench/national.py) is copied, the four NHS England weekly releases loaded
into the copy beside the August 2020 publication, and forecasts made as known at 2020-12-10.
The organisation -> area table is the store's (independent-sector sites the weekly releases add
are left unmapped by LRF, as the roll-up says)."""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path

from bench.core import Context, Row, benchmark, row

WEEKLY = ("2020-11-19", "2020-11-26", "2020-12-03", "2020-12-10")
KNOWN_AT = date(2020, 12, 10)


def _numbers(ctx: Context) -> Path | None:
    """A copy of the national store with its numbers: the numbers beside the store when there
    are (a store `nhskg load-all` made), else the manifest's returns loaded into the copy and
    org_area built as `nhskg load-all` does; then the four weekly releases on top."""
    from bench.national import national_store
    from service.manifest import load_returns_all, materialise_for_returns
    from service.rdf.store import GraphStore
    from service.reference import ReferenceData
    from service.returns.load import load_return_file
    from service.returns.numbers import NumbersStore

    source = national_store(ctx)
    weekly_dir = ctx.data_dir / "returns" / "weekly"
    if source is None or not weekly_dir.is_dir():
        return None
    numbers_file = source.parent / "numbers.duckdb"
    target = ctx.scratch / "forecast" / "store"
    if target.parent.exists():
        shutil.rmtree(target.parent)
    target.parent.mkdir(parents=True)
    GraphStore(source, read_only=True)._store.backup(str(target))
    store = GraphStore(target)
    if numbers_file.exists():
        shutil.copy(numbers_file, target.parent / "numbers.duckdb")
    else:  # a reference-only store (the national-load bench's): its returns, as load-all does
        numbers = NumbersStore(target.parent / "numbers.duckdb")
        loaded = load_returns_all(store, numbers, ctx.data_dir)
        numbers.close()
        if not loaded or not all(r.ok for r in loaded):
            store.close()
            return None
        placer = ReferenceData.current(store).lookup.placer
        materialise_for_returns(store, target.parent / "numbers.duckdb", reference=placer.reference)
    numbers = NumbersStore(target.parent / "numbers.duckdb")
    try:
        for release in WEEKLY:
            path = weekly_dir / f"weekly-covid-admissions-beds-{release}-long.csv.gz"
            load_return_file(store, numbers, path)
    finally:
        numbers.close()
        store.close()
    return target.parent / "numbers.duckdb"


@benchmark("forecast")
def forecast_bench(ctx: Context) -> list[Row]:
    from service.forecast.backtest import Target, backtest, origins_between
    from service.forecast.models import Model
    from service.forecast.run import Approach, forecast
    from service.rdf.vocab import NHSKG
    from service.returns.numbers import NumbersStore
    from service.rollup.model import Method

    path = _numbers(ctx)
    if path is None:
        return [row("forecast every LRF, 14 days", None, "s", "< 10", note="no national data")]
    numbers = NumbersStore(path, read_only=True)
    beds = str(NHSKG.BedsOccupiedCovid)
    rows = []
    try:
        for approach, target in ((Approach.AREA, "< 10"), (Approach.CONTRIBUTORS, None)):
            times, cpu = [], []
            for _ in range(max(1, ctx.repeat)):
                started, cpu_started = time.perf_counter(), time.process_time()
                run = forecast(numbers, beds, "LRF", Method.HEADQUARTERS, known_at=KNOWN_AT,
                               horizon=14, approach=approach)  # fmt: skip
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
            rows.append(
                row(f"forecast every LRF 14 days ahead ({approach.value}, ENSEMBLE)",
                    min(times), "s", target,
                    note=f"{len(run.areas)} LRFs; runs {', '.join(f'{t:.1f}' for t in times)}; "
                    f"CPU {min(cpu):.1f} s")
            )  # fmt: skip
        runs = [(Approach.AREA, m) for m in (Model.ENSEMBLE, Model.PERSISTENCE, Model.LINEAR_TREND)]
        targets = [
            Target(beds, "NHS_REGION", Method.RETURN_STATED),
            Target(beds, "LRF", Method.HEADQUARTERS),
        ]
        origins = origins_between(date(2020, 11, 1), date(2020, 12, 1), 3)
        started = time.perf_counter()
        result = backtest(numbers, targets, origins, (7,), runs)
        took = time.perf_counter() - started
        scores = {(s.area_type, s.model): s for s in result.scores}
        for by in ("NHS_REGION", "LRF"):
            ours = scores[(by, "ENSEMBLE")]
            for measure in ("mae", "wis"):
                best = min(
                    getattr(scores[(by, m)], measure) for m in ("PERSISTENCE", "LINEAR_TREND")
                )
                rows.append(
                    row(f"backtest BedsOccupiedCovid by {by}, 7 days: ENSEMBLE {measure.upper()}",
                        getattr(ours, measure), "beds", f"< {best:.2f}",
                        note=f"better baseline {best:.1f}; {ours.count} forecasts; {took:.0f} s")
                )  # fmt: skip
    finally:
        numbers.close()
    return rows
