"""`nhskg load`, `validate`, `load-all` and `snapshot`: reference files into the graph store
(every rule checked first), the returns of a data directory into the numbers store, and the
reference snapshot saved with the store for `serve`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from service.cli.context import console, graph_store, state
from service.cli.errors import check_date, missing
from service.cli.numbers import ReplaceAllOption, busy_stops
from service.cli.numbers import report as report_return
from service.config import Settings
from service.loader import LoadResult, load_file
from service.manifest import load_all, load_returns_all, materialise_for_returns
from service.rdf.store import GraphStore
from service.reference import ReferenceData
from service.reference.saved import has_saved, saved_is_current
from service.reference.vocabulary import rollup_area_types
from service.returns.numbers import NumbersStore


def report(result: LoadResult, as_json: bool) -> None:
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
    store = graph_store()
    result = load_file(store, file, mapping, vintage=vintage, replace_all=replace_all)
    report(result, as_json)
    if result.status in ("loaded", "unchanged"):  # unchanged: a load killed before its save
        keep_snapshot_current(store)
    raise typer.Exit(0 if result.ok else 1)


def validate(
    file: Path,
    mapping: Annotated[str, typer.Option(help="Mapping id (mappings/ID.yaml).")],
    vintage: Annotated[str | None, typer.Option(help="YYYY-MM-DD, if not in the name.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Dry run: report what loading FILE would break, write nothing."""
    missing(file)
    vintage = check_date(vintage, "--vintage")
    result = load_file(graph_store(), file, mapping, vintage=vintage, dry_run=True)
    report(result, as_json)
    raise typer.Exit(0 if result.ok else 1)


def load_all_command(
    data_dir: Annotated[Path | None, typer.Option(help="Default: the embedded sample.")] = None,
    areas: Annotated[
        bool, typer.Option(help="Build the org_area table after the returns (minutes nationally).")
    ] = True,
) -> None:
    """Load every reference file of the manifest found in DATA_DIR, then its returns (numbers
    store), then build the organisation -> area table the roll-ups join."""
    directory = data_dir or Settings().data_dir
    store = graph_store()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("loading", total=None)
        results = load_all(
            store, directory, lambda e: progress.update(task, description=f"{e.file}")
        )
    for result in results:
        report(result, as_json=False)
    console.print(f"store holds {store.quad_count()} quads")
    if not all(r.ok for r in results):
        raise typer.Exit(1)
    with busy_stops():
        numbers = NumbersStore(state["numbers"])
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
    reference = save_snapshot(store)
    if loaded and areas:
        console.print("building org_area for the reporting organisations (--no-areas skips)")
        written, orgs = materialise_for_returns(
            store, state["numbers"], reference=reference.lookup.placer.reference
        )
        done = "already current" if written is None else f"{written} rows"
        console.print(
            f"org_area ({', '.join(rollup_area_types())}) for {orgs} organisations: {done}"
        )


def save_snapshot(store: GraphStore) -> ReferenceData:
    """The reference snapshot of the store's current graphs, saved with the store (built now
    unless the saved one is current), so a server start reads it instead of building it."""
    started = time.perf_counter()
    reference = ReferenceData.current(store)
    seconds = time.perf_counter() - started
    console.print(f"reference snapshot saved with the store ({seconds:.1f} s)")
    return reference


def keep_snapshot_current(store: GraphStore) -> None:
    """After a write through the CLI: rebuild the saved snapshot when the store has one (a server
    uses this store), so the next start does not have to."""
    if has_saved(store) and not saved_is_current(store):
        save_snapshot(store)


def snapshot() -> None:
    """Build the reference snapshot of the store's current graphs and save it with the store
    (a server start then reads it in seconds); nothing to do when the saved one is current."""
    save_snapshot(graph_store())
