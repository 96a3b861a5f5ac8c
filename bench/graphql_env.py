"""The data a GraphQL benchmark (or a README example) runs against: the national reference store,
the COVID-19 Hospital Activity publication in the numbers store, and organisation -> area rows
materialised for the organisations that report and the ones that carry them on today (full
national materialisation takes minutes).

`python -m bench.graphql_env OUT_DIR [DATA_DIR]` builds it; each step is skipped when done."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

COVID = "returns/covid-hospital-activity-2020-08-13.xlsx"
AREA_TYPES = ["LRF"]
METHODS = ("HEADQUARTERS",)


def organisations_to_place(store: Any, numbers: Any, today: date) -> list[str]:
    """The reporting organisations and their successors at `today` (for restated roll-ups)."""
    from service.returns.codes import graph_successions, successor_on

    found = numbers.con.execute("SELECT DISTINCT org_code FROM reported_value").fetchall()
    reporting = {r[0] for r in found}
    successions = graph_successions(store)
    later = {s for code in reporting for s in successor_on(code, today, successions)}
    return sorted(reporting | later)


def place_organisations(
    store: Any,
    numbers: Any,
    area_types: list[str],
    organisations: list[str],
    methods: tuple[str, ...] = METHODS,
) -> int:
    """Materialise org_area (these methods and area types) for these organisations through
    service.geography's placer, into the numbers store. By default only what the benchmark asks
    (HEADQUARTERS by LRF): SITES alone, for the national trusts, took over 10 minutes on a
    shared machine. (service.geography.table.org_area_rows does them all; this is its loop,
    narrowed.)"""
    from service.geography.assign import Placer
    from service.geography.table import _periods, _runs, change_dates
    from service.rollup.engine import materialise_org_areas
    from service.rollup.model import Method

    placer = Placer.from_store(store)
    dates = change_dates(placer)
    by_method: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for code in organisations:
        org = placer.reference.organisations.get(code)
        if org is None:
            continue
        starts = list(_periods(dates, org.opened, org.closed))
        for area_type in area_types:
            for method in methods:
                for r in _runs(placer, method, code, area_type, starts, org.closed):
                    by_method[method].append(
                        # the source (catchment table): the roll-up counts one per trust
                        (*_row(r), r.source or None)
                    )
    return sum(materialise_org_areas(numbers, rs, Method(m)) for m, rs in by_method.items())


def _row(r: Any) -> tuple[Any, ...]:
    return (r.area_type, r.org_code, r.area_code, r.share, r.valid_from, r.valid_to)


def build(out: Path, data_dir: Path) -> dict[str, float]:
    """Store, numbers and org_area under `out`; a step whose marker file exists is skipped."""
    from service.manifest import load_all
    from service.returns.load import load_return_file
    from service.returns.numbers import NumbersStore
    from service.store import GraphStore

    timings: dict[str, float] = {}
    out.mkdir(parents=True, exist_ok=True)
    store = GraphStore(out / "store")
    if not (out / "store.done").exists():
        started = time.perf_counter()
        bad = [r.report.text() for r in load_all(store, data_dir) if not r.ok]
        if bad:
            raise RuntimeError("national load rejected a file: " + bad[0][:500])
        timings["national_load_s"] = time.perf_counter() - started
        (out / "store.done").write_text("ok\n")
    numbers = NumbersStore(out / "numbers.duckdb")
    if not (out / "covid.done").exists():
        started = time.perf_counter()
        result = load_return_file(store, numbers, data_dir / COVID)
        if result.status not in ("loaded", "unchanged"):
            raise RuntimeError(result.report.text()[:500])
        timings["covid_load_s"] = time.perf_counter() - started
        (out / "covid.done").write_text("ok\n")
    if not (out / "org_area.done").exists():
        started = time.perf_counter()
        print("placing organisations", flush=True)
        orgs = organisations_to_place(store, numbers, date.today())
        timings["org_area_rows"] = place_organisations(store, numbers, AREA_TYPES, orgs)
        timings["org_area_s"] = time.perf_counter() - started
        (out / "org_area.done").write_text("ok\n")
    numbers.close()
    store.close()
    return timings


if __name__ == "__main__":
    target = Path(sys.argv[1])
    data = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("../shared/data")
    print(build(target, data))
