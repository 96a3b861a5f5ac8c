"""The methods that place an organisation in areas of a type on a date. Each names itself and
carries its evidence; none guesses when its facts are missing (it says why instead).

SITES       the areas of the sites the organisation operates on the date (sites of predecessors it
            carries on count as its own), each site with a known location an equal share; the
            share of its sites with no known location is stated (`unlocated`), not placed.
HEADQUARTERS the area of its headquarters point.
CATCHMENT   the rows of ONE catchment table (MSOA or LAD) rolled up, weighted by their shares; the
            shares sum to the fraction of the catchment the target areas cover (`coverage`).
            Which table applies to an organisation on a date is `catchment_policy` (below): the
            lookup, the org_area table and so every roll-up read that one choice.
ODS_STATED  the NHS region or ICB its latest ODS record on or before the date states, resolved
            to areas by their ODS codes (and rolled up when the type asked for is larger).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service.geography.carrying_on import CarryingOn, Lineages
from service.geography.rollup import RollUp
from service.reference.placement import Area, OdsStatement, Reference, SiteOperation, code_of
from service.reference.vocabulary import method_keys

SITES, HEADQUARTERS, CATCHMENT, ODS_STATED = "SITES", "HEADQUARTERS", "CATCHMENT", "ODS_STATED"


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
    # SITES: the share of its sites with no known location (not counted: the located sites
    # share the organisation between them); 0 for the other methods.
    unlocated: float = 0.0

    @property
    def main_area(self) -> str | None:
        return max(self.shares, key=lambda a: (self.shares[a], a)) if self.shares else None

    @property
    def placed(self) -> float:
        """The share of the organisation some area of the type takes (its shares' sum)."""
        return self.coverage

    def unplaced_text(self) -> str | None:
        """Where the share no area takes went, in words; None when all of it is placed."""
        return unplaced_text(self.method, self.area_type, self.coverage, self.unlocated)


def unplaced_text(method: str, area_type: str, placed: float, unlocated: float) -> str | None:
    """The words the lookup and the roll-up both give for what an answer does not place, e.g.
    "0.6 placed by SITES; 0.4 with a location in no LRF on that date (0.82 of its sites have
    no known location and are not counted)"; None when all is placed and every site located."""
    sites = (
        f" ({unlocated:.3g} of its sites have no known location and are not counted)"
        if unlocated > 1e-9
        else ""
    )
    if placed >= 1 - 1e-6:
        return f"all placed by {method}{sites}" if sites else None
    where = "catchment" if method == CATCHMENT else "location"
    rest = f"{1 - placed:.3g} with a {where} in no {area_type} on that date"
    return f"{placed:.3g} placed by {method}; {rest}{sites}"


# Memo sizes: a long-running lookup service asks about any day; answers are reused per epoch.
MEMO_LIMIT = 200_000


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


@dataclass
class Context:
    ref: Reference
    rollup: RollUp
    carrying_on: CarryingOn
    # (table, contributing trusts) -> area -> weighted share; reused across dates and types
    catchment_cache: dict[tuple[str, tuple[str, ...]], dict[str, float]] = field(
        default_factory=dict
    )
    # (method, what the answer depends on, area type, membership epoch) -> shares, coverage,
    # evidence: one organisation asked about many days is placed once per distinct state
    placements: dict[tuple[Any, ...], tuple[dict[str, float], float, list[dict[str, Any]]]] = field(
        default_factory=dict
    )
    carried: dict[tuple[str, date], Sequence[str]] = field(default_factory=dict)
    sites: dict[tuple[str, date], list[tuple[str, str]]] = field(default_factory=dict)
    # (table, area type, epoch) -> a number shared by the epochs in which every area of the
    # table rolls up to the same areas of that type: its answers are worked out once per state
    catchment_states: dict[tuple[str, str, int], int] = field(default_factory=dict)
    _state_numbers: dict[str, int] = field(default_factory=dict)
    _table_areas: dict[str, list[str]] = field(default_factory=dict)
    _has_lineages: bool | None = None
    # Work out catchment states (above) to share placements between epochs: worth it when many
    # organisations are placed (a table's areas are resolved once per epoch and type); placing
    # a few (a steward's refresh) it costs more than it saves, and each epoch is its own state.
    share_catchment_states: bool = True
    _site_index: tuple[object, dict[str, list[SiteOperation]], dict[str, set[str]]] | None = None

    def carries(self, code: str, on: date) -> Sequence[str]:
        """Memoised carrying-on (the methods ask the same question for many areas and types)."""
        found = self.carried.get((code, on))
        if found is None:
            found = _remember(self.carried, (code, on), tuple(self.carrying_on(code, on)))
        return found

    def catchment_state(self, table: str, area_type: str, on: date) -> int | None:
        """The state of the table's areas in the type on the day; None: the day's epoch."""
        if not self.share_catchment_states:
            return None
        epoch = self.rollup.epoch(on)
        key = (table, area_type, epoch)
        found = self.catchment_states.get(key)
        if found is None:
            if table not in self._table_areas:
                rows = self.ref.catchments.get(table, {}).values()
                self._table_areas[table] = sorted({row.area for trust in rows for row in trust})
            resolve = self.rollup.resolve
            signature = tuple(
                tuple((r.area, r.share) for r in resolve(area, area_type, on, epoch))
                for area in self._table_areas[table]
            )
            # A digest stands for the signature: thousands of areas, kept for as long as we run.
            digest = hashlib.sha256(repr((table, area_type, signature)).encode()).hexdigest()
            numbers = self._state_numbers
            found = numbers.setdefault(digest, len(numbers))
            self.catchment_states[key] = found
        return found

    def lineage(self, org: str) -> frozenset[str] | None:
        """`org` and every code that passed to it, or None when the carrying-on cannot say."""
        if self._has_lineages is None:
            self._has_lineages = isinstance(self.carrying_on, Lineages)
        return self.carrying_on.lineage(org) if self._has_lineages else None  # type: ignore[attr-defined]

    def site_index(self) -> tuple[dict[str, list[SiteOperation]], dict[str, set[str]]]:
        """Site operations by site (in the order read) and sites by stated operator; rebuilt
        when the reference's list of operations is replaced."""
        operations = self.ref.site_operations
        if self._site_index is None or self._site_index[0] is not operations:
            by_site: dict[str, list[SiteOperation]] = defaultdict(list)
            by_operator: dict[str, set[str]] = defaultdict(set)
            for op in operations:
                by_site[op.site].append(op)
                by_operator[op.operator].add(op.site)
            self._site_index = (operations, dict(by_site), dict(by_operator))
        return self._site_index[1], self._site_index[2]


def _catchment_of(
    ctx: Context, org: str, on: date, table: str
) -> tuple[list[str], dict[str, float]]:
    rows = ctx.ref.catchments.get(table, {})
    lineage = ctx.lineage(org)
    candidates = sorted(rows) if lineage is None else sorted(lineage.intersection(rows))
    contributors = [c for c in candidates if org in ctx.carries(c, on)]
    key = (table, tuple(contributors))
    per_area = ctx.catchment_cache.get(key)
    if per_area is None:
        totals: dict[str, float] = defaultdict(float)
        for code in contributors:
            weight = 1.0 / len(contributors)  # a merger's predecessors count equally
            for row in rows[code]:
                totals[row.area] += weight * row.share
        per_area = _remember(ctx.catchment_cache, key, dict(totals))
    return contributors, per_area


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


def _cached(
    ctx: Context,
    key: tuple[Any, ...],
    p: Placement,
    fill: Callable[[], None],
    state: int | None = None,
) -> None:
    """Fill `p` from the memo under `key` plus the membership state of its date (its epoch,
    unless the caller names a coarser state), or by running `fill` once and remembering what it
    put in."""
    key = (*key, p.area_type, ctx.rollup.epoch(p.on) if state is None else state)
    found = ctx.placements.get(key)
    if found is None:
        fill()
        found = _remember(ctx.placements, key, (p.shares, p.coverage, p.evidence))
    p.shares, p.coverage, p.evidence = dict(found[0]), found[1], list(found[2])


def by_headquarters(ctx: Context, org: str, area_type: str, on: date) -> Placement:
    p = Placement(HEADQUARTERS, org, area_type, on)
    points = ctx.ref.headquarters.get(org, [])
    if not points:
        p.reason = "no headquarters location loaded for this organisation"
        return p

    def fill() -> None:
        for lad, graph in points:
            p.coverage += _add(p, ctx, lad, 1.0 / len(points), {"headquarters_graph": graph})

    _cached(ctx, (HEADQUARTERS, org), p, fill)
    if not p.shares:
        p.reason = f"headquarters district has no {area_type} membership on that date"
    return p


def sites_on(ctx: Context, org: str, on: date) -> list[tuple[str, str]]:
    """(site, the operator named in the data) for the sites `org` operates or carries on: the
    operation covering the date, else (as nhskg:SiteOperation documents) the latest one before
    it when it ended because its operator closed, so the site passes to the successors."""
    found = ctx.sites.get((org, on))
    if found is not None:
        return found
    by_site, by_operator = ctx.site_index()
    lineage = ctx.lineage(org)
    # Only sites ever stated under `org` or a code that passed to it can be carried on by it.
    candidates: Iterable[str] = (
        by_site
        if lineage is None
        else set().union(*(by_operator.get(code, ()) for code in lineage))
    )
    out = []
    for site in candidates:
        latest: SiteOperation | None = None
        for op in by_site[site]:
            if op.start > on:
                continue
            if op.end is None or on <= op.end:
                latest = op
                continue
            closed = ctx.ref.organisations.get(op.operator)
            ended_by_closure = closed is not None and closed.closed == op.end
            if ended_by_closure and (latest is None or (latest.end and latest.end < op.end)):
                latest = op
        if latest is not None and org in ctx.carries(latest.operator, on):
            out.append((site, latest.operator))
    return _remember(ctx.sites, (org, on), sorted(set(out)))


def by_sites(ctx: Context, org: str, area_type: str, on: date) -> Placement:
    p = Placement(SITES, org, area_type, on)
    sites = sites_on(ctx, org, on)
    if not sites:
        p.reason = "no site operations of this organisation (or its predecessors) on that date"
        return p

    # Each located site an equal share: the located sites share the whole organisation; the
    # share of its sites with no known location is stated (unlocated), not left unmapped.
    located = [(site, op) for site, op in sites if ctx.ref.located_in.get(site)]
    p.unlocated = 1 - len(located) / len(sites)
    if not located:
        p.reason = f"none of its {len(sites)} sites has a known location"
        return p

    def fill() -> None:
        for site, operator in located:
            lads = ctx.ref.located_in[site]
            for lad, graph in lads:
                why: dict[str, Any] = {
                    "site": code_of(site),
                    "listed_operator": operator,
                    "location_graph": graph,
                }
                if site in ctx.ref.location_basis:
                    why["location_by_shared_postcode"] = ctx.ref.location_basis[site]
                p.coverage += _add(p, ctx, lad, 1.0 / (len(located) * len(lads)), why)

    _cached(ctx, (SITES, tuple(located)), p, fill)
    if not p.shares:
        p.reason = f"none of its {len(sites)} sites has a location with a {area_type} on that date"
    return p


def by_catchment(ctx: Context, org: str, area_type: str, on: date, table: str) -> Placement:
    p = Placement(CATCHMENT, org, area_type, on, source=code_of(table))
    contributors, per_area = _catchment_of(ctx, org, on, table)
    if not contributors:
        p.reason = f"not in catchment table {code_of(table)} (nor any predecessor)"
        return p

    def fill() -> None:
        epoch, resolve = ctx.rollup.epoch(on), ctx.rollup.resolve
        # A table's proportions are rounded (ohid-msoa-2018: 9 decimals) and may sum to a hair
        # over 1; scaled back, a trust is never placed more than once over (areas + unmapped
        # stay the reported total).
        total = sum(per_area.values())
        scale = 1.0 / total if total > 1.0 else 1.0
        shares: dict[str, float] = defaultdict(float)
        for area, share in per_area.items():
            for r in resolve(area, area_type, on, epoch):
                shares[r.area] += share * scale * r.share
        p.shares = {code_of(a): s for a, s in shares.items()}
        p.coverage = sum(shares.values())
        p.evidence.append(
            {"catchment_table": code_of(table), "trusts": contributors, "rows": len(per_area)}
        )

    state = ctx.catchment_state(table, area_type, on)
    _cached(ctx, (CATCHMENT, table, tuple(contributors)), p, fill, state)
    if not p.shares:
        p.reason = f"no catchment area of this trust lies in a {area_type} on that date"
    return p


def catchment_policy(ctx: Context, org: str, on: date) -> tuple[str | None, str]:
    """The one catchment table that places `org` on `on`, and why; (None, why) when none does.

    1. A table that lists the organisation under its own code wins over one that reaches it
       only through its predecessors (their catchments combined, a merger's counted equally):
       University Hospitals Dorset (R0D) from 2020-10-01 is placed by the OHID table, which
       lists R0D, not by the SUS table, which lists Poole (RD3) and Bournemouth (RDZ).
    2. Among tables of the same kind, the first by table code (`ohid-msoa-2018` before
       `sus-ltla19-2020`).
    The choice does not depend on the area type asked for, so an organisation's placements in
    every type come from the same table."""
    tables = sorted(ctx.ref.catchments)
    own = [t for t in tables if org in ctx.ref.catchments[t] and org in ctx.carries(org, on)]
    if own:
        return own[0], f"lists {org} itself"
    through = [t for t in tables if _catchment_of(ctx, org, on, t)[0]]
    if through:
        return through[0], f"lists only predecessors of {org}"
    return None, f"no catchment table lists {org} or a predecessor carried on by it on that date"


def by_catchment_policy(ctx: Context, org: str, area_type: str, on: date) -> Placement:
    """CATCHMENT by the table `catchment_policy` chooses for the organisation and date."""
    table, why = catchment_policy(ctx, org, on)
    if table is None:
        p = Placement(CATCHMENT, org, area_type, on)
        p.reason = why
        return p
    p = by_catchment(ctx, org, area_type, on, table)
    p.evidence = [{**e, "table_chosen_because": why} for e in p.evidence]
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
        p.reason = "no ODS record of this organisation on or before that date"
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
    CATCHMENT: by_catchment_policy,
    ODS_STATED: by_ods_stated,
}

# The methods placed here, in the ontology's order (ontology/placement.ttl): a new method is a
# concept there and its function above, registered in SIMPLE_METHODS. (RETURN_STATED places
# values, not organisations: the roll-up engine reads the region each return states.)
METHODS = tuple(key for key in method_keys() if key in SIMPLE_METHODS)
