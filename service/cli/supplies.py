"""`nhskg supplies generate`: the SYNTHETIC Supply Chain 360 stock-and-flow return."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from service.cli.numbers import stores
from service.geography.assign import Placer
from service.reference.reporters import reference_organisations, reference_sites
from service.supplies.generate import generate

supplies_app = typer.Typer(help="Supply Chain 360: critical equipment and supplies (SYNTHETIC).")
console = Console(stderr=True, soft_wrap=True)


@supplies_app.command("generate")
def generate_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(help="Default: supplies-synthetic-stock-and-flow-<last day>.csv here."),
    ] = None,
    seed: Annotated[int, typer.Option(help="The same seed gives the same file.")] = 20200319,
    start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
    per: Annotated[
        str,
        typer.Option(
            help="trust: one reporter per trust; site: each trust's demand divided equally over "
            "the hospital sites it runs (a trust with none stays one reporter)."
        ),
    ] = "trust",
) -> None:
    """Write a SYNTHETIC stock-and-flow return (ventilators, oxygen, PPE held, delivered and
    used per trust per day, or per hospital site with --per site) for the trusts in the numbers
    store that report mechanical-ventilation beds, with that real series as ventilator demand;
    load it with `nhskg returns load FILE`."""
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError as exc:
        console.print(f"dates are YYYY-MM-DD: {exc}")
        raise typer.Exit(2) from exc
    if per not in ("trust", "site"):
        console.print(f"--per is trust or site, not {per!r}")
        raise typer.Exit(2)
    store, numbers = stores(ctx, read_only=True)
    try:
        known = set(reference_organisations(store))
        target = out or Path(f"supplies-synthetic-stock-and-flow-{(last or date.today())}.csv")
        placer = Placer.from_store(store) if per == "site" else None
        sites = reference_sites(store) if per == "site" else None
        rows = generate(numbers, target, seed, known, first, last, placer, sites)
    finally:
        numbers.close()
    if rows == 0:
        console.print("no trust reports mechanical-ventilation beds in the numbers store")
        raise typer.Exit(1)
    console.print(f"{target}: {rows} rows per {per}, SYNTHETIC (seed {seed})")
