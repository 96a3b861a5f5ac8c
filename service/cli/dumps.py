"""`nhskg dump` and `nhskg restore`: the whole graph with provenance as a file, and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from service.config import Settings
from service.rdf.dumps import FORMATS, dump_to_path
from service.rdf.store import PROVENANCE_GRAPH, GraphStore, open_store
from service.rdf.terms import ONTOLOGY_GRAPH

console = Console(stderr=True)


def dump_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="File to write: .nq, .trig or .jsonld.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")
    ] = None,
    current: Annotated[
        bool, typer.Option("--current", help="The current graphs alone (no retired ones).")
    ] = False,
) -> None:
    """Write every graph of the store (retired ones too), with its provenance, to OUT."""
    store = _open(ctx, read_only=True)
    try:
        written = dump_to_path(store, out, fmt, current_only=current)
    except ValueError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    finally:
        store.close()
    console.print(f"{out}: {written}, {out.stat().st_size:,} bytes")


def restore_command(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="An N-Quads (.nq) or TriG (.trig) dump.")],
    replace: Annotated[
        bool, typer.Option(help="Replace a store that already holds loaded graphs.")
    ] = False,
) -> None:
    """Fill the store from a dump (replacing what it holds)."""
    kinds = {".nq": FORMATS["nquads"][0], ".trig": FORMATS["trig"][0]}
    if source.suffix not in kinds or not source.is_file():
        console.print(f"{source}: give an existing .nq or .trig dump")
        raise typer.Exit(2)
    store = _open(ctx, read_only=False)
    try:
        if _loaded(store) and not replace:
            console.print("the store already holds loaded graphs; --replace to overwrite them")
            raise typer.Exit(2)
        store.restore(source, kinds[source.suffix])
        quads, graphs = store.quad_count(), len(store.named_graphs())
    finally:
        store.close()
    console.print(f"restored {quads:,} quads in {graphs} graphs")


def _loaded(store: GraphStore) -> int:
    """Graphs beyond the ontology and provenance: what a restore would overwrite."""
    kept = {str(ONTOLOGY_GRAPH), PROVENANCE_GRAPH}
    return len([g for g in store.named_graphs() if g not in kept])


def _open(ctx: typer.Context, *, read_only: bool) -> GraphStore:
    """The --store directory, or the remote store of --store-url."""
    if ctx.obj.get("store_url"):
        return open_store(Settings(store_path=None, store_url=str(ctx.obj["store_url"])))
    return GraphStore(ctx.obj["store"], read_only=read_only)
