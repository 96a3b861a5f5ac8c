"""The `nhskg` command line: the options every command shares, and each command group from the
module that holds it (loading, graph, steward, serve, returns, areas, ...).

Exit codes follow pySHACL: 0 conforms (or loaded), 1 rejected by the rules, 2 usage or I/O error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import service.cli.batches  # registers returns batches|retire|restore
import service.cli.placing  # noqa: F401 (registers returns place)
from service.cli import graph, loading, serve, steward
from service.cli.access import access_app, retention_app, token_app, use_store
from service.cli.areas import areas_app
from service.cli.context import debug, graph_store, state
from service.cli.coverage import coverage_command
from service.cli.disclosure import disclosure_app
from service.cli.dumps import dump_command, restore_command
from service.cli.errors import quiet_libraries
from service.cli.errors import run as run_app
from service.cli.forecast import forecast_app
from service.cli.lookup import lookup_command
from service.cli.numbers import returns_app, rollup_command
from service.cli.supplies import supplies_app
from service.config import numbers_beside
from service.returns.numbers import NumbersStore

app = typer.Typer(add_completion=False, help="NHS knowledge graph: load, validate, query, serve.")


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
    debug_on: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
) -> None:
    state["store"] = store
    debug["on"] = debug_on
    if not debug_on:
        quiet_libraries()
    state.pop("store_url", None)  # one process may run several commands (tests do)
    if store_url:
        state["store_url"] = store_url  # type: ignore[assignment]
    state["numbers"] = numbers or numbers_beside(store)
    ctx.obj = state


app.command()(loading.load)
app.command()(loading.validate)
app.command("load-all")(loading.load_all_command)
app.command()(loading.snapshot)
app.command()(graph.query)
app.command()(graph.stats)
app.add_typer(returns_app, name="returns")
app.add_typer(areas_app, name="areas")
app.add_typer(token_app, name="token")
app.add_typer(supplies_app, name="supplies")
app.add_typer(access_app, name="access")
app.add_typer(disclosure_app, name="disclosure")
app.add_typer(retention_app, name="retention")
app.add_typer(forecast_app, name="forecast")
use_store(lambda: graph_store(), lambda: NumbersStore(state["numbers"]))
app.command("rollup")(rollup_command)
app.command("dump")(dump_command)
app.command("restore")(restore_command)
app.command("coverage")(coverage_command)
app.command("lookup")(lookup_command)
app.add_typer(steward.change_app, name="change")
app.command()(steward.history)
app.command("queue")(steward.queue_command)
app.command()(serve.serve)


def main() -> None:
    """The `nhskg` entry point: exit 0 loaded, 1 rejected, 2 usage or I/O error, one line each."""
    run_app(app, lambda: debug["on"])


if __name__ == "__main__":  # pragma: no cover
    main()
