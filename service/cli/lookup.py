"""`nhskg lookup CODE TYPE --date D [--as-known-at K]`: the apps' lookup (GET /lookup/{code}/{type})
from the CLI; `--as-known-at` reads the reference graph as known at the end of day K.

The same `Lookup` over the same reference snapshot as the REST route and GraphQL, so the three
agree: trusts by a placement method, sites through their operator, GP practices through their
commissioner. Exit codes: 0 answered (the answer says why when it names no area), 1 the code
cannot be answered (unknown, not yet open, nothing loaded by the --as-known-at date), 2 bad input
(a malformed date, type, method).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from service.cli.context import reference_of
from service.geography.lookup import LookupAnswer, LookupFailure
from service.rdf.store import GraphStore
from service.reference import KnownAtError
from service.rollup.model import DEFAULT_METHOD

console = Console(stderr=True)


def lookup_command(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="ODS code: trust, site or GP practice.")],
    geography_type: Annotated[str, typer.Argument(help="Geography type key (LRF, ICB, ...).")],
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")] = None,
    method: Annotated[
        str, typer.Option(help="SITES, HEADQUARTERS, CATCHMENT or ODS_STATED (trusts).")
    ] = DEFAULT_METHOD.value,
    as_json: Annotated[bool, typer.Option("--json", help="The REST body, as JSON.")] = False,
    as_known_at: Annotated[
        str | None,
        typer.Option(
            "--as-known-at",
            help="YYYY-MM-DD: the reference graph as known at the end of that day (the loads "
            "and steward changes recorded by then); default: as known now.",
        ),
    ] = None,
) -> None:
    """Which areas of a type an organisation, site or GP practice is in on a date."""
    day, known = _day("--date", on), _day("--as-known-at", as_known_at)
    paths: dict[str, Path] = ctx.find_root().obj
    reference = reference_of(GraphStore(paths["store"], read_only=True))
    try:
        reference = reference.known_at(known)
    except KnownAtError as exc:
        console.print(f"--as-known-at: {exc}")
        raise typer.Exit(1) from exc
    try:
        answer = reference.lookup.lookup(code, geography_type.upper(), day or date.today(), method)
    except LookupFailure as exc:
        near = exc.details.get("near_matches") or exc.details.get("known")
        console.print(
            f"{exc.status}: {exc.message}" + (f" (try: {', '.join(near)})" if near else "")
        )
        raise typer.Exit(1 if exc.status in ("unknown_code", "not_yet_open") else 2) from exc
    answer = replace(answer, known_at=known) if known else answer
    typer.echo(answer.to_json() if as_json else text(answer))


def _day(option: str, value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        console.print(
            f"{option} {value!r} is not a date; expected YYYY-MM-DD (for example 2025-04-01)"
        )
        raise typer.Exit(2) from None


def text(answer: LookupAnswer) -> str:
    """The answer in a few lines: the message, each area with its share, and why not, if not."""
    lines = [f"{answer.code} {answer.geography_type} on {answer.as_of} ({answer.method})"]
    if answer.known_at:
        lines[0] += f", as known at {answer.known_at}"
    lines.append(answer.message)
    lines += [f"  {a['code']}  {a['name']}  share {a['share']:g}" for a in answer.areas]
    for e in answer.evidence[:1]:
        if e.get("basis"):
            lines.append(f"  basis: {e['basis']} ({e['source']})")
        if e.get("statement") and e.get("statement") != e.get("source"):
            lines.append(f"  statement: {e['statement']}")
    if answer.reason:
        lines.append(f"  not placed: {answer.reason}")
    return "\n".join(lines)
