"""Releases: what answering from the latest release costs, and loading a weekly release.

(1) Three years of synthetic national values (bench/rollup_data.py) published in four releases
per period (each later release re-issues every value, 1 in 100 revised): the roll-up engine on
the latest releases (the materialised reported_value) and as known at the second release, side
by side with today's roll-up over the same values loaded once; every answer is checked against
the plain reference first (the latest release's values are the synthetic ones). Target: latest
release <= 1.5x today's. (2) The four real NHS England weekly releases loaded out of order into
a copy of the national store beside the August 2020 publication (its weekly batches retired
first: `load-all` loads them), each on the stores opened afresh (target: < 5 s each), then
again as `nhskg returns load FILE`, a process each.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.core import ROOT, Context, Row, benchmark, median, row
from bench.rollup_data import METRICS, Size, generate
from bench.rollup_engine import engine_load, engine_query
from bench.rollup_model import reference_rollup, same_answer
from bench.rollups import AT, QUERIES

RELEASES = (date(2026, 4, 7), date(2026, 4, 14), date(2026, 4, 21), date(2026, 4, 28))
WEEKLY = ("2020-12-03", "2020-11-19", "2020-12-10", "2020-11-26")


def releases_load(system: Any, path: Path | None) -> Any:
    """The same values in four releases: the earlier three with 1 in 100 values revised (+1),
    the last as generated; reported_value is then resolved as a batch write does."""
    from service.returns.numbers import NumbersStore
    from service.returns.releases import latest_values

    numbers, successions = engine_load(system, path)  # placements, reporters; values once
    con = numbers.con
    con.execute("DELETE FROM reported_value")
    n = len(system.value)
    for i, day in enumerate(RELEASES):
        batch = f"synthetic-{day}"
        value = system.value.copy()
        if i < len(RELEASES) - 1:
            value[np.arange(i, n, 100)] += 1.0
        columns = {  # noqa: F841 (read by DuckDB's replacement scan)
            "batch_id": np.full(n, batch, dtype=object),
            "org_code": system.org,
            "org_iri": system.org,
            "reported_code": system.org,
            "stated_region": np.full(n, "", dtype=object),
            "region_code": np.full(n, "", dtype=object),
            "metric": system.metric,
            "period_start": system.day.astype("datetime64[s]"),
            "period_end": system.day.astype("datetime64[s]"),
            "value": value,
            "sheet": np.full(n, None, dtype=object),
            "cell": np.full(n, None, dtype=object),
        }
        con.execute(  # by name: the table has columns for values reported by area too
            "INSERT INTO release_value BY NAME SELECT * REPLACE (CAST(period_start AS DATE) AS "
            "period_start, CAST(period_end AS DATE) AS period_end) FROM columns"
        )
        con.execute(
            "INSERT INTO batch (batch_id, publication, dataset, mapping, file, sha256, graph, "
            "loaded_at, value_count, status, release_date, release_source) VALUES "
            "(?, ?, 'synthetic', 'synthetic', ?, '', '', ?, ?, 'current', ?, 'stated')",
            [batch, batch, batch, datetime(2026, 5, 1, 0, i), n, day],
        )
    started = time.perf_counter()
    con.execute(f"INSERT INTO reported_value {latest_values()} ORDER BY v.period_start")
    resolve_s = time.perf_counter() - started
    assert isinstance(numbers, NumbersStore)
    return (numbers, successions), resolve_s


def _time(call: Any) -> float:
    runs = []
    while len(runs) < 7 and sum(runs) < 3000:
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1000)
    return median(runs)


def synthetic_rows(ctx: Context) -> list[Row]:
    system = generate(ctx.data_dir, Size(days=365 * 3))
    today = engine_load(system, None)
    latest, resolve_s = releases_load(system, None)
    known = (latest[0].known_at(RELEASES[1]), latest[1])
    metric = METRICS[0]
    rows = [
        row(
            "resolve the latest of 4 releases, 3 y synthetic (once per load)",
            resolve_s,
            "s",
            note=f"{4 * len(system.value):,} values kept, {len(system.value):,} answering",
        )
    ]
    for name, (first, last) in QUERIES.items():
        expected = reference_rollup(system, metric, first, last, AT)
        checks = {
            label: same_answer(expected, engine_query(loaded, metric, first, last, AT))
            for label, loaded in (("today", today), ("latest", latest))
        }
        ms = {
            label: _time(
                lambda loaded=loaded, first=first, last=last: engine_query(
                    loaded, metric, first, last, AT
                )
            )
            for label, loaded in (("today", today), ("latest", latest), ("known", known))
        }
        note = f"today {ms['today']:.1f} ms; checks {checks}"
        rows.append(
            row(f"latest release / today's roll-up, {name}, 3 y x 4 releases",
                ms["latest"] / ms["today"], "x", "< 1.5", note=note)
        )  # fmt: skip
        rows.append(
            row(f"  as known at the 2nd release / today's, {name}", ms["known"] / ms["today"],
                "x", note=f"{ms['known']:.1f} ms")
        )  # fmt: skip
    return rows


def weekly_rows(ctx: Context) -> list[Row]:
    from bench.national import national_store
    from service.rdf.store import GraphStore
    from service.reference.reporters import reference_organisations
    from service.reference.successions import SuccessionIndex
    from service.returns.load import load_return_file
    from service.returns.numbers import NumbersStore

    source = national_store(ctx)
    weekly_dir = ctx.data_dir / "returns" / "weekly"
    if source is None or not weekly_dir.is_dir():
        return [row("weekly release load", None, "s", "< 5", note="no national store or data")]
    target = ctx.scratch / "releases" / "store"
    target.parent.mkdir(parents=True, exist_ok=True)
    GraphStore(source, read_only=True)._store.backup(str(target))
    numbers_file = source.parent / "numbers.duckdb"
    if numbers_file.exists():
        shutil.copy(numbers_file, target.parent / "numbers.duckdb")
    store, numbers = GraphStore(target), NumbersStore(target.parent / "numbers.duckdb")
    _retire_weekly(store, numbers)  # load-all loads them: each load must be real
    # Who may report and the successions, saved beside the store as `load-all` leaves them (a
    # store copied from an older build has none: found once, after each reference change).
    started = time.perf_counter()
    SuccessionIndex.saved(store)
    reference_organisations(store)
    rows = [row("who may report and the successions, found and saved (once)",
                time.perf_counter() - started, "s")]  # fmt: skip
    store.close()
    numbers.close()
    paths = {r: weekly_dir / f"weekly-covid-admissions-beds-{r}-long.csv.gz" for r in WEEKLY}
    # The loader, each release on the stores opened afresh (as a command opens them).
    for release, path in paths.items():
        store, numbers = GraphStore(target), NumbersStore(target.parent / "numbers.duckdb")
        started, cpu = time.perf_counter(), time.process_time()
        result = load_return_file(store, numbers, path)
        seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        note = f"{result.status}, {result.values:,} values, {result.history:,} history; "
        note += f"CPU {cpu_s:.1f} s"
        rows.append(row(f"weekly release {release} load (out of order)", seconds, "s", "< 5", note))
        if release == WEEKLY[-1]:
            _retire_weekly(store, numbers)  # again, for the commands below
        store.close()
        numbers.close()
    # The same loads as a steward runs them: `nhskg returns load FILE`, a process each (its
    # start, imports and the stores' opening and closing included).
    for release, path in paths.items():
        command = [sys.executable, "-m", "service.cli", "--store", str(target), "returns", "load"]
        started = time.perf_counter()
        done = subprocess.run([*command, str(path)], cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        said = (done.stdout.strip().splitlines() or done.stderr.strip().splitlines() or [""])[0]
        rows.append(row(f"weekly release {release}: `nhskg returns load` (a process)", seconds,
                        "s", note=f"exit {done.returncode}: {said[:100]}"))  # fmt: skip
    return rows


def _retire_weekly(store: Any, numbers: Any) -> int:
    """Retire the copy's weekly batches (a store from `load-all` has them), so each timed load
    writes its release again rather than finding the file unchanged."""
    from service.returns.batches import list_batches, retire

    weekly = [b for b in list_batches(numbers, status="current") if "weekly" in b.mapping]
    for batch in weekly:
        retire(store, numbers, batch.id, "bench: load the weekly releases again")
    return len(weekly)


@benchmark("releases")
def releases(ctx: Context) -> list[Row]:
    return synthetic_rows(ctx) + weekly_rows(ctx)
