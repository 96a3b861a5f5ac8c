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
    q = runs.get((path, years), {}).get("queries", {}).get(query)
    return None if not q or q.get("check") else q.get("ms")


def comparison_rows(runs: Runs) -> list[Row]:
    rows: list[Row] = []
    for years in (1, 3):
        for query in ("one date", "90 days", "365 days"):
            rows.append(row(f"roll-up by LRF, {query}, {years} y loaded", None, "", note=""))
            ours = _ms(runs, "engine", years, query)
            for path, label in PATHS.items():
                q = runs.get((path, years), {}).get("queries", {}).get(query)
                if q is None:
                    rows.append(row(f"  {label}", None, "ms", note="not run (time budget)"))
                    continue
                if q.get("timed_out"):
                    rows.append(row(f"  {label}", None, "ms", note="timed out"))
                    continue
                if q["check"]:
                    rows.append(row(f"  {label}", q["ms"], "ms", note=f"WRONG: {q['check']}"))
                    continue
                ratio = f"; {q['ms'] / ours:,.1f} x ours" if ours else ""
                rows.append(row(f"  {label}", q["ms"], "ms", note=f"same answer{ratio}"))
    return rows + target_rows(runs)


def target_rows(runs: Runs) -> list[Row]:
    one, year = _ms(runs, "engine", 3, "one date"), _ms(runs, "engine", 3, "365 days")
    rows = [
        row("ours: one-date roll-up, 3 y loaded", one, "ms", "< 50"),
        row("ours: 365-day roll-up, 3 y loaded", year, "ms", "< 300"),
    ]
    naive, ours1 = _ms(runs, "rdflib", 1, "one date"), _ms(runs, "engine", 1, "one date")
    speedup = naive / ours1 if naive and ours1 else None
    rows.append(row("naive rdflib / ours, one date, 1 y", speedup, "x", "> 100"))
    worst = None
    for years in (1, 3):
        for query in ("one date", "90 days", "365 days"):
            sql, ours = _ms(runs, "duckdb", years, query), _ms(runs, "engine", years, query)
            if sql and ours:
                worst = max(worst or 0.0, ours / sql)
    rows.append(row("ours / hand-written SQL, worst query", worst, "x", "< 3"))
    engine3 = runs.get(("engine", 3), {})
    rss = engine3.get("rss_after_load_mb")
    rows.append(row("ours: RSS after loading 3 y of values", rss, "MB", "< 2048"))
    return rows
