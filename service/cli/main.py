"""The `nhskg` command line: load, validate, query, serve, stats.

Exit codes follow pySHACL: 0 conforms (or loaded), 1 rejected by the rules, 2 usage or I/O error.
"""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

import service.cli.batches  # noqa: F401 (registers returns batches|retire|restore)
from service.cli.access import access_app, retention_app, token_app, use_store
from service.cli.areas import areas_app
from service.cli.coverage import coverage_command
from service.cli.disclosure import disclosure_app
from service.cli.dumps import dump_command, restore_command
from service.cli.errors import check_date, explain, missing, quiet_libraries
from service.cli.errors import run as run_app
from service.cli.forecast import forecast_app
from service.cli.lookup import lookup_command
from service.cli.numbers import ReplaceAllOption, busy_stops, returns_app, rollup_command
from service.cli.numbers import report as report_return
from service.cli.supplies import supplies_app
from service.config import Settings, numbers_beside
from service.geography.assign import UnknownAreaType
from service.geography.refresh import numbers_at
from service.loader import LoadResult, load_file
from service.manifest import (
    load_all,
    load_returns_all,
    materialise_for_returns,
)
from service.rdf.store import GraphStore, open_store
from service.reference import ReferenceData
from service.reference.saved import has_saved, saved_is_current
from service.reference.vocabulary import rollup_area_types
from service.returns.numbers import NumbersStore
from service.returns.spec import metric_term
from service.rollup.model import AS_REPORTED, DEFAULT_METHOD, Method, to_organisations_at
from service.stewardship.changeset import ChangeSet, ChangeSetError, read_changeset
from service.stewardship.effect import FigureQuestion
from service.stewardship.queue import KINDS as QUEUE_KINDS
from service.stewardship.queue import queue as steward_queue
from service.stewardship.workflow import apply, check, effect_hook, revert
from service.stewardship.workflow import history as steward_history

app = typer.Typer(add_completion=False, help="NHS knowledge graph: load, validate, query, serve.")
console = Console(stderr=True)
_state: dict[str, Path] = {}
_debug = {"on": False}


@app.callback()
def options(
    ctx: typer.Context,
    store: Annotated[Path, typer.Option(envvar="NHSKG_STORE", help="Store directory.")] = Path(
        "var/store"
    ),
    numbers: Annotated[
        Path | None,
        typer.Option(
            envvar="NHSKG_NUMBERS", help="Numbers store (DuckDB); default: beside the store."
        ),
    ] = None,
    store_url: Annotated[
        str | None,
        typer.Option(
            envvar="NHSKG_STORE_URL",
            help="A remote SPARQL 1.1 store (e.g. oxigraph serve) instead of --store.",
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
) -> None:
    _state["store"] = store
    _debug["on"] = debug
    if not debug:
        quiet_libraries()
    _state.pop("store_url", None)  # one process may run several commands (tests do)
    if store_url:
        _state["store_url"] = store_url  # type: ignore[assignment]
    _state["numbers"] = numbers or numbers_beside(store)
    ctx.obj = _state


def _store(read_only: bool = False) -> GraphStore:
    if "store_url" in _state:
        return open_store(Settings(store_path=None, store_url=str(_state["store_url"])))
    with busy_stops():
        return GraphStore(_state["store"], read_only=read_only)


def _report(result: LoadResult, as_json: bool) -> None:
    if as_json:
        typer.echo(result.report.to_json())
        return
    console.print(
        f"{result.file}: {result.status} ({result.rows} rows, {result.triples} triples)"
        f" via {result.mapping}"
    )
    for line in result.skip_lines():
        console.print(f"  {line}")
    if not result.report.conforms:
        console.print(result.report.text())


@app.command()
def load(
    file: Path,
    mapping: Annotated[str, typer.Option(help="Mapping id (mappings/ID.yaml).")],
    vintage: Annotated[str | None, typer.Option(help="YYYY-MM-DD, if not in the name.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    replace_all: ReplaceAllOption = False,
) -> None:
    """Validate FILE through MAPPING and write it only if every rule holds."""
    missing(file)
    vintage = check_date(vintage, "--vintage")
    store = _store()
    result = load_file(store, file, mapping, vintage=vintage, replace_all=replace_all)
    _report(result, as_json)
    if result.status in ("loaded", "unchanged"):  # unchanged: a load killed before its save
        _keep_snapshot_current(store)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def validate(
    file: Path,
    mapping: Annotated[str, typer.Option(help="Mapping id (mappings/ID.yaml).")],
    vintage: Annotated[str | None, typer.Option(help="YYYY-MM-DD, if not in the name.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Dry run: report what loading FILE would break, write nothing."""
    missing(file)
    vintage = check_date(vintage, "--vintage")
    result = load_file(_store(), file, mapping, vintage=vintage, dry_run=True)
    _report(result, as_json)
    raise typer.Exit(0 if result.ok else 1)


@app.command("load-all")
def load_all_command(
    data_dir: Annotated[Path | None, typer.Option(help="Default: the embedded sample.")] = None,
    areas: Annotated[
        bool, typer.Option(help="Build the org_area table after the returns (minutes nationally).")
    ] = True,
) -> None:
    """Load every reference file of the manifest found in DATA_DIR, then its returns (numbers
    store), then build the organisation -> area table the roll-ups join."""
    directory = data_dir or Settings().data_dir
    store = _store()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("loading", total=None)
        results = load_all(
            store, directory, lambda e: progress.update(task, description=f"{e.file}")
        )
    for result in results:
        _report(result, as_json=False)
    console.print(f"store holds {store.quad_count()} quads")
    if not all(r.ok for r in results):
        raise typer.Exit(1)
    with busy_stops():
        numbers = NumbersStore(_state["numbers"])
    try:
        loaded = load_returns_all(
            store, numbers, directory, lambda e: console.print(f"loading {e.file} ...")
        )
        for returned in loaded:
            report_return(returned, as_json=False)
    finally:
        numbers.close()
    if not all(r.ok for r in loaded):
        raise typer.Exit(1)
    # Built once, saved for `serve`, and its placement facts reused for org_area.
    reference = _save_snapshot(store)
    if loaded and areas:
        console.print("building org_area for the reporting organisations (--no-areas skips)")
        written, orgs = materialise_for_returns(
            store, _state["numbers"], reference=reference.lookup.placer.reference
        )
        done = "already current" if written is None else f"{written} rows"
        console.print(
            f"org_area ({', '.join(rollup_area_types())}) for {orgs} organisations: {done}"
        )


def _save_snapshot(store: GraphStore) -> ReferenceData:
    """The reference snapshot of the store's current graphs, saved with the store (built now
    unless the saved one is current), so a server start reads it instead of building it."""
    started = time.perf_counter()
    reference = ReferenceData.current(store)
    seconds = time.perf_counter() - started
    console.print(f"reference snapshot saved with the store ({seconds:.1f} s)")
    return reference


def _keep_snapshot_current(store: GraphStore) -> None:
    """After a write through the CLI: rebuild the saved snapshot when the store has one (a server
    uses this store), so the next start does not have to."""
    if has_saved(store) and not saved_is_current(store):
        _save_snapshot(store)


@app.command()
def snapshot() -> None:
    """Build the reference snapshot of the store's current graphs and save it with the store
    (a server start then reads it in seconds); nothing to do when the saved one is current."""
    _save_snapshot(_store())


@app.command()
def query(sparql: str) -> None:
    """Run a read-only SPARQL query over all graphs and print JSON rows."""
    if any(
        word in sparql.upper().split() for word in ("INSERT", "DELETE", "DROP", "CLEAR", "LOAD")
    ):
        console.print("query is read only: updates are not accepted")
        raise typer.Exit(2)
    try:
        solutions = _store(read_only=True).raw_query(sparql)
    except SyntaxError as exc:
        console.print(f"not a valid SPARQL query: {exc}")
        raise typer.Exit(2) from exc
    if isinstance(solutions, bool):
        typer.echo(json.dumps(solutions))
        return
    names = [v.value for v in solutions.variables]
    for solution in solutions:
        typer.echo(
            json.dumps({n: (solution[n].value if solution[n] is not None else None) for n in names})
        )


@app.command()
def stats() -> None:
    """Quads per named graph."""
    store = _store(read_only=True)
    rows = store.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    )
    for row in rows:
        typer.echo(f"{row['n']:>9}  {row['g']}")
    typer.echo(f"{store.quad_count():>9}  total")


app.add_typer(returns_app, name="returns")
app.add_typer(areas_app, name="areas")
app.add_typer(token_app, name="token")
app.add_typer(supplies_app, name="supplies")
app.add_typer(access_app, name="access")
app.add_typer(disclosure_app, name="disclosure")
app.add_typer(retention_app, name="retention")
app.add_typer(forecast_app, name="forecast")
use_store(lambda: _store(), lambda: NumbersStore(_state["numbers"]))
app.command("rollup")(rollup_command)
app.command("dump")(dump_command)
app.command("restore")(restore_command)
app.command("coverage")(coverage_command)
app.command("lookup")(lookup_command)

change_app = typer.Typer(help="Steward change sets: check, apply, revert.")
app.add_typer(change_app, name="change")


def _changeset(file: Path) -> ChangeSet:
    try:
        return read_changeset(file)
    except (ChangeSetError, OSError) as exc:
        console.print(f"error: {explain(exc)}")
        raise typer.Exit(2) from exc


def _numbers(path: Path | None) -> NumbersStore:
    path = path or _state["numbers"]
    if path is None or not path.exists():
        console.print(f"no numbers store at {path}: load a return first, or give --numbers")
        raise typer.Exit(2)
    with busy_stops():
        return NumbersStore(path, read_only=True)


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
        hook = effect_hook(_numbers(numbers), question)
    try:
        dry = check(_store(), _changeset(file), hook)
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
    store = _store()
    try:
        dry = apply(store, _changeset(file), numbers_at(numbers or Settings().numbers_path))
    except ChangeSetError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    typer.echo(dry.text())
    if dry.status == "applied":
        _keep_snapshot_current(store)
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
    store = _store()
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
    _keep_snapshot_current(store)


@app.command()
def history(code: str) -> None:
    """Change sets applied and reverted about an organisation or area code, oldest first."""
    for row in steward_history(_store(read_only=True), code):
        typer.echo(
            f"{row['when']}  {row['kind']:<22} {row['changeset']:<30} "
            f"{row['who'] or ''}: {row['why'] or ''}"
        )


@app.command("queue")
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
    path = numbers or _state["numbers"]
    store = _store(read_only=True)
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


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    writable_numbers: Annotated[
        bool,
        typer.Option(
            help="Open the numbers store for writing (retireBatch, restoreBatch); CLI reads of "
            "it then wait until the server stops."
        ),
    ] = False,
) -> None:
    """Serve the REST and GraphQL API with uvicorn, over the store and the numbers store beside
    it (read-only unless --writable-numbers, so CLI reads work while it runs). SIGTERM or Ctrl-C
    stops it gracefully (requests in flight get GRACE_SECONDS to finish)."""
    import uvicorn

    from service.api.app import create_app

    url = _state.get("store_url")
    settings = Settings(
        store_path=_state["store"],
        numbers_path=_state["numbers"],
        numbers_read_only=not writable_numbers,
        store_url=str(url) if url else None,
    )
    _recover_loads(settings)
    if not writable_numbers and settings.numbers_path and settings.numbers_path.exists():
        # Retention: datasets past their end of use are withdrawn before the store is shared.
        from service.access.retention import withdraw_expired

        writable = NumbersStore(settings.numbers_path)
        withdraw_expired(writable, date.today())
        writable.close()
    config = uvicorn.Config(
        create_app(settings), host=host, port=port, timeout_graceful_shutdown=GRACE_SECONDS
    )
    uvicorn.Server(config).run()
    stray = [t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive()]
    if stray:  # worker threads (idle, or abandoned past a time budget) must not hold the exit
        os._exit(0)


GRACE_SECONDS = 10


def _recover_loads(settings: Settings) -> None:
    """A return load killed half-way is finished or undone before the stores are shared
    (service/returns/journal.py)."""
    numbers_path, store_path = settings.numbers_path, settings.store_path
    if not (numbers_path and numbers_path.exists() and store_path and store_path.exists()):
        return
    from service.returns.journal import recover

    with busy_stops():
        numbers = NumbersStore(numbers_path)
    try:
        graph = GraphStore(store_path, read_only=True)
        for done in recover(graph, numbers):
            console.print(done.line())
    finally:
        numbers.close()


def main() -> None:
    """The `nhskg` entry point: exit 0 loaded, 1 rejected, 2 usage or I/O error, one line each."""
    run_app(app, lambda: _debug["on"])


if __name__ == "__main__":  # pragma: no cover
    main()
