"""`nhskg query` and `stats`: read-only looks at the graph store."""

from __future__ import annotations

import json

import typer

from service.cli.context import console, graph_store


def query(sparql: str) -> None:
    """Run a read-only SPARQL query over all graphs and print JSON rows."""
    if any(
        word in sparql.upper().split() for word in ("INSERT", "DELETE", "DROP", "CLEAR", "LOAD")
    ):
        console.print("query is read only: updates are not accepted")
        raise typer.Exit(2)
    try:
        solutions = graph_store(read_only=True).raw_query(sparql)
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


def stats() -> None:
    """Quads per named graph."""
    store = graph_store(read_only=True)
    rows = store.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    )
    for row in rows:
        typer.echo(f"{row['n']:>9}  {row['g']}")
    typer.echo(f"{store.quad_count():>9}  total")
