"""Each dashboard's first view in real Chromium on the national data: from navigation to the last
chart drawn (the page's last chart element present after load, as performance.now() since the
navigation started), the server warm (one view of each page first). Target < 1 s.

Uses the GraphQL bench's environment (national store, the COVID publication, the full org_area
table: bench/graphql_env.py), built if missing, and a real uvicorn server in its own process.
Chromium is Debian's (/usr/bin/chromium) driven by Playwright; without it the rows say so."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.auth import analyst_headers
from bench.core import ROOT, Context, Row, benchmark, row, start_server
from bench.national import national_store
from service.access.policy import SESSION_COOKIE

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The dashboards' default views; the selector is the last chart each page draws.
PAGES = {
    "strategic": ("/dashboards/strategic", "#chart-multiples svg:last-of-type"),
    "operational": ("/dashboards/operational", "#chart-trusts svg:last-of-type"),
    "public": ("/dashboards/public", "#chart-multiples svg:last-of-type"),
}
# Drawn by its own request after the page (service/dashboards/view.py DEFERRED): the early
# warning, timed too (navigation to the panel in place), its forecasts kept after the first view.
DEFERRED = {"strategic": "#panel-strain[data-loaded]", "operational": "#panel-strain[data-loaded]"}
VIEWS = 5
TARGET_MS = "< 1000"
SERVER_START_S = 900


def environment(ctx: Context) -> Path | None:
    env = Path(os.environ.get("NHSKG_GRAPHQL_BENCH_ENV", str(ctx.scratch / "graphql-national")))
    if not (env / "store.done").exists():
        national = national_store(ctx)
        if national is None:
            return None
        shutil.copytree(national, env / "store")
        (env / "store.done").write_text("copied from the national-load benchmark\n")
    built = subprocess.run(
        [sys.executable, "-m", "bench.graphql_env", str(env), str(ctx.data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SERVER_START_S,
    )
    return env if built.returncode == 0 else None


def first_views(url: str) -> dict[str, list[float]]:
    """Per page its first views' times (ms); per deferred panel ("NAME early warning") the
    times to the panel in place."""
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        # Signed in as a national analyst (the operational dashboard shows each trust: it needs
        # one), with the cookie POST /signin sets; the public dashboard ignores it.
        browser = chromium.new_context()
        token = analyst_headers()["Authorization"].removeprefix("Bearer ")
        browser.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": url}])
        try:
            for name, (path, last_chart) in PAGES.items():
                times = []
                for n in range(VIEWS + 1):  # the first view warms the server's caches
                    page = browser.new_page()
                    page.goto(url + path, wait_until="commit")
                    page.wait_for_selector(last_chart, state="attached", timeout=60_000)
                    elapsed = float(page.evaluate("performance.now()"))
                    later = None
                    if name in DEFERRED:
                        page.wait_for_selector(DEFERRED[name], state="attached", timeout=60_000)
                        later = float(page.evaluate("performance.now()"))
                    page.close()
                    if n:
                        times.append(elapsed)
                        if later is not None:
                            out.setdefault(f"{name} early warning", []).append(later)
                out[name] = times
        finally:
            chromium.close()
    return out


@benchmark("dashboards")
def dashboards_bench(ctx: Context) -> list[Row]:
    if not CHROMIUM.exists():
        return [row("dashboard first view", None, "ms", TARGET_MS, note="no /usr/bin/chromium")]
    env = environment(ctx)
    if env is None:
        return [row("dashboard first view", None, "ms", TARGET_MS, note="set-up failed")]
    started = time.perf_counter()
    proc, url = start_server(
        ["bench.dashboards_bench", str(env), str(ctx.data_dir)], SERVER_START_S
    )
    rows = [row("dashboards server start", time.perf_counter() - started, "s")]
    try:
        for name, times in first_views(url).items():
            if name.endswith("early warning"):
                rows.append(
                    row(
                        f"{name} panel in place (drawn after the page), median",
                        statistics.median(times),
                        "ms",
                        note=f"{len(times)} warm views, max {max(times):.0f} ms",
                    )
                )
                continue
            rows.append(
                row(
                    f"{name} dashboard first view (navigation to last chart), median",
                    statistics.median(times),
                    "ms",
                    TARGET_MS,
                    note=f"{len(times)} warm views, max {max(times):.0f} ms",
                )
            )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return rows


def serve(env: Path, data_dir: Path, port: int) -> None:
    import uvicorn

    from service.api.app import create_app
    from service.config import Settings
    from service.rdf.store import GraphStore
    from service.returns.numbers import NumbersStore

    app = create_app(
        Settings(store_path=None, numbers_path=None, data_dir=data_dir),
        store=GraphStore(env / "store", read_only=True),
        numbers=NumbersStore(env / "numbers.duckdb"),
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    serve(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
