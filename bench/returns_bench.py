"""Return loads on real files: `make bench --only returns`, or by hand
`python -m bench.returns_bench STORE DATA [--out FILE]`.

STORE is a graph store holding the national reference data (the bench loads one, or reuses the
national-load benchmark's); it is copied first, so the measurement never changes it. Measured in
a child process: the COVID-19 Hospital Activity publication (about a million values: read,
resolve codes, validate, write both stores; target < 30 s), then daily batches in the same
layout (~3,150 values each, one day of ten sheets, cut from the publication; target < 1 s) on
top of it, with the validation engine the load uses (shapes compiled to DuckDB) and, for
comparison, with the per-value shapes in pySHACL; and roll-ups by the region each return
states (one date, a 365-day range).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from bench.core import ROOT, Context, Row, benchmark, median, row
from bench.national import national_store

COVID = "returns/covid-hospital-activity-2020-08-13.xlsx"
COVID_TARGET_S = "< 30"
DAILY_TARGET_S = "< 1"
DAILY_DAYS = (date(2020, 5, 1), date(2020, 5, 2), date(2020, 5, 3), date(2020, 5, 4))


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def measure(store_dir: Path, data: Path, work: Path) -> dict[str, Any]:
    from service.rdf.store import GraphStore
    from service.rdf.vocab import NHSKG
    from service.returns.load import load_return_file
    from service.returns.numbers import NumbersStore
    from service.rollup.engine import rollup
    from tests.returns_support import write_covid_extract

    GraphStore(store_dir, read_only=True)._store.backup(str(work / "store"))
    store, numbers = GraphStore(work / "store"), NumbersStore(work / "numbers.duckdb")
    out: dict[str, Any] = {}
    seconds, result = _timed(lambda: load_return_file(store, numbers, data / COVID))
    out["covid"] = {
        "seconds": seconds,
        "status": result.status,
        "values": result.values,
        "warnings": len(result.warnings),
        "unregistered": len(result.unregistered),
    }
    out["daily"] = []
    for n, day in enumerate(DAILY_DAYS):
        folder = work / f"day-{n}"
        folder.mkdir()
        path = write_covid_extract(data / COVID, folder / f"covid-sitrep-daily-{day}.xlsx", (day,))
        engine = "pyshacl" if n == len(DAILY_DAYS) - 1 else "duckdb"  # the last: the old path
        seconds, result = _timed(
            lambda p=path, e=engine: load_return_file(store, numbers, p, engine=e)
        )
        out["daily"].append(
            {"day": str(day), "engine": engine, "seconds": seconds, "status": result.status}
        )
        out["daily"][-1]["values"] = result.values
    out["rollups"] = {}
    for label, when in (
        ("one date", date(2020, 5, 1)),
        ("365 days", (date(2019, 8, 10), date(2020, 8, 9))),
    ):
        times = []
        for _ in range(5):
            seconds, _ = _timed(
                lambda w=when: rollup(numbers, str(NHSKG.BedsOccupied), "NHS_REGION", w)
            )
            times.append(seconds)
        out["rollups"][label] = median(times)
    numbers.close()
    store.close()
    return out


@benchmark("returns")
def returns(ctx: Context) -> list[Row]:
    if not (ctx.data_dir / COVID).exists():
        return [row("COVID publication load", None, "s", COVID_TARGET_S, note="no data")]
    store = national_store(ctx)
    if store is None:
        return [row("COVID publication load", None, "s", COVID_TARGET_S, note="no national store")]
    out_file = ctx.scratch / "returns.json"
    args = [sys.executable, "-m", "bench.returns_bench", str(store), str(ctx.data_dir)]
    try:
        subprocess.run(
            [*args, "--out", str(out_file)], cwd=ROOT, check=True, timeout=ctx.timeout * 2
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return [row("COVID publication load", None, "s", COVID_TARGET_S, note=str(exc)[:80])]
    return rows_of(json.loads(out_file.read_text()))


def rows_of(out: dict[str, Any]) -> list[Row]:
    covid = out["covid"]
    note = f"{covid['status']}, {covid['values']:,} values, {covid['unregistered']} unregistered"
    rows = [
        row("COVID publication load incl. validation", covid["seconds"], "s", COVID_TARGET_S, note)
    ]
    fast = [d for d in out["daily"] if d["engine"] == "duckdb"]
    times = [d["seconds"] for d in fast]
    rows.append(
        row(
            f"daily batch of {fast[0]['values']:,} values (median of {len(fast)} days)",
            median(times),
            "s",
            DAILY_TARGET_S,
            f"{', '.join(d['status'] for d in fast)}; min {min(times):.2f}, max {max(times):.2f}",
        )
    )
    for d in out["daily"]:
        if d["engine"] == "pyshacl":
            rows.append(
                row(
                    "  daily batch with per-value shapes in pySHACL (old path)",
                    d["seconds"],
                    "s",
                    note=f"{d['status']}, {d['values']:,} values",
                )
            )
    for label, seconds in out["rollups"].items():
        rows.append(row(f"roll-up by stated NHS region, {label} (real data)", seconds * 1000, "ms"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.returns_bench", description=__doc__)
    parser.add_argument("store", type=Path)
    parser.add_argument("data", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nhskg-returns-") as work:
        out = measure(args.store, args.data, Path(work))
    if args.out:  # run by `make bench`, which prints the table itself
        args.out.write_text(json.dumps(out, indent=2))
        return
    for r in rows_of(out):
        met = {True: "met", False: "NOT MET", None: ""}[r.met]
        print(f"{r.name:<64} {r.value or 0:>10,.3f} {r.unit:<3} {r.target or '':<6} {met} {r.note}")


if __name__ == "__main__":
    main()
