"""`make bench`: run the registered benchmarks, print a table, write JSON to bench/results/."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench.core import ROOT, Context, Row, environment
from bench.registry import REGISTRY

RESULTS = ROOT / "bench" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--only", action="append", choices=sorted(REGISTRY), help="repeatable")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the fast national load")
    parser.add_argument("--timeout", type=float, default=240.0, help="seconds per child process")
    parser.add_argument(
        "--old-path-timeout", type=float, default=30.0, help="plain pySHACL: a lower bound after"
    )
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not args.data_dir.is_dir():
        raise SystemExit(f"no data at {args.data_dir}; pass --data-dir")
    started = datetime.now(UTC).replace(microsecond=0)
    results: dict[str, list[Row]] = {}
    with tempfile.TemporaryDirectory(prefix="nhskg-bench-") as scratch:
        ctx = Context(args.data_dir.resolve(), Path(scratch), args.repeat, args.timeout)
        ctx.old_path_timeout = args.old_path_timeout
        for name, fn in REGISTRY.items():
            if args.only and name not in args.only:
                continue
            t0 = time.perf_counter()
            results[name] = fn(ctx)
            print(f"[{name}: {time.perf_counter() - t0:.0f} s]", flush=True)
    print(table(results))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / f"{started:%Y%m%dT%H%M%SZ}.json"
    document = {
        "started": started.isoformat(),
        "environment": environment(),
        "data_dir": str(args.data_dir),
        "benchmarks": {k: [asdict(r) for r in rows] for k, rows in results.items()},
    }
    out.write_text(json.dumps(document, indent=2) + "\n")
    # The table as printed, beside the JSON: what the README's Performance section quotes.
    out.with_suffix(".txt").write_text(
        f"python -m bench {' '.join(sys.argv[1:])}  # {started.isoformat()}, "
        f"commit {document['environment']['commit']}\n\n{table(results)}\n"  # type: ignore[index]
    )
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} (and .txt)")


def table(results: dict[str, list[Row]]) -> str:
    lines = [f"{'benchmark':<64} {'value':>10} {'unit':<6} {'target':<8} {'met':<5} note"]
    for name, rows in results.items():
        lines.append(f"-- {name}")
        for r in rows:
            value = "-" if r.value is None else f"{r.value:,.2f}"
            met = {True: "yes", False: "NO", None: ""}[r.met]
            lines.append(
                f"{r.name:<64} {value:>10} {r.unit:<6} {r.target or '':<8} {met:<5} {r.note}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
