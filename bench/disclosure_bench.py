"""Disclosure control: what the cell-key perturbation adds to a public roll-up.

The national store's COVID admissions (the covid-hospital-activity publication; a copy of its
numbers store, so the salt written beside it stays in scratch), one date (2020-04-15) rolled up
by LRF, as the public role asks it (GraphQL / the data API: no contributors), by HEADQUARTERS
and by CATCHMENT (fractional shares), with protection off and on, interleaved; the median of
the runs. Target: protection adds < 20 ms. `python -m bench --only disclosure`
(NHSKG_BENCH_STORE names an existing national store to skip the load).
"""

from __future__ import annotations

import shutil
import time
from datetime import date

from bench.core import Context, Row, benchmark, median, row

DAY = date(2020, 4, 15)
RUNS = 15


@benchmark("disclosure")
def disclosure(ctx: Context) -> list[Row]:
    from bench.national import national_store
    from service.access.disclosure import Protection, policy_of, salt_for
    from service.rdf.vocab import NHSKG
    from service.returns.numbers import NumbersStore
    from service.rollup.engine import rollup
    from service.rollup.model import Method

    source = national_store(ctx)
    numbers_file = source.parent / "numbers.duckdb" if source else None
    name = "public LRF roll-up, one date, protection on - off"
    if numbers_file is None or not numbers_file.exists():
        return [row(name, None, "ms", "< 20", note="no national numbers store")]
    target = ctx.scratch / "disclosure" / "numbers.duckdb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(numbers_file, target)
    numbers = NumbersStore(target, read_only=True)
    metric = str(NHSKG.CovidAdmissions)
    policy = policy_of(metric)
    assert policy is not None
    protection = Protection(policy, salt_for(target))
    rows: list[Row] = []
    for method in (Method.HEADQUARTERS, Method.CATCHMENT):
        times: dict[bool, list[float]] = {False: [], True: []}
        areas = 0
        for _ in range(RUNS):
            for on in (False, True):
                started = time.perf_counter()
                result = rollup(numbers, metric, "LRF", DAY, method, detail=False,
                                protection=protection if on else None)  # fmt: skip
                times[on].append((time.perf_counter() - started) * 1000)
                areas = len(result.rows)
        if not areas:
            rows.append(row(f"{name}, {method.value}", None, "ms", "< 20", note="no LRF rows"))
            continue
        off, on_ms = median(times[False]), median(times[True])
        note = f"off {off:.1f} ms, on {on_ms:.1f} ms (median of {RUNS}), {areas} LRFs"
        rows.append(row(f"{name}, {method.value}", on_ms - off, "ms", "< 20", note))
    numbers.close()
    return rows
