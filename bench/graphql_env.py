"""The data a GraphQL benchmark (or a README example) runs against: the national reference store,
the COVID-19 Hospital Activity publication in the numbers store, and organisation -> area rows
materialised for the organisations that report (full national materialisation takes minutes).

`python -m bench.graphql_env OUT_DIR [DATA_DIR]` builds it once; later runs reuse it."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

COVID = "returns/covid-hospital-activity-2020-08-13.xlsx"
AREA_TYPES = ["LRF", "NHS_REGION", "ICB"]


def place_reporting_organisations(
    store: Any, numbers: Any, area_types: list[str], organisations: list[str] | None = None
) -> int:
    """Materialise org_area (every method, the given area types) for the organisations that
    report in the numbers store (or the ones given), through service.geography's placer."""
    from service.geography.assign import Placer
    from service.geography.table import org_area_rows
    from service.rollup.engine import materialise_org_areas
    from service.rollup.model import Method

    if organisations is None:
        found = numbers.con.execute("SELECT DISTINCT org_code FROM reported_value").fetchall()
        organisations = sorted(r[0] for r in found)
    rows = org_area_rows(
        Placer.from_store(store), area_types=area_types, organisations=organisations
    )
    by_method: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        by_method[r.method].append(
            (r.area_type, r.org_code, r.area_code, r.share, r.valid_from, r.valid_to)
        )
    return sum(materialise_org_areas(numbers, rs, Method(m)) for m, rs in by_method.items())


def build(out: Path, data_dir: Path) -> dict[str, float]:
    """Store, numbers and org_area under `out`, each step skipped when already done."""
    from service.manifest import load_all
    from service.returns.load import load_return_file
    from service.returns.numbers import NumbersStore
    from service.store import GraphStore

    timings: dict[str, float] = {}
    marker = out / "built"
    if marker.exists():
        return timings
    started = time.perf_counter()
    store = GraphStore(out / "store")
    results = load_all(store, data_dir)
    bad = [r.report.text() for r in results if not r.ok]
    if bad:
        raise RuntimeError("national load rejected a file: " + bad[0][:500])
    timings["national_load_s"] = time.perf_counter() - started
    numbers = NumbersStore(out / "numbers.duckdb")
    started = time.perf_counter()
    result = load_return_file(store, numbers, data_dir / COVID)
    if result.status not in ("loaded", "unchanged"):
        raise RuntimeError(result.report.text()[:500])
    timings["covid_load_s"] = time.perf_counter() - started
    started = time.perf_counter()
    timings["org_area_rows"] = place_reporting_organisations(store, numbers, AREA_TYPES)
    timings["org_area_s"] = time.perf_counter() - started
    numbers.close()
    store.close()
    marker.write_text("ok\n")
    return timings


if __name__ == "__main__":
    target = Path(sys.argv[1])
    data = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("../shared/data")
    print(build(target, data))
