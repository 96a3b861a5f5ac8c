"""SHACL validation of the whole national reference graph: plain pySHACL (the old path) against
the fast path, each in its own process, and whether they agree."""

from __future__ import annotations

from pathlib import Path

from bench.core import Context, Row, benchmark, row, run_child
from bench.national import load_once


def _store(ctx: Context) -> Path | None:
    store = ctx.shared.get("national_store")
    if isinstance(store, Path):
        return store
    run = load_once(ctx, "national-for-validation", "fast")
    return ctx.scratch / "national-for-validation" if run.output else None


@benchmark("validation")
def whole_graph_validation(ctx: Context) -> list[Row]:
    store = _store(ctx)
    if store is None:
        return [row("validate reference graph", None, "s", note="national load failed")]
    runs = {
        v: run_child(["validate", "--store", str(store), "--validator", v], ctx.timeout)
        for v in ("pyshacl", "fast")
    }
    rows = []
    for validator, label in (("pyshacl", "plain pySHACL (old path)"), ("fast", "fast path")):
        run = runs[validator]
        out = run.output or {}
        why = f"timed out after {ctx.timeout:.0f} s" if run.timed_out else run.error
        note = f"{out['triples']} triples, conforms={out['conforms']}" if out else why
        seconds = out.get("seconds") if out else None
        rows.append(row(f"validate reference graph, {label}", seconds, "s", note=note))
        rows.append(row(f"  peak RSS, {label}", run.peak_rss_mb if out else None, "MB"))
    old, new = runs["pyshacl"].output, runs["fast"].output
    if old and new:
        rows.append(row("speed-up of the fast path", old["seconds"] / new["seconds"], "x"))  # type: ignore[operator]
        same = old["conforms"] == new["conforms"] and old["findings"] == new["findings"]
        rows.append(
            Row(
                "fast path agrees with pySHACL",
                1.0 if same else 0.0,
                "bool",
                "same",
                same,
                f"{len(new['findings'])} findings each" if same else "DIFFERENT results",
            )  # type: ignore[arg-type]
        )
    return rows
