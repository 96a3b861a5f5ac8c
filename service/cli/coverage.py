"""`nhskg coverage`: per geography type and year, the areas, memberships and share of open
trusts each placement method places, with the gaps and their reasons
(service/geography/coverage.py)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from service.geography.assign import Placer
from service.geography.coverage import CoverageRow, coverage_report
from service.geography.methods import METHODS
from service.rdf.store import GraphStore

console = Console(stderr=True)


def coverage_command(
    ctx: typer.Context,
    first: Annotated[int, typer.Option("--from", help="First year.")] = 2016,
    last: Annotated[
        int | None, typer.Option("--to", help="Last year (default: this year).")
    ] = None,
    area_type: Annotated[
        list[str] | None, typer.Option("--type", help="Area type(s); default: every type.")
    ] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="A Markdown table.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Areas, memberships and trusts placed per geography type and year (on 1 October), and
    the days each type has no membership, with the reason."""
    paths: dict[str, Path] = ctx.find_root().obj
    placer = Placer.from_store(GraphStore(paths["store"], read_only=True))
    known = placer.reference.api_names()
    unknown = sorted(set(area_type or []) - set(known))
    if unknown:
        console.print(f"unknown area type(s) {', '.join(unknown)}; known: {', '.join(known)}")
        raise typer.Exit(2)
    years = range(first, (last or date.today().year) + 1)
    rows = coverage_report(placer, years, area_types=area_type or None)
    if as_json:
        typer.echo(json.dumps([_plain(r) for r in rows], default=str, indent=2))
    else:
        typer.echo(table(rows, markdown=markdown))


def _plain(row: CoverageRow) -> dict[str, object]:
    body = asdict(row)
    for method, share in row.methods.items():
        body["methods"][method]["share"] = round(share.share, 4)
    return body


def table(rows: list[CoverageRow], *, markdown: bool = False) -> str:
    """The report as a text (or Markdown) table, then the gaps and the reasons trusts are not
    placed, one line each."""
    head = ["type", "year", "areas", "memberships", "open trusts", *METHODS]
    body = [
        [
            r.area_type,
            str(r.year),
            str(r.areas),
            str(r.memberships),
            str(next(iter(r.methods.values())).open_trusts if r.methods else 0),
            *(f"{r.methods[m].share:.0%}" if m in r.methods else "" for m in METHODS),
        ]
        for r in rows
    ]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
    else:
        widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
            for cells in [head, *body]
        ]
    notes = []
    never = {
        (r.area_type, m)
        for r in rows
        for m in r.methods
        if not any(x.methods[m].placed for x in rows if x.area_type == r.area_type)
    }
    for r in rows:
        for gap in r.gaps:
            notes.append(
                f"{r.area_type} {gap['from']} to {gap['to']}: no memberships ({gap['reason']})"
            )
        held = r.memberships > 0
        for method, share in r.methods.items():
            if (r.area_type, method) in never:
                continue
            if held and share.placed == 0 and share.open_trusts:
                notes.append(f"{r.area_type} {r.on} {method}: no trust placed ({share.reason})")
    for area_type, method in sorted(never):
        notes.append(f"{area_type}: {method} places no trust in any year")
    return "\n".join(lines + ([""] if notes else []) + [f"- {n}" if markdown else n for n in notes])
