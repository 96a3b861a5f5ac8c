"""The roll-up comparison as table rows: each path's time per query and size, its ratio to ours,
whether its answer matched the reference, and the targets of issue 7."""

from __future__ import annotations

from typing import Any

from bench.core import Row, row

PATHS = {
    "rdflib": "(a) rdflib SPARQL",
    "oxigraph": "(b) Oxigraph SPARQL",
    "duckdb": "(c) DuckDB SQL",
    "engine": "(d) ours",
}
Runs = dict[tuple[str, int], dict[str, Any]]


def _ms(runs: Runs, path: str, years: int, query: str) -> float | None:
    """The time of a query that gave the reference answer. Ours is timed even when it answers
    differently, and the table says so (WRONG), so a regression shows rather than vanishes."""
    q = runs.get((path, years), {}).get("queries", {}).get(query)
    if not q or (q.get("check") and path != "engine"):
        return None
    return q.get("ms")


def _engine_differs(runs: Runs) -> str:
    checks = [
        q["check"]
        for (path, _), out in runs.items()
        if path == "engine"
        for q in out.get("queries", {}).values()
        if q.get("check")
    ]
    return "; ours gave a different answer (rows above)" if checks else ""


def comparison_rows(runs: Runs) -> list[Row]:
    rows: list[Row] = []
    for years in (1, 3):
        for query in ("one date", "90 days", "365 days"):
            rows.append(row(f"roll-up by LRF, {query}, {years} y loaded", None, "", note=""))
            ours = _ms(runs, "engine", years, query)
            for path, label in PATHS.items():
                q = runs.get((path, years), {}).get("queries", {}).get(query)
                if q is None:
                    why = "not run" if path == "engine" else "not run (time)"
                    rows.append(row(f"  {label}", None, "ms", note=why))
                    continue
                if q.get("timed_out"):
                    limit = (
                        f"timed out after {q['limit_s']:.0f} s" if "limit_s" in q else "timed out"
                    )
                    rows.append(row(f"  {label}", None, "ms", note=limit))
                    continue
                ratio = f"; {q['ms'] / ours:,.2f} x ours" if ours else ""
                if q["check"]:
                    note = f"WRONG: {q['check']}{ratio if path == 'engine' else ''}"
                    rows.append(row(f"  {label}", q["ms"], "ms", note=note))
                    continue
                cpu = f"; CPU {q['cpu_ms']:,.1f} ms" if q.get("cpu_ms") is not None else ""
                rows.append(row(f"  {label}", q["ms"], "ms", note=f"same answer{ratio}{cpu}"))
    return rows + target_rows(runs)


def _worst_cpu(runs: Runs) -> float | None:
    """The same ratio in CPU time (all threads of the process): steadier on a shared machine."""
    worst = None
    for years in (1, 3):
        for query in ("one date", "90 days", "365 days"):
            sql, ours = (
                runs.get((p, years), {}).get("queries", {}).get(query, {}).get("cpu_ms")
                for p in ("duckdb", "engine")
            )
            if sql and ours and _ms(runs, "duckdb", years, query):
                worst = max(worst or 0.0, ours / sql)
    return worst


def target_rows(runs: Runs) -> list[Row]:
    one, year = _ms(runs, "engine", 3, "one date"), _ms(runs, "engine", 3, "365 days")
    rows = [
        row("ours: one-date roll-up, 3 y loaded", one, "ms", "< 50"),
        row("ours: 365-day roll-up, 3 y loaded", year, "ms", "< 300"),
    ]
    naive, ours1 = _ms(runs, "rdflib", 1, "one date"), _ms(runs, "engine", 1, "one date")
    speedup, note = (naive / ours1 if naive and ours1 else None), ""
    q = runs.get(("rdflib", 1), {}).get("queries", {}).get("one date", {})
    if q.get("timed_out") and ours1 and "limit_s" in q:  # a lower bound is still a result
        speedup, note = q["limit_s"] * 1000 / ours1, "at least: rdflib timed out"
    if speedup:
        note = "; ".join(x for x in (note, "rdflib holds 90 days of values: a lower bound") if x)
    rows.append(row("naive rdflib / ours, one date, 1 y", speedup, "x", "> 100", note=note))
    worst = None
    for years in (1, 3):
        for query in ("one date", "90 days", "365 days"):
            sql, ours = _ms(runs, "duckdb", years, query), _ms(runs, "engine", years, query)
            if sql and ours:
                worst = max(worst or 0.0, ours / sql)
    rows.append(row("ours / hand-written SQL, worst query", worst, "x", "< 3"))
    rows.append(
        row("ours / hand-written SQL, worst query, CPU time", _worst_cpu(runs), "x", note="info")
    )
    engine3 = runs.get(("engine", 3), {})
    rss = engine3.get("rss_after_load_mb")
    rows.append(row("ours: RSS after loading 3 y of values", rss, "MB", "< 2048"))
    differs = _engine_differs(runs)
    return [Row(r.name, r.value, r.unit, r.target, r.met, r.note + differs) for r in rows]
