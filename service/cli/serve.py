"""`nhskg serve`: the REST and GraphQL API over the stores the options name, after finishing or
undoing a return load a crash left half-way and withdrawing datasets past their end of use."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from service.cli.context import console, state
from service.cli.numbers import busy_stops
from service.config import Settings
from service.rdf.store import GraphStore
from service.returns.numbers import NumbersStore


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
    one_process: Annotated[
        bool,
        typer.Option(
            help="Answer lookups in the main process too, instead of in a lookup process of "
            "their own beside it (service/edge/)."
        ),
    ] = False,
) -> None:
    """Serve the REST and GraphQL API with uvicorn, over the store and the numbers store beside
    it (read-only unless --writable-numbers, so CLI reads work while it runs). SIGTERM or Ctrl-C
    stops it gracefully (requests in flight get 10 s to finish). Lookups are answered
    by a process of their own, so roll-ups and pages never hold them up (service/edge/)."""
    from service.api.app import create_app
    from service.api.serving import edge_possible, serve_app

    url = state.get("store_url")
    settings = Settings(
        store_path=state["store"],
        numbers_path=state["numbers"],
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
    why_not = "--one-process" if one_process else edge_possible(settings)
    if why_not and not one_process:
        console.print(f"Lookups are answered in this process: {why_not}.")
    serve_app(lambda: create_app(settings), settings, host, port, edge=why_not is None)


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
