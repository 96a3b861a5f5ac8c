"""A site's placement by every method on a date, and over time: what a value a site reports adds
to each area (the org_area rows of a reporting site).

The policy is the lookup's for a site code (service/geography/lookup.py, `Lookup._site`), so
"where is RD304" and "what does RD304's return add to each area" never disagree:

- SITES places the site by its own location (its district, then up the dated memberships:
  `site_areas`);
- every other method places the organisation running the site on the date (the one carrying on
  the operator its covering operation lists: `operator_on`), by that method, with the share each
  takes when a split with stated weights carries it on; a split without weights is not divided
  (the same reason the roll-up gives for a code it cannot restate).

A site with no operation on the date, or no location in the type asked for, has no areas and
says why; the roll-up lists its values as unmapped with that reason.
"""

from __future__ import annotations

from datetime import date, timedelta

from service.geography.assign import Answer, conflicts_of
from service.geography.methods import SITES, Context, Placement
from service.geography.sites import SiteOperator, operations_of, operator_on, site_areas
from service.geography.timeline import Timeline, Timelines, segments
from service.returns.codes import unweighted_split_reason

DAY = timedelta(days=1)


def carriers(ctx: Context, run: SiteOperator, on: date) -> list[tuple[str, float | None]]:
    """(organisation, share) of each organisation running the site: the listed operator's
    carriers with the weights the one succession walker gives (None: a split without weights)."""
    index = getattr(ctx.carrying_on, "index", None)
    if index is None or run.listed_operator is None:
        return [(code, 1.0 / len(run.operators)) for code in run.operators]
    resolved = index.resolve(run.listed_operator, on)
    return [(s.code, s.weight) for s in resolved.successors]


def site_placement(
    timelines: Timelines, run: SiteOperator, method: str, area_type: str, on: date
) -> Placement:
    """The site's one placement by `method` in `area_type` on `on` (see the module)."""
    ctx = timelines.placer.ctx
    p = Placement(method, run.site, area_type, on)
    if not run.operators:
        p.reason = run.reason
        return p
    if method == SITES:
        p.shares, p.evidence = site_areas(ctx, run.site, area_type, on)
        p.coverage = sum(p.shares.values())
        if not p.shares:
            p.reason = f"site {run.site} has no location in a {area_type} on {on}"
        return p
    running = carriers(ctx, run, on)
    if any(weight is None for _, weight in running):
        p.reason = unweighted_split_reason([code for code, _ in running])
        return p
    reasons = []
    for code, weight in running:
        answer = timelines.answer(code, area_type, on)
        found = next((q for q in answer.placements if q.method == method), None)
        if found is None or not found.shares:
            reasons.append(f"{code}: {found.reason if found else 'no placement'}")
            continue
        share = weight or 0.0
        for area, value in found.shares.items():
            p.shares[area] = p.shares.get(area, 0.0) + share * value
        p.coverage += share * found.coverage
        p.unlocated += share * found.unlocated
        p.source = found.source
        p.evidence += [{"site": run.site, "run_by": code, **e} for e in found.evidence]
    if not p.shares:
        p.reason = f"site {run.site} is run by " + "; ".join(reasons)
    return p


def site_answer(timelines: Timelines, code: str, area_type: str, on: date) -> Answer:
    """Every method's placement of the site on the day."""
    run = operator_on(timelines.placer.ctx, code, on)
    answer = Answer(run.site, area_type, on)
    answer.placements = [
        site_placement(timelines, run, method, area_type, on) for method in timelines.methods
    ]
    answer.conflicts = conflicts_of(answer.placements)
    return answer


def site_starts(timelines: Timelines, code: str, area_type: str) -> list[date]:
    """The days a site's answers can change: a membership starts or ends, one of its
    operations starts or ends, and any day on which an organisation that ever runs it (its
    listed operators and every later carrier) changes its own answer or carries on another."""
    ctx = timelines.placer.ctx
    every = timelines.every_date()
    if not every:
        return []
    days = set(timelines.shared_dates()) | {every[0]}
    listed = set()
    for op in operations_of(ctx, code):
        listed.add(op.operator)
        days.add(op.start)
        if op.end:
            days.add(op.end + DAY)
    index = getattr(ctx.carrying_on, "index", None)
    running = index.later_carriers(listed) if index is not None else listed
    if index is not None:
        days |= index.dates_of(running)
    for org in sorted(running):
        if org in timelines.placer.reference.organisations:
            days.update(timelines.get(org, area_type).starts)
    return sorted(d for d in days if d >= every[0])


def site_timeline(timelines: Timelines, code: str, area_type: str) -> Timeline:
    """The site's answers in `area_type` over time, as segments (consecutive days with the same
    answers are one), in the form service/geography/table.py writes org_area rows from."""
    starts, answers = segments(
        site_starts(timelines, code, area_type),
        lambda day: site_answer(timelines, code, area_type, day),
    )
    return Timeline(code.strip().upper(), area_type, starts, answers, None)
