"""`nhskg change check|apply|revert`, `history` and `queue`: a steward's change sets, what was
decided about a code, and what still waits for a decision."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from service.cli.context import console, graph_store, numbers_store, state
from service.cli.errors import explain
from service.cli.loading import keep_snapshot_current
from service.config import Settings
from service.geography.assign import UnknownAreaType
from service.geography.refresh import numbers_at
from service.returns.numbers import NumbersStore
from service.returns.spec import metric_term
from service.rollup.model import AS_REPORTED, DEFAULT_METHOD, Method, to_organisations_at
from service.stewardship.changeset import ChangeSet, ChangeSetError, read_changeset
from service.stewardship.effect import FigureQuestion
from service.stewardship.queue import KINDS as QUEUE_KINDS
from service.stewardship.queue import queue as steward_queue
from service.stewardship.workflow import apply, check, effect_hook, revert
from service.stewardship.workflow import history as steward_history

change_app = typer.Typer(help="Steward change sets: check, apply, revert.")


def _changeset(file: Path) -> ChangeSet:
    try:
        return read_changeset(file)
    except (ChangeSetError, OSError) as exc:
        console.print(f"error: {explain(exc)}")
        raise typer.Exit(2) from exc


@change_app.command("check")
def change_check(
    file: Path,
    metric: Annotated[
        str | None, typer.Option(help="Show the effect on this metric (e.g. BedsOccupiedCovid).")
    ] = None,
    area_type: Annotated[str, typer.Option(help="Roll up to this area type.")] = "LRF",
    on: Annotated[str | None, typer.Option(help="Period date YYYY-MM-DD.")] = None,
    method: Annotated[Method, typer.Option(help="Placement method.")] = DEFAULT_METHOD,
    restate_at: Annotated[
        str | None, typer.Option(help="Restate to the organisations of this date.")
    ] = None,
    numbers: Annotated[Path | None, typer.Option(help="Numbers store (DuckDB).")] = None,
) -> None:
    """Dry run: findings, the triples it would add by organisation, and (with --metric and --on)
    the roll-up rows it would change; writes nothing."""
    hook = None
    if metric is not None:
        try:
            question = FigureQuestion(
                str(metric_term(metric)),
                area_type,
                date.fromisoformat(on or ""),
                method,
                to_organisations_at(date.fromisoformat(restate_at)) if restate_at else AS_REPORTED,
            )
        except (ValueError, AttributeError) as exc:
            console.print(f"cannot show the effect on figures: {exc} (--on YYYY-MM-DD is needed)")
            raise typer.Exit(2) from exc
        hook = effect_hook(numbers_store(numbers), question)
    try:
        dry = check(graph_store(), _changeset(file), hook)
    except UnknownAreaType as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    typer.echo(dry.text())
    raise typer.Exit(0 if dry.report.conforms else 1)


@change_app.command("apply")
def change_apply(
    file: Path,
    numbers: Annotated[Path | None, typer.Option(help="Numbers store (DuckDB).")] = None,
) -> None:
    """Check and, if every rule holds, apply as its own named graph with provenance; the
    org_area rows of the organisations it touches are placed again."""
    store = graph_store()
    try:
        dry = apply(store, _changeset(file), numbers_at(numbers or Settings().numbers_path))
    except ChangeSetError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    typer.echo(dry.text())
    if dry.status == "applied":
        keep_snapshot_current(store)
    raise typer.Exit(0 if dry.status == "applied" else 1)


@change_app.command("revert")
def change_revert(
    changeset_id: str,
    author: Annotated[str, typer.Option(help="Who reverts it.")],
    reason: Annotated[str, typer.Option(help="Why.")],
    numbers: Annotated[Path | None, typer.Option(help="Numbers store (DuckDB).")] = None,
) -> None:
    """Retire an applied change set's graph; the reversion is recorded, and the org_area rows
    of the organisations it touched are placed again."""
    store = graph_store()
    try:
        revert(
            store,
            changeset_id,
            author=author,
            reason=reason,
            numbers=numbers_at(numbers or Settings().numbers_path),
        )
    except ValueError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    typer.echo(f"reverted {changeset_id}")
    keep_snapshot_current(store)


def history(code: str) -> None:
    """Change sets applied and reverted about an organisation or area code, oldest first."""
    for row in steward_history(graph_store(read_only=True), code):
        typer.echo(
            f"{row['when']}  {row['kind']:<22} {row['changeset']:<30} "
            f"{row['who'] or ''}: {row['why'] or ''}"
        )


def queue_command(
    kind: Annotated[
        list[str] | None, typer.Option(help=f"Only these kinds: {', '.join(QUEUE_KINDS)}.")
    ] = None,
    area_type: Annotated[str, typer.Option(help="Area type for method conflicts.")] = "LRF",
    on: Annotated[str | None, typer.Option(help="Date for method conflicts (today).")] = None,
    numbers: Annotated[Path | None, typer.Option(help="Numbers store (DuckDB).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """What needs a steward's decision: unregistered providers, retired codes in returns,
    successions of no stated type, trusts whose placement methods conflict."""
    path = numbers or state["numbers"]
    store = graph_store(read_only=True)
    try:
        items = steward_queue(
            store,
            NumbersStore(path, read_only=True) if path is not None and path.exists() else None,
            kinds=kind or QUEUE_KINDS,
            area_type=area_type,
            on=date.fromisoformat(on) if on else None,
        )
    except ValueError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    for item in items:
        if as_json:
            typer.echo(json.dumps(item.as_dict(), default=str))
        else:
            typer.echo(f"{item.kind:<22} {item.code:<8} {item.name}\n    {item.reason}")
    console.print(f"{len(items)} items")
