"""What every command of the `nhskg` CLI shares: the options given before the command (store,
numbers store, remote store, --debug), the console messages go to, and opening the stores
those options name."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from service.cli.numbers import busy_stops
from service.config import Settings
from service.rdf.store import GraphStore, open_store
from service.returns.numbers import NumbersStore

if TYPE_CHECKING:
    from service.reference import ReferenceData

console = Console(stderr=True)
# The options of the call (main.options sets them): "store", "numbers", "store_url" when remote.
state: dict[str, Path] = {}
debug = {"on": False}


def graph_store(read_only: bool = False) -> GraphStore:
    """The graph store the options name (a remote one with --store-url)."""
    if "store_url" in state:
        return open_store(Settings(store_path=None, store_url=str(state["store_url"])))
    with busy_stops():
        return GraphStore(state["store"], read_only=read_only)


def numbers_store(path: Path | None = None) -> NumbersStore:
    """The numbers store at `path` (default: the one the options name), read-only; exit 2 with a
    hint when there is none."""
    path = path or state["numbers"]
    if path is None or not path.exists():
        console.print(f"no numbers store at {path}: load a return first, or give --numbers")
        raise typer.Exit(2)
    with busy_stops():
        return NumbersStore(path, read_only=True)


def reference_of(store: GraphStore) -> ReferenceData:
    """The store's reference snapshot (service/reference/). A read-only command never saves one
    (a store opened read-only is never written to), so while the saved snapshot is for other
    code or graphs every such command builds it afresh: on a terminal it says so first, and how
    to make the next commands quick."""
    from service.reference import ReferenceData
    from service.reference.saved import saved_is_current

    if store.read_only and sys.stderr.isatty() and not saved_is_current(store):
        console.print(
            "building the reference snapshot (the one saved with the store is for other code or "
            "graphs; about half a minute for the national data): `nhskg snapshot`, or starting "
            "the server, saves it and later commands start in seconds"
        )
    return ReferenceData.current(store)
