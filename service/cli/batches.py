"""`nhskg returns batches|retire|restore|revisions`: the life cycle of return batches and the
revisions between releases on the command line.

Exit codes as elsewhere: 0 done, 2 a batch that cannot be found or changed as asked.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Annotated

import typer

from service.cli.numbers import JsonOption, console, returns_app, stores
from service.returns.batches import BatchError, BatchInfo, list_batches, restore, retire

NoteOption = Annotated[str, typer.Option(help="Why (kept with the batch and in its provenance).")]


@returns_app.command("batches")
def batches_command(
    ctx: typer.Context,
    dataset: Annotated[str | None, typer.Option(help="Only this dataset's batches.")] = None,
    status: Annotated[
        str | None, typer.Option(help="Only this status: current, superseded or retired.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the batches loaded, oldest release first: release date, status, values and how many
    of them answer questions now (the rest are history: a later release gives them)."""
    _, numbers = stores(ctx, read_only=True)
    try:
        found = list_batches(numbers, dataset=dataset, status=status)
    finally:
        numbers.close()
    if as_json:
        typer.echo(json.dumps([asdict(b) for b in found], default=str, indent=2))
        return
    typer.echo(f"{'release':<10} {'status':<10} {'values':>9} {'answering':>9}  file / batch")
    for b in found:
        typer.echo(
            f"{b.release_date} {b.status:<10} {b.value_count:>9,} {b.answering:>9,}  {b.file}\n"
            f"{'':<42}{b.id}" + (f"\n{'':<42}{b.change_note}" if b.change_note else "")
        )


def _change(ctx: typer.Context, batch: str, note: str, retiring: bool) -> None:
    store, numbers = stores(ctx)
    try:
        done: BatchInfo = (retire if retiring else restore)(store, numbers, batch, note)
    except BatchError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    finally:
        numbers.close()
        store.close()
    console.print(
        f"{done.file} ({done.release_date}): {done.status}; "
        f"{done.answering:,} of {done.value_count:,} values answer questions"
    )


@returns_app.command("retire")
def retire_command(ctx: typer.Context, batch: str, note: NoteOption) -> None:
    """Retire BATCH (its id, or the end of it): its values stop answering and the earlier
    release of each answers again. Nothing is deleted; `restore` undoes it."""
    _change(ctx, batch, note, retiring=True)


@returns_app.command("restore")
def restore_command(ctx: typer.Context, batch: str, note: NoteOption) -> None:
    """Restore a retired BATCH: its values answer again where its release is the latest."""
    _change(ctx, batch, note, retiring=False)


@returns_app.command("revisions")
def revisions_command(
    ctx: typer.Context,
    metric: Annotated[str, typer.Argument(help="Metric of the scheme, e.g. BedsOccupiedCovid.")],
    start: Annotated[str, typer.Option("--from", help="First period start, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last period start, YYYY-MM-DD.")],
    between: Annotated[
        list[str], typer.Option(help="Two release dates, earlier first (give it twice).")
    ],
    as_json: JsonOption = False,
) -> None:
    """Which values of METRIC the second release changed of what the first had published (as
    known on each date), per value and per area (the region the return states)."""
    from service.mapping.spec import MappingError
    from service.returns.revisions import by_area, revisions
    from service.returns.spec import metric_term

    try:
        iri = str(metric_term(metric))
        first, last = date.fromisoformat(start), date.fromisoformat(end)
        if len(between) != 2:
            raise ValueError("--between takes two release dates")
        releases = (date.fromisoformat(between[0]), date.fromisoformat(between[1]))
        _, numbers = stores(ctx, read_only=True)
        try:
            found = revisions(numbers, iri, first, last, releases)
        finally:
            numbers.close()
    except (MappingError, ValueError) as exc:
        console.print(f"{exc} (dates are YYYY-MM-DD, the earlier release first)")
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in found], default=str, indent=2))
        return
    change = sum(r.change or 0.0 for r in found)
    typer.echo(f"{len(found)} value(s) revised, change {change:+,.2f}")
    typer.echo(f"{'area':<8} {'period':<10} {'values':>7} {'before':>12} {'after':>12}")
    for a in by_area(found):
        typer.echo(
            f"{a.area:<9} {a.period_start} {a.count:>7} {a.before:>12,.2f} {a.after:>12,.2f}"
        )


VALUES = """
SELECT v.reported_code, v.org_code, v.metric, v.period_start, v.period_end, v.value,
       v.stated_region, b.file, b.release_date, b.status
FROM (SELECT * FROM {values}) v JOIN batch b ON b.batch_id = v.batch_id
WHERE (v.org_code = $code OR v.reported_code = $code)
  AND ($metric IS NULL OR v.metric = $metric) AND v.period_start BETWEEN $start AND $end
ORDER BY v.period_start, v.metric
LIMIT $limit"""


@returns_app.command("values")
def values_command(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="ODS code the values were reported under.")],
    metric: Annotated[str | None, typer.Option(help="Only this metric.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First period, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last period, YYYY-MM-DD.")] = None,
    as_known_at: Annotated[
        str | None, typer.Option(help="As published on this date (default: the latest).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 500,
    as_json: JsonOption = False,
) -> None:
    """An organisation's values (observations) with the file and release each comes from."""
    from service.mapping.spec import MappingError
    from service.returns.spec import metric_term

    try:
        params = {
            "code": code.strip().upper(),
            "metric": str(metric_term(metric)) if metric else None,
            "start": date.fromisoformat(start) if start else date.min,
            "end": date.fromisoformat(end) if end else date.max,
            "limit": limit,
        }
        known = date.fromisoformat(as_known_at) if as_known_at else None
    except (MappingError, ValueError) as exc:
        console.print(f"{exc} (dates are YYYY-MM-DD; metrics are names in ontology/metrics.ttl)")
        raise typer.Exit(2) from exc
    _, numbers = stores(ctx, read_only=True)
    try:
        view = numbers.known_at(known)
        rows = numbers.con.execute(VALUES.replace("{values}", view.values), params).fetchall()
    finally:
        numbers.close()
    keys = ("reported_code", "org_code", "metric", "period_start", "period_end", "value",
            "stated_region", "file", "release_date", "status")  # fmt: skip
    if as_json:
        typer.echo(json.dumps([dict(zip(keys, r, strict=True)) for r in rows], default=str))
        return
    for r in rows:
        metric_name = str(r[2]).rsplit("#", 1)[-1]
        typer.echo(f"{r[3]} {metric_name:<40} {r[5]:>12,.2f}  {r[7]} (release {r[8]})")
