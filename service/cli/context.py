"""What every command of the `nhskg` CLI shares: the options given before the command (store,
numbers store, remote store, --debug), the console messages go to, and opening the stores
those options name."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from service.cli.numbers import busy_stops
from service.config import Settings
from service.rdf.store import GraphStore, open_store
from service.returns.numbers import NumbersStore

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
