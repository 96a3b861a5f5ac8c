"""The methods that place an organisation in areas of a type on a date. Each names itself and
carries its evidence; none guesses when its facts are missing (it says why instead).

SITES       the areas of the sites the organisation operates on the date (sites of predecessors it
            carries on count as its own), each site an equal share.
HEADQUARTERS the area of its headquarters point.
CATCHMENT   its catchment table rows (MSOA or LAD) rolled up, weighted by their shares; the shares
            sum to the fraction of the catchment the target areas cover (`coverage`).
ODS_STATED  the NHS region or ICB its latest ODS record on or before the date states, resolved
            to areas by their ODS codes (and rolled up when the type asked for is larger).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service.geography.carrying_on import CarryingOn
from service.geography.reference import Area, OdsStatement, Reference, SiteOperation, code_of
from service.geography.rollup import RollUp

SITES, HEADQUARTERS, CATCHMENT, ODS_STATED = "SITES", "HEADQUARTERS", "CATCHMENT", "ODS_STATED"
METHODS = (SITES, HEADQUARTERS, CATCHMENT, ODS_STATED)


@dataclass
class Placement:
    method: str
    org_code: str
    area_type: str
    on: date
    shares: dict[str, float] = field(default_factory=dict)  # area code -> share
    coverage: float = 0.0
    evidence: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None  # why there is no answer, when shares is empty
    source: str | None = None  # the catchment table, for CATCHMENT

    @property
    def main_area(self) -> str | None:
        return max(self.shares, key=lambda a: (self.shares[a], a)) if self.shares else None


@dataclass
class Context:
    ref: Reference
    rollup: RollUp
    carrying_on: CarryingOn
    # (table, org, date) -> (contributing trusts, area -> weighted share); reused across types
    catchment_cache: dict[tuple[str, str, date], tuple[list[str], dict[str, float]]] = field(
        default_factory=dict
    )


def _catchment_of(
    ctx: Context, org: str, on: date, table: str
) -> tuple[list[str], dict[str, float]]:
    key = (table, org, on)
    if key not in ctx.catchment_cache:
        rows = ctx.ref.catchments.get(table, {})
        contributors = [c for c in sorted(rows) if org in ctx.carrying_on(c, on)]
        per_area: dict[str, float] = defaultdict(float)
        for code in contributors:
            weight = 1.0 / len(contributors)  # a merger's predecessors count equally
            for row in rows[code]:
                per_area[row.area] += weight * row.share
        ctx.catchment_cache[key] = (contributors, dict(per_area))
    return ctx.catchment_cache[key]


def _add(
    placement: Placement, ctx: Context, area: str, weight: float, why: dict[str, Any]
) -> float:
    """Roll `area` up to the placement's type and add `weight` times each reached share."""
    reached = ctx.rollup.resolve(area, placement.area_type, placement.on)
    added = 0.0
    for r in reached:
        code = code_of(r.area)
        placement.shares[code] = placement.shares.get(code, 0.0) + weight * r.share
        added += weight * r.share
    if reached:
        path = sorted({m.graph for r in reached for m in r.path})
        placement.evidence.append({**why, "area": code_of(area), "via_graphs": path})
    return added


def by_headquarters(ctx: Context, org: str, area_type: str, on: date) -> Placement:
    p = Placement(HEADQUARTERS, org, area_type, on)
    points = ctx.ref.headquarters.get(org, [])
    if not points:
        p.reason = "no headquarters location loaded for this organisation"
        return p
    for lad, graph in points:
        p.coverage += _add(p, ctx, lad, 1.0 / len(points), {"headquarters_graph": graph})
    if not p.shares:
        p.reason = f"headquarters district has no {area_type} membership on {on}"
    return p


def sites_on(ctx: Context, org: str, on: date) -> list[tuple[str, str]]:
    """(site, the operator named in the data) for the sites `org` operates or carries on: the
    operation covering the date, else (as nhskg:SiteOperation documents) the latest one before
    it when it ended because its operator closed, so the site passes to the successors."""
    latest: dict[str, SiteOperation] = {}
    for op in ctx.ref.site_operations:
        if op.start > on:
            continue
        if op.end is None or on <= op.end:
            latest[op.site] = op
            continue
        closed = ctx.ref.organisations.get(op.operator)
        ended_by_closure = closed is not None and closed.closed == op.end
        before = latest.get(op.site)
        if ended_by_closure and (before is None or (before.end and before.end < op.end)):
            latest[op.site] = op
    out = [
        (site, op.operator)
        for site, op in latest.items()
        if org in ctx.carrying_on(op.operator, on)
    ]
    return sorted(set(out))


def by_sites(ctx: Context, org: str, area_type: str, on: date) -> Placement:
    p = Placement(SITES, org, area_type, on)
    sites = sites_on(ctx, org, on)
    if not sites:
        p.reason = "no site operations of this organisation (or its predecessors) on that date"
        return p
    for site, operator in sites:
        lads = ctx.ref.located_in.get(site, [])
        for lad, graph in lads:
            why = {"site": code_of(site), "listed_operator": operator, "location_graph": graph}
            p.coverage += _add(p, ctx, lad, 1.0 / (len(sites) * len(lads)), why)
    if not p.shares:
        p.reason = f"none of its {len(sites)} sites has a location with a {area_type} on {on}"
    return p


def by_catchment(ctx: Context, org: str, area_type: str, on: date, table: str) -> Placement:
    p = Placement(CATCHMENT, org, area_type, on, source=code_of(table))
    contributors, per_area = _catchment_of(ctx, org, on, table)
    if not contributors:
        p.reason = f"not in catchment table {code_of(table)} (nor any predecessor)"
        return p
    for area, share in per_area.items():
        reached = ctx.rollup.resolve(area, area_type, on)
        for r in reached:
            code = code_of(r.area)
            p.shares[code] = p.shares.get(code, 0.0) + share * r.share
            p.coverage += share * r.share
    p.evidence.append(
        {"catchment_table": code_of(table), "trusts": contributors, "rows": len(per_area)}
    )
    if not p.shares:
        p.reason = f"no catchment area of this trust lies in a {area_type} on {on}"
    return p


def area_for_ods_code(ref: Reference, code: str, on: date) -> Area | None:
    """The area an ODS code named on a date: the one listed most recently on or before it (or,
    failing that, the one listed first)."""
    candidates = ref.areas_by_ods.get(code, [])
    if not candidates:
        return None

    def key(area: Area) -> tuple[int, int]:
        before = [d for d in area.listed_on if d <= on]
        if before:
            return (2, max(before).toordinal())
        if area.listed_on:
            return (1, -min(area.listed_on).toordinal())
        return (0, 0)

    return max(candidates, key=key)


def _record_on(records: Iterable[OdsStatement], on: date) -> OdsStatement | None:
    eligible = [r for r in records if r.vintage <= on]
    return eligible[-1] if eligible else None


def by_ods_stated(ctx: Context, org: str, area_type: str, on: date) -> Placement:
    p = Placement(ODS_STATED, org, area_type, on)
    record = _record_on(ctx.ref.ods_records.get(org, []), on)
    if record is None:
        p.reason = f"no ODS record of this organisation on or before {on}"
        return p
    stated = [c for c in (record.region_code, record.geography_code) if c]
    areas = [a for c in stated if (a := area_for_ods_code(ctx.ref, c, on)) is not None]
    areas.sort(key=lambda a: area_type not in a.types)  # the type asked for first
    why = {"ods_record": record.iri, "record_graph": record.graph, "stated_codes": stated}
    for area in areas:
        p.coverage = _add(p, ctx, area.iri, 1.0, why)
        if p.shares:
            break
    if not p.shares:
        unknown = [c for c in stated if c not in ctx.ref.areas_by_ods]
        p.reason = (
            f"stated codes {stated} are not known areas ({unknown} unknown)"
            if unknown
            else f"stated areas {stated} do not lie in any {area_type}"
        )
        p.evidence.append(why)
    return p


MethodFn = Callable[[Context, str, str, date], Placement]
SIMPLE_METHODS: dict[str, MethodFn] = {
    SITES: by_sites,
    HEADQUARTERS: by_headquarters,
    ODS_STATED: by_ods_stated,
}
