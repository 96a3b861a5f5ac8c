"""`nhskg returns load|check` and `nhskg rollup`: operational returns on the command line.

Same report style and exit codes as `nhskg load`: 0 loaded (or valid), 1 rejected by the rules,
2 usage or I/O error (unknown mapping, missing file, a roll-up that cannot be answered).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from service.mapping.spec import MappingError
from service.rdf.store import GraphStore, GraphStoreBusy
from service.returns.journal import recover
from service.returns.load import ReturnLoadResult, load_return_file
from service.returns.numbers import NumbersStore, StoreBusy
from service.rollup.model import (
    AS_REPORTED,
    DEFAULT_METHOD,
    Method,
    RollupResult,
    to_organisations_at,
)

returns_app = typer.Typer(help="Operational returns: validated loads into the numbers store.")
console = Console(stderr=True, soft_wrap=True)  # reports stay one line per finding


def stores(ctx: typer.Context, read_only: bool = False) -> tuple[GraphStore, NumbersStore]:
    """The graph store and the numbers store the main callback named (read-only: beside a
    running server). A store another process holds stops the command with what to do."""
    paths: dict[str, Path] = ctx.find_root().obj
    with busy_stops():
        graph = GraphStore(paths["store"], read_only=read_only)
        numbers = NumbersStore(paths["numbers"], read_only=read_only)
    for done in recover(graph, numbers):  # a load killed earlier: finished or undone first
        console.print(done.line())
    return graph, numbers


@contextmanager
def busy_stops() -> Iterator[None]:
    """A store held by another process (a running server, a load): its message, exit 2."""
    try:
        yield
    except (StoreBusy, GraphStoreBusy) as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc


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
            "release": str(result.release) if result.release else None,
            "releaseSource": result.release_source,
            "answering": result.answering,
            "history": result.history,
            "laterReleases": result.later_releases,
        }
        typer.echo(json.dumps(document, indent=2))
        return
    console.print(
        f"{result.file}: {result.status} ({result.values} values) via {result.mapping}, "
        f"release {result.release} ({result.release_source})"
    )
    if result.history:
        console.print(
            f"  accepted as history: {result.history} of {result.values} values are already "
            f"given by a later release, which keeps answering: {', '.join(result.later_releases)}"
        )
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
    release: str | None = None,
) -> ReturnLoadResult:
    if not file.is_file():
        console.print(f"no such file: {file}")
        raise typer.Exit(2)
    try:
        released = date.fromisoformat(release) if release else None
    except ValueError as exc:
        console.print(f"--release {release!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(2) from exc
    store, numbers = stores(ctx, read_only=dry)
    try:
        return load_return_file(
            store,
            numbers,
            file,
            mapping,
            strict=strict,
            dry_run=dry,
            release=released,
            replace_all=replace_all,
        )
    except MappingError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    finally:
        numbers.close()
        store.close()


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
ReleaseOption = Annotated[
    str | None,
    typer.Option(help="Release date YYYY-MM-DD (default: the file name's, or the mapping's)."),
]


@returns_app.command("load")
def returns_load(
    ctx: typer.Context,
    file: Path,
    mapping: MappingOption = None,
    strict: StrictOption = False,
    as_json: JsonOption = False,
    release: ReleaseOption = None,
    replace_all: ReplaceAllOption = False,
) -> None:
    """Validate FILE as one batch and write it to the graph and numbers stores only if every rule
    holds; a re-loaded publication replaces its earlier batch. An older release than one
    already loaded for the same periods is kept as history."""
    result = _run(ctx, file, mapping, strict, dry=False, release=release, replace_all=replace_all)
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
    method: Annotated[
        Method | None,
        typer.Option(
            help=f"How organisations are placed; default {DEFAULT_METHOD.value}, or the first "
            "method the store has placements by for the type."
        ),
    ] = None,
    restate_to: Annotated[
        str | None, typer.Option(help="Restate to the organisations of this date.")
    ] = None,
    as_known_at: Annotated[
        str | None,
        typer.Option(help="Answer as published on this date (default: the latest releases)."),
    ] = None,
    from_type: Annotated[
        str | None,
        typer.Option(
            help="A metric reported by area: sum the areas of this type (default: the type "
            "with the most areas within --by, e.g. LAD)."
        ),
    ] = None,
    as_json: JsonOption = False,
    as_csv: Annotated[
        bool,
        typer.Option(
            "--csv", help="One row per area and period, with area names: /api/v1/data's columns."
        ),
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            help="duckdb (the numbers store itself) or spark: the same roll-up on Apache Spark "
            "(--spark-master, else $NHSKG_SPARK_MASTER, else local[2]; needs Java 17)."
        ),
    ] = "duckdb",
    spark_master: Annotated[
        str | None, typer.Option(help="spark.master, e.g. spark://host:7077 or yarn.")
    ] = None,
) -> None:
    """Sum METRIC into areas of a type on a date (or over --to), with coverage and unmapped.
    A metric reported by area (UKHSA cases ...) rolls up area to area by the graph's
    memberships (method AREA_MEMBERSHIP, whatever --method says)."""
    from service.returns.area_spec import is_area_metric
    from service.returns.codes import graph_successions
    from service.returns.spec import metric_term
    from service.returns.synthetic import synthetic_notice
    from service.rollup.areas import area_rollup
    from service.rollup.engine import RollupError, placed_method, require_placements, rollup
    from service.rollup.ratio import ratio_parts

    try:
        iri, by = str(metric_term(metric)), by.upper()  # area types are upper-case API names
        start = date.fromisoformat(on)
        end = date.fromisoformat(until) if until else start
        restate = to_organisations_at(date.fromisoformat(restate_to)) if restate_to else None
        known = date.fromisoformat(as_known_at) if as_known_at else None
        if engine not in ("duckdb", "spark"):
            raise ValueError(f"--engine is duckdb or spark, not {engine!r}")
    except (MappingError, ValueError) as exc:
        console.print(f"{exc} (dates are YYYY-MM-DD; metrics are names in ontology/metrics.ttl)")
        raise typer.Exit(2) from exc
    store, numbers = stores(ctx, read_only=True)
    try:
        source: Any = numbers
        successions = graph_successions(store) if restate else None
        if known is not None:  # Spark is given the tables the store view places by
            source, successions = _known_placements(
                store, numbers, known, by, successions, is_area_metric(iri)
            )
        if method is None:
            method = Method(placed_method(numbers.placements(), by, DEFAULT_METHOD.value))
        if not is_area_metric(iri):
            require_placements(source, method, by)  # else every value would be unmapped
        if engine == "spark":
            source = _on_spark(source, spark_master)
        result = (
            area_rollup(
                source.known_at(known),
                iri,
                by,
                (start, end),
                reported_type=from_type,
                restate=restate or AS_REPORTED,
            )
            if is_area_metric(iri)
            else None
        ) or rollup(
            source.known_at(known),
            iri,
            by,
            (start, end),
            method,
            restate or AS_REPORTED,
            successions=successions,
        )
        notice = synthetic_notice(numbers, [iri, *(ratio_parts(iri) or ())])
    except RollupError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    finally:
        numbers.close()
    if notice:  # on stderr: the JSON and CSV on stdout stay what they are
        console.print(notice)
    if as_csv:
        _csv(store, result, metric)
        return
    typer.echo(_json(result) if as_json else _table(result))


def _known_placements(
    store: GraphStore, numbers: NumbersStore, day: date, by: str, successions: Any, areas: bool
) -> tuple[NumbersStore, Any]:
    """The numbers placing organisations (`areas`: reporting areas) as the reference graph was
    known at the end of `day` (and its successions, for a restatement): nothing loaded by then
    is an error (exit 1)."""
    from service.cli.context import reference_of
    from service.geography.known_places import area_placements_known, placements_known
    from service.reference import KnownAtError

    try:
        reference = reference_of(store).known_at(day, earliest_held=True)
    except KnownAtError as exc:
        console.print(f"--as-known-at: {exc}")
        raise typer.Exit(1) from exc
    if reference.serial == 0:  # nothing written since: today's placements
        return numbers, successions
    if areas:
        return numbers.areas_placed_by(*area_placements_known(numbers, reference)), successions
    placed = numbers.placed_by(placements_known(numbers, reference, by.upper()))
    return placed, reference.successions if successions is not None else None


def _on_spark(numbers: NumbersStore, master: str | None) -> Any:
    """The numbers store's tables on Spark, through Parquet files in a temporary folder (local
    master; on a cluster, point SparkNumbers.from_parquet at storage every executor reads)."""
    import atexit
    import shutil
    import tempfile

    from service.rollup.spark import SparkNumbers, spark_session

    folder = Path(tempfile.mkdtemp(prefix="nhskg-spark-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # the copy is this run's alone
    return SparkNumbers.from_numbers(spark_session(master), numbers, folder)


def _csv(store: GraphStore, result: RollupResult, metric: str) -> None:
    from service.reference.areas import AreaIndex
    from service.rollup.records import area_of, csv_lines, records

    named = area_of(AreaIndex.build(store))
    for piece in csv_lines(records(result, metric.rsplit("#", 1)[-1], named)):
        typer.echo(piece, nl=False)


def _table(result: RollupResult) -> str:
    ratio = result.kind == "Ratio"
    parts = f" {'numerator':>12} {'denominator':>12}" if ratio else ""
    lines = [
        f"{'area':<12} {'from':<10} {'to':<10} {'value':>14} {'reported':>9} {'expected':>9}"
        + parts
    ]
    for r in sorted(result.rows, key=lambda r: (r.period_start, r.area)):
        lines.append(
            f"{r.area:<12} {r.period_start} {r.period_end} {r.value:>14,.4g} "
            f"{r.coverage.reported:>9} {r.coverage.expected:>9}"
            + (f" {r.numerator or 0:>12,.1f} {r.denominator or 0:>12,.1f}" if ratio else "")
            + (f"  + {r.suppressed} suppressed cell(s)" if r.suppressed else "")
        )
    if ratio:  # a ratio is never summed; the unmapped parts are in their own units
        lines.append("(ratio of the sums over the same contributors; never added up)")
        return "\n".join(lines)
    total = sum(r.value for r in result.rows)
    unmapped = sum(u.value for u in result.unmapped)
    lines.append(f"{'areas':<33} {total:>14,.2f}")
    who = sorted({u.organisation for u in result.unmapped})
    lines.append(
        f"{'unmapped':<33} {unmapped:>14,.2f}  ({len(who)} organisation(s)"
        + (f": {', '.join(who[:12])}{' ...' if len(who) > 12 else ''})" if who else ")")
    )
    hidden = sum(r.suppressed for r in result.rows)
    if result.reported_type:
        lines.append(
            f"summed: {result.reported_type} areas by {result.method.value}"
            + (f"; {hidden:,} suppressed cell(s) not in the values" if hidden else "")
        )
    return "\n".join(lines)


def _json(result: RollupResult) -> str:
    return json.dumps(asdict(result), default=str, indent=2)
