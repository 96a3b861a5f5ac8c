"""Measure return loads and roll-ups on real files: `python -m bench.returns_bench STORE DATA`.

STORE is a graph store already holding the reference data (e.g. from `nhskg load-all`); it is
copied first, so the measurement never changes it. Prints seconds for: the COVID-19 Hospital
Activity publication (read, resolve, validate, write both stores), a daily batch (~3,150 values,
pySHACL), and roll-ups for one date and for a 365-day range.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.rollup.engine import rollup
from service.store import GraphStore
from service.vocab import NHSKG


def _timed(label: str, fn, runs: int = 1):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    times.sort()
    print(f"{label}: median {times[len(times) // 2]:.3f} s (min {times[0]:.3f}, runs {runs})")
    return result


def main(store_dir: Path, data: Path) -> None:
    work = Path(tempfile.mkdtemp())
    GraphStore(store_dir, read_only=True)._store.backup(str(work / "store"))
    store, numbers = GraphStore(work / "store"), NumbersStore(work / "numbers.duckdb")
    covid = data / "returns/covid-hospital-activity-2020-08-13.xlsx"
    result = _timed(
        "COVID publication load incl. validation", lambda: load_return_file(store, numbers, covid)
    )
    print(
        f"  {result.status}, {result.values} values, engine {result.engine}, "
        f"{len(result.warnings)} warnings"
    )
    from tests.returns_support import write_covid_extract

    for n, day in enumerate((date(2020, 5, 1), date(2020, 5, 2), date(2020, 5, 3))):
        daily = write_covid_extract(
            covid,
            work / f"d{n}" / f"covid-sitrep-daily-{day}.xlsx"
            if (work / f"d{n}").mkdir() is None
            else work,
            (day,),
        )
        r = _timed(f"daily batch {day}", lambda d=daily: load_return_file(store, numbers, d))
        print(f"  {r.status}, {r.values} values, engine {r.engine}")
    for metric in (NHSKG.BedsOccupied, NHSKG.CovidAdmissions):
        _timed(
            f"roll-up one date {metric.rsplit('#')[-1]}",
            lambda m=metric: rollup(numbers, str(m), "NHS_REGION", date(2020, 5, 1)),
            5,
        )
        _timed(
            f"roll-up 365 days {metric.rsplit('#')[-1]}",
            lambda m=metric: rollup(
                numbers, str(m), "NHS_REGION", (date(2020, 1, 1), date(2020, 12, 30)), series=True
            ),
            5,
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
