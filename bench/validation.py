"""SHACL validation of the whole national reference graph: plain pySHACL (the old path) against
the fast path, each in its own process, and whether they agree."""

from __future__ import annotations

from pathlib import Path

from bench.core import Context, Row, benchmark, row, run_child
from bench.national import national_store

# The re-hosted 2016 trust file breaks the ODS-record rule (two rows for trusts opened later):
# validating it with the reference graph shows both paths agree on a graph that fails.
BROKEN = ("ods/etr-2016-01.csv", "ods-etr")


@benchmark("validation")
def whole_graph_validation(ctx: Context) -> list[Row]:
    store = national_store(ctx)
    if store is None:
        return [row("validate reference graph", None, "s", note="national load failed")]
    rows = compare(ctx, store, "reference graph", [])
    old_path_finished = rows[0].value is not None
    if (ctx.data_dir / BROKEN[0]).exists() and old_path_finished:
        plus = ["--plus", str(ctx.data_dir / BROKEN[0]), "--mapping", BROKEN[1]]
        rows += compare(ctx, store, f"reference + {Path(BROKEN[0]).name}", plus)
    return rows


def compare(ctx: Context, store: Path, what: str, extra: list[str]) -> list[Row]:
    limits = {"pyshacl": ctx.old_path_timeout, "fast": ctx.timeout}
    runs = {
        v: run_child(["validate", "--store", str(store), "--validator", v, *extra], limits[v])
        for v in ("pyshacl", "fast")
    }
    rows = []
    for validator, label in (("pyshacl", "plain pySHACL (old path)"), ("fast", "fast path")):
        run = runs[validator]
        out = run.output or {}
        why = f"timed out after {limits[validator]:.0f} s" if run.timed_out else run.error
        note = f"{out['triples']} triples, conforms={out['conforms']}" if out else why
        rows.append(row(f"validate {what}, {label}", out.get("seconds"), "s", note=note))  # type: ignore[arg-type]
        rows.append(row(f"  peak RSS, {label}", run.peak_rss_mb if out else None, "MB"))
    old, new = runs["pyshacl"].output, runs["fast"].output
    if old and new:
        speed_up = old["seconds"] / new["seconds"]  # type: ignore[operator]
        rows.append(row("  speed-up of the fast path", speed_up, "x"))
        same = old["conforms"] == new["conforms"] and old["findings"] == new["findings"]
        count = len(new["findings"])  # type: ignore[arg-type]
        note = f"{count} findings each" if same else "DIFFERENT results"
        rows.append(Row("  fast path agrees with pySHACL", float(same), "bool", "same", same, note))
    return rows
