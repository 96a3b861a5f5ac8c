"""The full national reference load: `load_all` of mappings/manifest.yaml from the shared data
into a fresh on-disk store, in a child process (wall time, peak RSS, per-file times)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bench.core import ChildRun, Context, Row, benchmark, median, row, run_child

LOAD_TARGET_S = "< 60"
MEMORY_TARGET_MB = "< 2048"


# A load slower than this is measured once: repeating it would not fit the bench's time budget.
REPEAT_BELOW_S = 20.0


def load_once(ctx: Context, name: str, validator: str) -> ChildRun:
    store = ctx.scratch / name
    args = ["national-load", "--data-dir", str(ctx.data_dir), "--store", str(store)]
    limit = ctx.timeout if validator == "fast" else ctx.old_path_timeout
    return run_child([*args, "--validator", validator], limit)


def national_store(ctx: Context) -> Path | None:
    """The national reference store the other benchmarks read: the national-load benchmark's,
    else $NHSKG_BENCH_STORE (an existing store), else one loaded now, once per bench run, in a
    child process (this process stays small: its memory would reach every later child's
    figures). None when that load fails."""
    shared = ctx.shared.get("national_store")
    if isinstance(shared, Path) and shared.exists():
        return shared
    given = os.environ.get("NHSKG_BENCH_STORE")
    if given:
        return Path(given)
    if load_once(ctx, "national-shared", "fast").output is None:
        return None
    ctx.shared["national_store"] = ctx.scratch / "national-shared"
    return ctx.scratch / "national-shared"


@benchmark("national-load")
def national_load(ctx: Context) -> list[Row]:
    runs = [load_once(ctx, "national-0", "fast")]
    while len(runs) < ctx.repeat and runs[-1].output and runs[-1].wall_s < REPEAT_BELOW_S:
        runs.append(load_once(ctx, f"national-{len(runs)}", "fast"))
    good = [r for r in runs if r.output is not None]
    if not good:
        why = "timed out" if runs[0].timed_out else runs[0].error
        return [row("national load (process wall)", None, "s", LOAD_TARGET_S, note=why)]
    ctx.shared["national_store"] = ctx.scratch / f"national-{runs.index(good[-1])}"
    outputs: list[dict[str, Any]] = [r.output for r in good if r.output is not None]
    note = f"median of {len(good)}" + ("" if outputs[-1]["all_loaded"] else "; A FILE WAS REJECTED")
    rows = [
        row(
            "national load (process wall)",
            median([r.wall_s for r in good]),
            "s",
            LOAD_TARGET_S,
            note,
        ),
        row("national load (load_all only)", median([o["load_all_seconds"] for o in outputs]), "s"),
        row(
            "national load (load_all CPU time)",
            median([o.get("load_all_cpu_seconds", 0.0) for o in outputs]),
            "s",
            note="all threads; wall time on a shared machine also counts other processes",
        ),
        row("national load peak RSS", max(r.peak_rss_mb for r in good), "MB", MEMORY_TARGET_MB),
        row("national store quads", float(outputs[-1]["quads"]), "quads"),
    ]
    for i, f in enumerate(outputs[-1]["files"]):
        seconds = median([o["files"][i]["seconds"] for o in outputs])
        checks = median([o["files"][i]["validation_seconds"] for o in outputs])
        cpu = median([o["files"][i].get("cpu_seconds", 0.0) for o in outputs])
        detail = f"{f['status']}, {f['rows']} rows, {f['triples']} triples, CPU {cpu:.1f} s"
        rows.append(row(f"  load {f['file']}", seconds, "s", note=detail))
        rows.append(row("    of which validation", checks, "s"))
    return rows


@benchmark("national-load-pyshacl")
def national_load_pyshacl(ctx: Context) -> list[Row]:
    """The same load with plain pySHACL validating every batch: the 'before' figure."""
    run = load_once(ctx, "national-pyshacl", "pyshacl")
    if run.output is None:
        why = f"timed out after {ctx.old_path_timeout:.0f} s" if run.timed_out else run.error
        return [row("national load, plain pySHACL (before)", None, "s", note=why)]
    rows = [row("national load, plain pySHACL (before)", run.wall_s, "s", note="one run")]
    for f in run.output["files"]:  # type: ignore[union-attr]
        rows.append(row(f"  validation {f['file']} (pySHACL)", f["validation_seconds"], "s"))
    return rows
