"""`nhskg disclosure audit`: the attacker's linear programmes over everything the public role can
obtain for a metric and period (service/disclosure/audit.py). Exit codes: 0 no protected cell
recovered or narrowed and the information loss within the policy's bound, 1 otherwise, 2 the
question could not be asked."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Annotated

import typer
from rich.console import Console

from service.access.disclosure import DisclosureError, policy_of, salt_for
from service.disclosure.modes import MODES, PERTURBED
from service.mapping.spec import MappingError
from service.returns.codes import graph_successions
from service.returns.spec import metric_term

console = Console(stderr=True)
disclosure_app = typer.Typer(help="Disclosure control: audit what the public role can derive.")


@disclosure_app.command("audit")
def audit_command(
    ctx: typer.Context,
    metric: Annotated[str, typer.Option(help="A metric with a disclosure policy.")],
    first: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    last: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
    mode: Annotated[
        str,
        typer.Option(
            help="perturbed: the figures the service publishes; primary or exact: the same "
            "figures primary-suppressed or unprotected (negative controls)."
        ),
    ] = PERTURBED,
    max_cells: Annotated[
        int | None, typer.Option(help="Try at most this many protected cells (evenly spread).")
    ] = None,
    solve_all: Annotated[
        bool,
        typer.Option(help="Solve the programmes for every cell, even one two points settle."),
    ] = False,
    methods: Annotated[
        str | None,
        typer.Option(help="Tell the attacker only these methods' figures (comma-separated)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
    ignore_source_floor: Annotated[
        bool,
        typer.Option(
            help="Negative control: perturb as if the source suppressed nothing (the attacker "
            "still knows it did)."
        ),
    ] = False,
) -> None:
    """Every geography type, method, day and 7-day range of METRIC from --from to --to, as
    reported and restated, asked of the roll-up engine as the public role; then, for each
    protected cell, the tightest interval an attacker can derive (scipy's HiGHS)."""
    from service.cli.numbers import stores
    from service.disclosure.audit import audit  # SciPy: only for this command

    try:
        iri = str(metric_term(metric))
        start, end = date.fromisoformat(first), date.fromisoformat(last)
        if mode not in MODES:
            raise ValueError(f"--mode {mode!r}: one of {', '.join(MODES)}")
        if end < start:
            raise ValueError("--to is before --from")
        policy = policy_of(iri)
        if policy is None or not policy.disclosive:
            raise ValueError(f"{metric} has no disclosive policy: its figures are open")
    except (MappingError, ValueError, DisclosureError) as exc:
        console.print(f"{exc} (dates are YYYY-MM-DD; metrics are names in ontology/metrics.ttl)")
        raise typer.Exit(2) from exc
    store, numbers = stores(ctx, read_only=True)
    try:
        report = audit(
            numbers, iri, start, end, policy, salt_for(numbers.path),
            mode=mode, successions=graph_successions(store), max_targets=max_cells,
            solve_all=solve_all, methods=tuple(methods.split(",")) if methods else None,
            floor=0 if ignore_source_floor else None,
        )  # fmt: skip
    except DisclosureError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    finally:
        numbers.close()
    if as_json:
        body = asdict(report)
        body["worst"] = body["worst"][:20]
        print(json.dumps(body, default=str, indent=2))
    else:
        print(report.text())
    ok = (
        report.narrowed == 0
        and report.loss_within_bound
        and report.undecided == 0
        and report.suppressed_in_figures == 0
    )
    raise typer.Exit(0 if ok else 1)
