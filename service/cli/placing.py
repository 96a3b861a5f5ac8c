"""`nhskg returns place`: build the organisation -> area table (org_area) for every code that
reports values, sites included, as `load-all` does after the returns. A return whose reporters
are new to the numbers store (a per-site supplies return) is placed by this before roll-ups."""

from __future__ import annotations

import typer

from service.cli.numbers import console, returns_app, stores
from service.manifest import materialise_for_returns
from service.reference.vocabulary import rollup_area_types


@returns_app.command("place")
def place_command(ctx: typer.Context) -> None:
    """Build org_area (the placements roll-ups join) for the organisations and sites that
    report values and their successors, in the ontology's roll-up geography types."""
    store, numbers = stores(ctx)
    path = numbers.path
    numbers.close()
    if path is None:
        console.print("no numbers store to place reporters for (give --numbers)")
        raise typer.Exit(2)  # materialise writes the DuckDB file through a connection of its own
    try:
        written, reporters = materialise_for_returns(store, path)
    finally:
        store.close()
    done = "already current" if written is None else f"{written:,} rows"
    console.print(f"org_area ({', '.join(rollup_area_types())}) for {reporters} reporters: {done}")
