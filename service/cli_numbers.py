"""`nhskg returns load|check` and `nhskg rollup`: operational returns on the command line.

Same report style and exit codes as `nhskg load`: 0 loaded (or valid), 1 rejected by the rules,
2 usage or I/O error (unknown mapping, missing file, a roll-up that cannot be answered).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from service.mapping.spec import MappingError
from service.returns.load import ReturnLoadResult, load_return_file, reconcile
from service.returns.numbers import NumbersStore
from service.rollup.model import AS_REPORTED, Method, RollupResult, to_organisations_at
from service.store import GraphStore

returns_app = typer.Typer(help="Operational returns: validated loads into the numbers store.")
console = Console(stderr=True, soft_wrap=True)  # reports stay one line per finding


def stores(ctx: typer.Context, read_only: bool = False) -> tuple[GraphStore, NumbersStore]:
    """The graph store and the numbers store the main callback named."""
    paths: dict[str, Path] = ctx.find_root().obj
    store, numbers = GraphStore(paths["store"], read_only=read_only), NumbersStore(paths["numbers"])
    for line in reconcile(store, numbers):  # what a killed load left, finished or undone
        console.print(line)
    return store, numbers


def report(result: ReturnLoadResult, as_json: bool) -> None:
    if as_json:
        document = {
            "status": result.status,
            "file": result.file,
            "mapping": result.mapping,
            "batch": result.batch,
            "values": result.values,
            "engine": result.engine,
            "conforms": result.report.conforms,
            "findings": [asdict(f) for f in result.report.findings],
            "warnings": [asdict(f) for f in result.warnings],
            "unregistered": result.unregistered,
        }
        typer.echo(json.dumps(document, indent=2))
        return
    console.print(f"{result.file}: {result.status} ({result.values} values) via {result.mapping}")
    if result.warnings:
        console.print(f"  {len(result.warnings)} warning(s):")
        for finding in result.warnings[:10]:
            console.print(f"    {finding.line()}", highlight=False)
    if result.unregistered:
        console.print(
            f"  {len(result.unregistered)} unregistered provider(s) queued for stewards: "
            + ", ".join(result.unregistered[:20])
            + (" ..." if len(result.unregistered) > 20 else "")
        )
    if not result.report.conforms:
        console.print(result.report.text(), highlight=False)


def _run(
    ctx: typer.Context,
    file: Path,
    mapping: str | None,
    strict: bool,
    dry: bool,
    replace_all: bool = False,
) -> ReturnLoadResult:
    if not file.is_file():
        console.print(f"no such file: {file}")
        raise typer.Exit(2)
    store, numbers = stores(ctx)
    try:
        return load_return_file(
            store, numbers, file, mapping, strict=strict, dry_run=dry, replace_all=replace_all
        )
    except MappingError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    finally:
        numbers.close()


MappingOption = Annotated[
    str | None, typer.Option(help="Return mapping id (mappings/returns/ID.yaml); default: by name.")
]
StrictOption = Annotated[
    bool, typer.Option(help="Reject codes used after their succession instead of restating.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
ReplaceAllOption = Annotated[
    bool,
    typer.Option(
        "--replace-all",
        help="Load even if the file would retire most of what its source holds now.",
    ),
]


@returns_app.command("load")
def returns_load(
    ctx: typer.Context,
    file: Path,
    mapping: MappingOption = None,
    strict: StrictOption = False,
    as_json: JsonOption = False,
    replace_all: ReplaceAllOption = False,
) -> None:
    """Validate FILE as one batch and write it to the graph and numbers stores only if every rule
    holds; a re-loaded publication replaces its earlier batch."""
    result = _run(ctx, file, mapping, strict, dry=False, replace_all=replace_all)
    report(result, as_json)
    raise typer.Exit(0 if result.ok else 1)


@returns_app.command("check")
def returns_check(
    ctx: typer.Context,
    file: Path,
    mapping: MappingOption = None,
    strict: StrictOption = False,
    as_json: JsonOption = False,
) -> None:
    """Dry run: report what loading FILE would break; write nothing."""
    result = _run(ctx, file, mapping, strict, dry=True)
    report(result, as_json)
    raise typer.Exit(0 if result.ok else 1)


def rollup_command(
    ctx: typer.Context,
    metric: Annotated[str, typer.Argument(help="Metric of the scheme, e.g. BedsOccupied.")],
    by: Annotated[str, typer.Option(help="Area type: NHS_REGION, ICB, LRF, ...")],
    on: Annotated[str, typer.Option("--date", help="YYYY-MM-DD (first day of a range).")],
    until: Annotated[str | None, typer.Option("--to", help="Last day of a range.")] = None,
    method: Annotated[Method, typer.Option(help="How organisations are placed.")] = Method.SITES,
    restate_to: Annotated[
        str | None, typer.Option(help="Restate to the organisations of this date.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Sum METRIC into areas of a type on a date (or over --to), with coverage and unmapped."""
    from service.returns.codes import graph_successions
    from service.returns.spec import metric_term
    from service.rollup.engine import RollupError, rollup

    try:
        iri = str(metric_term(metric))
        start = date.fromisoformat(on)
        end = date.fromisoformat(until) if until else start
        restate = to_organisations_at(date.fromisoformat(restate_to)) if restate_to else None
    except (MappingError, ValueError) as exc:
        console.print(f"{exc} (dates are YYYY-MM-DD; metrics are names in ontology/metrics.ttl)")
        raise typer.Exit(2) from exc
    store, numbers = stores(ctx, read_only=True)
    try:
        result = rollup(
            numbers,
            iri,
            by,
            (start, end),
            method,
            restate or AS_REPORTED,
            successions=graph_successions(store) if restate else None,
        )
    except RollupError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    finally:
        numbers.close()
    typer.echo(_json(result) if as_json else _table(result))


def _table(result: RollupResult) -> str:
    lines = [f"{'area':<12} {'from':<10} {'to':<10} {'value':>14} {'reported':>9} {'expected':>9}"]
    for r in sorted(result.rows, key=lambda r: (r.period_start, r.area)):
        lines.append(
            f"{r.area:<12} {r.period_start} {r.period_end} {r.value:>14,.2f} "
            f"{r.coverage.reported:>9} {r.coverage.expected:>9}"
        )
    total = sum(r.value for r in result.rows)
    unmapped = sum(u.value for u in result.unmapped)
    lines.append(f"{'areas':<33} {total:>14,.2f}")
    who = sorted({u.organisation for u in result.unmapped})
    lines.append(
        f"{'unmapped':<33} {unmapped:>14,.2f}  ({len(who)} organisation(s)"
        + (f": {', '.join(who[:12])}{' ...' if len(who) > 12 else ''})" if who else ")")
    )
    return "\n".join(lines)


def _json(result: RollupResult) -> str:
    return json.dumps(asdict(result), default=str, indent=2)
