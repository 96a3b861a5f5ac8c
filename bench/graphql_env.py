"""The data a GraphQL benchmark (or a README example) runs against: the national reference store,
the COVID-19 Hospital Activity publication in the numbers store, and the full organisation ->
area table (service/geography/table.py: every method and area type, about 40 s of CPU).

`python -m bench.graphql_env OUT_DIR [DATA_DIR]` builds it; each step is skipped when done."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

COVID = "returns/covid-hospital-activity-2020-08-13.xlsx"


def place_organisations(store: Any, numbers_path: Path) -> int:
    """The full organisation -> area table (every method, every area type, every organisation,
    over time) through service.geography.table, written into the numbers store's DuckDB file
    (the engine reads the columns it names; the table's wider ones ride along)."""
    from service.geography.table import materialise

    return materialise(store, numbers_path, force=True) or 0


def build(out: Path, data_dir: Path) -> dict[str, float]:
    """Store, numbers and org_area under `out`; a step whose marker file exists is skipped."""
    from service.manifest import load_all
    from service.rdf.store import GraphStore
    from service.returns.load import load_return_file
    from service.returns.numbers import NumbersStore

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
    numbers.close()  # materialise opens the file itself
    if not (out / "org_area.done").exists():
        started = time.perf_counter()
        print("materialising org_area (all methods and area types)", flush=True)
        timings["org_area_rows"] = place_organisations(store, out / "numbers.duckdb")
        timings["org_area_s"] = time.perf_counter() - started
        (out / "org_area.done").write_text("ok\n")
    store.close()
    return timings


if __name__ == "__main__":
    target = Path(sys.argv[1])
    data = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("../shared/data")
    print(build(target, data))
