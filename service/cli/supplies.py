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


@supplies_app.command("by-trust")
def by_trust_command(
    ctx: typer.Context,
    item: Annotated[
        str,
        typer.Argument(help="A consumable, as its metrics name it: FFP3Respirators, Gowns ..."),
    ],
    on: Annotated[str, typer.Option("--date", help="The day (YYYY-MM-DD).")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """ITEM held and used on a day, and days of stock, by trust: a hospital site's values count
    for the trust running it that day (SYNTHETIC figures: say so wherever they are shown)."""
    import json

    from service.cli.context import reference_of
    from service.mapping.spec import MappingError
    from service.returns.spec import metric_term
    from service.supplies.by_trust import stock_by_trust

    try:
        day = date.fromisoformat(on)
        for part in ("Held", "Used"):
            metric_term(item + part)
    except (ValueError, MappingError) as exc:
        console.print(f"{exc}: give a date as YYYY-MM-DD and an item whose Held and Used "
                      "metrics ontology/supplies.ttl defines, e.g. FFP3Respirators")  # fmt: skip
        raise typer.Exit(2) from exc
    store, numbers = stores(ctx, read_only=True)
    try:
        placer = reference_of(store).lookup.placer
        found, unplaced = stock_by_trust(numbers, placer, item, day)
    finally:
        numbers.close()
    if as_json:
        rows = [
            {"trust": s.trust, "held": s.held, "used": s.used,
             "daysOfStock": s.days_of_stock, "reporters": list(s.reporters)}
            for s in found.values()
        ]  # fmt: skip
        typer.echo(json.dumps({"item": item, "date": on, "synthetic": True, "trusts": rows,
                               "sitesRunByNoOrganisation": unplaced}, indent=2))  # fmt: skip
        return
    typer.echo(f"{item} by trust on {on} (SYNTHETIC figures)")
    typer.echo(f"{'trust':<6} {'held':>10} {'used':>8} {'days':>6}  reporters")
    for s in found.values():
        days = f"{s.days_of_stock:6.1f}" if s.days_of_stock is not None else f"{'-':>6}"
        typer.echo(f"{s.trust:<6} {s.held:>10,.0f} {s.used:>8,.0f} {days}  {' '.join(s.reporters)}")
    if not found:
        typer.echo("no values of this item on that day")
    for site, held in sorted(unplaced.items()):
        typer.echo(f"site {site}: no organisation runs it on {on}; {held:,.0f} held not counted")
