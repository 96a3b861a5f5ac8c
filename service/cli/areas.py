"""`nhskg areas load|totals|place`: values reported by area on the command line.

`load` reads files of values by area (mappings/areas/), each one batch with its release;
`totals` compares a publication's own totals (its region and England rows) with the sum of their
parts; `place` rebuilds the area -> area table from the graph (after a geography change).
Roll-ups, observations and revisions of these metrics are the same commands as for
organisations' (`nhskg rollup`, `nhskg returns revisions`).

Exit codes: 0 done, 1 a file rejected, 2 a bad argument.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from service.cli.numbers import JsonOption, console, stores
from service.geography.rollup import RollUp
from service.mapping.spec import MappingError
from service.rdf.store import GraphStore
from service.reference.placement import Reference
from service.returns.area_load import AreaLoadResult, load_area_file

areas_app = typer.Typer(help="Values reported by area: load, published totals, placements.")


def _reference(store: GraphStore) -> tuple[Reference, RollUp]:
    """The geography of the store's saved reference snapshot (built and saved if missing)."""
    from service.cli.context import reference_of

    placer = reference_of(store).lookup.placer
    return placer.reference, placer.ctx.rollup


@areas_app.command("load")
def load_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Files of values by area.")],
    mapping: Annotated[str | None, typer.Option(help="Area mapping id (default: by name).")] = None,
    release: Annotated[
        str | None, typer.Option(help="Release date (default: the file name's).")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Check only; write nothing.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Load each file as one batch (whole or not at all): suppressed cells kept as suppressed,
    unknown area codes listed, a bad cell rejecting the file with its cell."""
    try:
        stated = date.fromisoformat(release) if release else None
    except ValueError as exc:
        console.print(f"{exc} (release is YYYY-MM-DD)")
        raise typer.Exit(2) from exc
    store, numbers = stores(ctx)
    failed = False
    try:
        reference, rollup = _reference(store)
        for path in files:
            try:
                result = load_area_file(
                    store, numbers, path, reference, mapping,
                    release=stated, dry_run=dry_run, rollup=rollup,
                )  # fmt: skip
            except MappingError as exc:
                console.print(str(exc))
                raise typer.Exit(2) from exc
            failed = failed or not result.ok
            _report(result, as_json)
    finally:
        numbers.close()
        store.close()
    raise typer.Exit(1 if failed else 0)


def _report(result: AreaLoadResult, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(asdict(result), default=str, indent=2))
        return
    typer.echo(
        f"{result.file}: {result.status} ({result.mapping}, release {result.release} from "
        f"{result.release_source}): {result.values:,} values, {result.suppressed:,} suppressed, "
        f"{result.answering:,} answering, {result.placements:,} placements"
    )
    if result.unknown_areas:
        typer.echo(
            f"  unknown area codes (kept, listed unmapped): {', '.join(result.unknown_areas)}"
        )
    for f in result.report.findings:
        typer.echo(f"  rejected: {f.column or ''} {f.value or ''} {f.rule}")


@areas_app.command("totals")
def totals_command(
    ctx: typer.Context,
    metric: Annotated[str, typer.Argument(help="Metric reported by area, e.g. LabConfirmedCases.")],
    parts: Annotated[str, typer.Option(help="Type of the parts, e.g. LAD.")],
    total: Annotated[str, typer.Option(help="Type of the published totals: ONS_REGION, NATION.")],
    on: Annotated[str, typer.Option("--date", help="YYYY-MM-DD (first day of a range).")],
    until: Annotated[str | None, typer.Option("--to", help="Last day of a range.")] = None,
    differences_only: Annotated[bool, typer.Option(help="Only totals that differ.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The publication's own totals beside the sum of their parts, with the difference."""
    from service.returns.spec import metric_term
    from service.rollup.areas import published_totals
    from service.rollup.engine import RollupError

    try:
        iri = str(metric_term(metric))
        start = date.fromisoformat(on)
        end = date.fromisoformat(until) if until else start
    except (MappingError, ValueError) as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    _, numbers = stores(ctx, read_only=True)
    try:
        found, unmapped = published_totals(numbers, iri, parts, total, (start, end))
    except RollupError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    finally:
        numbers.close()
    rows = [t for t in found if not differences_only or t.difference]
    if as_json:
        doc = [asdict(t) | {"difference": t.difference} for t in rows]
        unplaced = {str(day): value for day, value in unmapped.items()}
        typer.echo(json.dumps({"totals": doc, "unmapped": unplaced}, default=str, indent=2))
        return
    typer.echo(f"{'area':<10} {'day':<10} {'published':>12} {'parts':>12} {'difference':>11}")
    for t in rows:
        published = "-" if t.published is None else f"{t.published:,.0f}"
        diff = "-" if t.difference is None else f"{t.difference:+,.0f}"
        typer.echo(f"{t.area:<10} {t.period_start} {published:>12} {t.parts:>12,.0f} {diff:>11}")
    typer.echo(
        f"{len([t for t in found if t.difference])} of {len(found)} totals differ; parts in no "
        f"{total}: {sum(unmapped.values()):,.0f}"
    )


@areas_app.command("place")
def place_command(ctx: typer.Context) -> None:
    """Rebuild the area -> area placements of every reporting area from the graph."""
    from service.rollup.area_places import place_areas, reporting_codes

    store, numbers = stores(ctx)
    try:
        reference, rollup = _reference(store)
        written = place_areas(numbers, reference, reporting_codes(numbers), rollup)
    finally:
        numbers.close()
        store.close()
    typer.echo(f"{written:,} placements")
