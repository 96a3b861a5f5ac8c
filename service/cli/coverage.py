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
from service.geography.practices import PracticePlacer
from service.rdf.store import GraphStore
from service.reference.practices import PracticeIndex

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
    practices: Annotated[
        bool, typer.Option(help="Also GP practices placed through their commissioner.")
    ] = True,
) -> None:
    """Areas, memberships, trusts and GP practices placed per geography type and year (on 1
    October), and the days each type has no membership, with the reason."""
    paths: dict[str, Path] = ctx.find_root().obj
    store = GraphStore(paths["store"], read_only=True)
    placer = Placer.from_store(store)
    practice_placer = PracticePlacer(PracticeIndex.build(store), placer) if practices else None
    known = placer.reference.api_names()
    unknown = sorted(set(area_type or []) - set(known))
    if unknown:
        console.print(f"unknown area type(s) {', '.join(unknown)}; known: {', '.join(known)}")
        raise typer.Exit(2)
    years = range(first, (last or date.today().year) + 1)
    rows = coverage_report(placer, years, practices=practice_placer, area_types=area_type or None)
    if as_json:
        typer.echo(json.dumps([_plain(r) for r in rows], default=str, indent=2))
    else:
        typer.echo(table(rows, markdown=markdown))


def _plain(row: CoverageRow) -> dict[str, object]:
    body = asdict(row)
    for method, share in row.methods.items():
        body["methods"][method]["share"] = round(share.share, 4)
    if row.practices is not None:
        body["practices"] = {
            "open": row.practices.open_trusts,
            "placed": row.practices.placed,
            "share": round(row.practices.share, 4),
            "reason": row.practices.reason,
        }
    return body


def table(rows: list[CoverageRow], *, markdown: bool = False) -> str:
    """The report as a text (or Markdown) table, then the gaps and the reasons trusts are not
    placed, one line each."""
    with_practices = any(r.practices is not None for r in rows)
    head = ["type", "year", "areas", "memberships", "open trusts", *METHODS]
    head += ["open practices", "practices placed"] if with_practices else []
    body = [
        [
            r.area_type,
            str(r.year),
            str(r.areas),
            str(r.memberships),
            str(next(iter(r.methods.values())).open_trusts if r.methods else 0),
            *(f"{r.methods[m].share:.0%}" if m in r.methods else "" for m in METHODS),
            *(_practice_cells(r) if with_practices else []),
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
        if r.practices is not None and r.practices.reason and r.practices.open_trusts:
            notes.append(
                f"{r.area_type} {r.on} practices: {r.practices.open_trusts - r.practices.placed}"
                f" not placed, most often: {r.practices.reason}"
            )
    for area_type, method in sorted(never):
        notes.append(f"{area_type}: {method} places no trust in any year")
    return "\n".join(lines + ([""] if notes else []) + [f"- {n}" if markdown else n for n in notes])


def _practice_cells(row: CoverageRow) -> list[str]:
    if row.practices is None:
        return ["", ""]
    return [str(row.practices.open_trusts), f"{row.practices.share:.0%}"]
