"""Which trust runs a site on a date, and where the site is: sites as first-class answers.

A site's operations (nhskg:SiteOperation, from the ODS etrust file and the NHS website hospital
lists, steward corrections applied) say which organisation each file lists it under and from
when; the organisation running it on a date is the one that carries the listed operator on
(Poole Hospital, RD304, listed under RD3 until 2020-09-30, is run by R0D from 2020-10-01). Its
areas are those of its own location, rolled up to the type asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service.geography.methods import Context, sites_on
from service.rdf.terms import ID
from service.reference.placement import SiteOperation, code_of

ORG = str(ID["org/"])


@dataclass
class SiteOperator:
    """Who runs a site on a date, with the operation that says so."""

    site: str  # site code
    on: date
    listed_operator: str | None  # the code the covering operation names
    operators: list[str] = field(default_factory=list)  # who carries that code on, on `on`
    evidence: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None  # why there is no operator, when there is none


def is_site(ctx: Context, code: str) -> bool:
    by_site, _ = ctx.site_index()
    return ORG + code.strip().upper() in by_site


def operations_of(ctx: Context, code: str) -> list[SiteOperation]:
    """Every current operation of the site, oldest first."""
    by_site, _ = ctx.site_index()
    found = by_site.get(ORG + code.strip().upper(), [])
    return sorted(found, key=lambda op: (op.start, op.end or date.max, op.operator))


def _covering(ctx: Context, ops: list[SiteOperation], on: date) -> SiteOperation | None:
    """The operation holding on the date, else the latest one that ended because its operator
    closed (the site passes to the successors), as the SITES method reads them."""
    holding = [op for op in ops if op.start <= on and (op.end is None or on <= op.end)]
    if holding:
        return max(holding, key=lambda op: op.start)
    ended = []
    for op in ops:
        org = ctx.ref.organisations.get(op.operator)
        if op.end is not None and op.end < on and org is not None and org.closed == op.end:
            ended.append(op)
    return max(ended, key=lambda op: op.end or date.min) if ended else None


def operator_on(ctx: Context, code: str, on: date) -> SiteOperator:
    code = code.strip().upper()
    ops = operations_of(ctx, code)
    answer = SiteOperator(code, on, None)
    op = _covering(ctx, ops, on)
    if op is None:
        answer.reason = f"no operation of site {code} holds on {on}" + (
            f" (operations from {ops[0].start})" if ops else ""
        )
        return answer
    answer.listed_operator = op.operator
    answer.operators = sorted(ctx.carries(op.operator, on))
    answer.evidence.append(
        {
            "listed_operator": op.operator,
            "operation_from": op.start.isoformat(),
            "operation_to": op.end.isoformat() if op.end else None,
            "carried_on_by": answer.operators,
        }
    )
    if not answer.operators:
        answer.reason = f"{op.operator}, listed as the operator, is carried on by no organisation"
    return answer


def site_areas(
    ctx: Context, code: str, area_type: str, on: date
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The areas of `area_type` the site's own location lies in on the date, with evidence."""
    site = ORG + code.strip().upper()
    shares: dict[str, float] = {}
    evidence: list[dict[str, Any]] = []
    lads = ctx.ref.located_in.get(site, [])
    for lad, graph in lads:
        for reached in ctx.rollup.resolve(lad, area_type, on):
            area = code_of(reached.area)
            shares[area] = shares.get(area, 0.0) + reached.share / len(lads)
            why: dict[str, Any] = {
                "site": code,
                "district": code_of(lad),
                "location_graph": graph,
                "via_graphs": sorted({m.graph for m in reached.path}),
            }
            if site in ctx.ref.location_basis:
                why["location_by_shared_postcode"] = ctx.ref.location_basis[site]
            evidence.append(why)
    return shares, evidence


def hospital_sites(ctx: Context, org: str, on: date) -> list[str]:
    """The codes of the sites `org` runs on the date (its own and those it carries on, as the
    SITES method reads them) that an NHS website hospital list locates by their own point: its
    hospitals, not the clinics and offices located only through a postcode they share with one
    (`location_basis`)."""
    return sorted(
        code_of(site)
        for site, _ in sites_on(ctx, org, on)
        if ctx.ref.located_in.get(site) and site not in ctx.ref.location_basis
    )
