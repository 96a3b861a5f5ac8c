"""Resolvers over the numbers store: metrics, observations and roll-ups. Metrics and geography
types are validated against the ontology (no list of either lives in Python); every bad input is
a user error that says what was wrong and what would be right."""

from __future__ import annotations

import datetime as dt
from typing import Any

from service.access.policy import AccessDenied
from service.api.graphql.context import Context
from service.api.graphql.errors import UserError, denied
from service.api.graphql.numbers_types import Batch, FigureProtection, Metric, Observation
from service.api.graphql.resolvers import known_reference, require_area_type
from service.api.graphql.rollup_shape import result_of
from service.api.graphql.rollup_types import RestateInput, RollupMethod, RollupResult
from service.geography.known_places import area_placements_known, placements_known
from service.reference.metrics import MetricTerm
from service.returns.area_spec import is_area_metric
from service.returns.numbers import NumbersStore
from service.rollup.areas import area_rollup
from service.rollup.engine import PlacementsMissing, RollupError, require_placements, rollup
from service.rollup.model import (
    AS_REPORTED,
    RETURN_STATED,
    Method,
    Restate,
    to_organisations_at,
)
from service.rollup.model import RollupResult as RollupOutcome


def metrics(context: Context) -> list[Metric]:
    return [Metric.of(m) for m in context.reference.metrics.by_key.values()]


def require_metric(context: Context, key: str) -> MetricTerm:
    found = context.reference.metrics.find(key)
    if found is None:
        known = ", ".join(context.reference.metrics.by_key)
        raise UserError(f"unknown metric {key!r}", f"Known metrics: {known} (query metrics).")
    return found


def require_numbers(context: Context) -> NumbersStore:
    if context.numbers is None:
        raise UserError(
            "no numbers store is configured", "Set NHSKG_NUMBERS and load a return first."
        )
    return context.numbers


def held_range(numbers: NumbersStore, metric: MetricTerm) -> tuple[dt.date, dt.date] | None:
    found = (
        numbers.reader()
        .execute(
            f"SELECT min(period_start), max(period_start) FROM {numbers.values} WHERE metric = ?",
            [metric.denominator or metric.iri],  # a ratio: where its capacity is held
        )
        .fetchone()
    )
    return (found[0], found[1]) if found and found[0] is not None else None


def check_held(numbers: NumbersStore, metric: MetricTerm, start: dt.date, end: dt.date) -> None:
    """A request wholly outside the dates held is an error naming the range held."""
    held = held_range(numbers, metric)
    if held is None and numbers.known_day is not None:
        raise UserError(
            f"no values of {metric.key} had been released by {numbers.known_day}",
            "Ask as known at a later date (query batches for the release dates held).",
        )
    if held is None:
        raise UserError(f"no values of {metric.key} are loaded", "Load a return that reports it.")
    if end < held[0] or start > held[1]:
        raise UserError(
            f"{metric.key} has no values from {start} to {end}",
            f"Values are held from {held[0]} to {held[1]}.",
        )


def _when(
    date: dt.date | None, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    if date is not None and (start is not None or end is not None):
        raise UserError("give either date or from and to, not both", "date: one day.")
    if date is not None:
        return date, date
    if start is None or end is None:
        raise UserError(
            "a roll-up needs a date, or both from and to",
            'Add date: "2020-05-01", or from: "2020-04-01", to: "2020-04-30".',
        )
    if start > end:
        raise UserError(f"from ({start}) is after to ({end})", "Swap them.")
    return start, end


def _restate(restate: RestateInput | None) -> Restate:
    if restate is None or restate.as_reported:
        return AS_REPORTED
    at = restate.to_organisations_at
    if at is None or not isinstance(at, dt.date):
        raise UserError("asReported: false needs toOrganisationsAt", "Give toOrganisationsAt.")
    return to_organisations_at(at)


def _placed(numbers: NumbersStore, method: Method, area_type: str) -> None:
    """The placement table must hold the method and type asked for (engine.require_placements,
    the check every path makes), as a GraphQL error with what is materialised."""
    try:
        require_placements(numbers, method, area_type)
    except PlacementsMissing as exc:
        listed = ", ".join(exc.materialised) or "none"
        raise UserError(
            f"no placements by {method.value} in {area_type} areas are materialised",
            f"Materialised: {listed}; or use method RETURN_STATED with by NHS_REGION.",
        ) from exc


def run_rollup(
    context: Context,
    metric: str,
    by: str,
    date: dt.date | None,
    start: dt.date | None,
    end: dt.date | None,
    restate: Restate,
    method: Method,
    series: bool,
    detail: bool = True,
    as_known_at: dt.date | None = None,
    names_organisations: bool = False,
) -> tuple[RollupOutcome, MetricTerm]:
    """Every roll-up the service answers goes through here (GraphQL, /api/v1/data, the
    dashboards): the same checks, the same engine, the same row cap, the same errors, and the
    caller's access (service/access/policy.py: metric granted, scope; `names_organisations`:
    the query reads fields naming organisations, which the public role may not)."""
    term = require_metric(context, metric)
    numbers = require_numbers(context).known_at(as_known_at)
    try:
        context.access.require_metric(term.key, term.open_to_public)
        if names_organisations:
            context.access.require_organisation_level()
        protection = context.access.protection(term.iri, numbers.path)
    except AccessDenied as exc:
        raise denied(exc) from exc
    area_type = require_area_type(context, by)
    # the placements as known then too (as first loaded, for a release date before that)
    reference = known_reference(context, as_known_at, earliest_held=True)
    first, last = _when(date, start, end)
    check_held(numbers, term, first, last)
    scope = context.access.rollup_scope()
    by_area = is_area_metric(term.iri)  # areas' values: by the graph's memberships
    if by_area:
        numbers = numbers.areas_placed_by(*area_placements_known(numbers, reference))
    elif method != RETURN_STATED:
        numbers = numbers.placed_by(placements_known(numbers, reference, area_type))
    if not by_area:
        _placed(numbers, method, area_type)
    successions = reference.successions if reference.serial else context.successions
    try:
        result = (
            area_rollup(
                numbers,
                term.iri,
                area_type,
                (first, last) if first != last else first,
                scope=scope,
                series=series,
                detail=detail,
                protection=protection,
                restate=restate,
            )
            if by_area
            else rollup(
                numbers,
                term.iri,
                area_type,
                (first, last) if first != last else first,
                method,
                restate,
                scope,
                successions=successions,
                series=series,
                detail=detail,
                protection=protection,
            )
        )
    except RollupError as exc:
        raise UserError(str(exc), "See the method's description in the schema.") from exc
    if len(result.rows) > context.max_rollup_rows:
        raise UserError(
            f"the roll-up has {len(result.rows)} rows, more than the "
            f"{context.max_rollup_rows} one answer may hold",
            "Ask for a shorter range or a larger geography type.",
        )
    return result, term


def rollup_field(
    context: Context,
    metric: str,
    by: str,
    date: dt.date | None,
    start: dt.date | None,
    end: dt.date | None,
    restate: RestateInput | None,
    method: RollupMethod,
    series: bool,
    detail: bool = True,
    as_known_at: dt.date | None = None,
    names_organisations: bool = False,
) -> RollupResult:
    """`detail`: whether the query reads contributors or the unmapped values one by one (see
    needs_detail); without, the engine sums per area in DuckDB. `names_organisations`: whether
    it reads fields naming organisations (the policy refuses them to the public role)."""
    result, term = run_rollup(
        context, metric, by, date, start, end, _restate(restate), Method(method.value), series,
        detail, as_known_at, names_organisations,
    )  # fmt: skip
    return result_of(context, result, term, RollupMethod(result.method.value), as_known_at)


def supply_stock(
    context: Context,
    by: str,
    date: dt.date,
    restate: RestateInput | None,
    method: RollupMethod,
    detail: bool,
    names_organisations: bool,
) -> list[RollupResult]:
    """Supply Chain 360 on a date: each supplies ratio metric of the ontology (days of stock per
    item, ventilator utilisation), rolled up by the one engine under the caller's access (the
    policy refuses supplies to the public role); each answer carries its synthetic notice."""
    known = context.reference.metrics
    terms = [
        m
        for m in known.by_key.values()
        if m.denominator and (part := known.by_iri(m.denominator)) and part.supply_item
    ]
    return [
        rollup_field(
            context,
            m.key,
            by,
            date,
            None,
            None,
            restate,
            method,
            False,
            detail,
            names_organisations=names_organisations,
        )
        for m in terms
    ]


OBSERVATIONS = """
SELECT v.org_code, v.reported_code, v.metric, v.period_start, v.period_end, v.value,
       v.stated_region, v.sheet, v.cell, b.batch_id, b.publication, b.file, b.sha256,
       b.loaded_at, b.status, b.dataset, b.release_date, v.area_type, v.marker
FROM (SELECT * FROM {values}) v JOIN batch b ON b.batch_id = v.batch_id
WHERE (v.org_code = $code OR v.reported_code = $code)
  AND ($metric IS NULL OR v.metric = $metric)
  AND v.period_start BETWEEN $start AND $end
  AND ($regions IS NULL OR list_contains($regions, v.region_code))
ORDER BY v.period_start, v.metric
LIMIT $limit"""


def observations(
    context: Context,
    org: str,
    metric: str | None,
    start: dt.date | None,
    end: dt.date | None,
    first: int | None,
    as_known_at: dt.date | None = None,
) -> list[Observation]:
    first = context.max_page_size if first is None else first
    if not 0 < first <= context.max_page_size:
        raise UserError(
            f"first must be between 1 and {context.max_page_size}, not {first}",
            "Narrow from and to (or pick one metric) to see fewer at a time.",
        )
    if start is not None and end is not None and start > end:
        raise UserError(f"from ({start}) is after to ({end})", "Swap them.")
    try:
        context.access.require_organisation(org)
        context.access.require_metric(metric)
    except AccessDenied as exc:
        raise denied(exc) from exc
    term = require_metric(context, metric) if metric is not None else None
    numbers = require_numbers(context).known_at(as_known_at)
    try:  # values of a metric the policy protects for this caller: perturbed, as in roll-ups
        protection = context.access.records_protection(numbers.path)
    except AccessDenied as exc:
        raise denied(exc) from exc
    code = _organisation_code(context, numbers, org, start, end)
    params: dict[str, Any] = {
        "code": code,
        "metric": term.iri if term else None,
        "start": start or dt.date.min,
        "end": end or dt.date.max,
        "limit": first,
        "regions": context.access.value_regions(code),
    }
    query = OBSERVATIONS.replace("{values}", protection.relation(numbers.values))
    rows = numbers.reader().execute(query, params).fetchall()
    metrics = context.reference.metrics
    out = []
    for r in rows:
        found = metrics.by_iri(r[2])
        if found is None:  # a value of a metric the ontology no longer defines: not shown
            continue
        batch = Batch(
            id=r[9],
            publication=r[10],
            file=r[11],
            sha256=r[12],
            loaded_at=r[13],
            status=r[14],
            dataset=r[15],
            release_date=r[16],
        )
        out.append(
            Observation(
                code=r[0],
                reported_code=r[1],
                metric=Metric.of(found),
                period_start=r[3],
                period_end=r[4],
                value=r[5],
                stated_region=r[6],
                sheet=r[7],
                cell=r[8],
                batch=batch,
                area_type=r[17],
                suppressed=r[18] == "suppressed",
                protection=FigureProtection.PERTURBED
                if protection.protects(r[2]) and r[5] is not None
                else None,
            )
        )
    return out


def _organisation_code(
    context: Context, numbers: NumbersStore, org: str, start: dt.date | None, end: dt.date | None
) -> str:
    """The code to look values up by; an organisation the reference knows must have been open
    during part of the range asked for."""
    code = org.strip().upper()
    record = context.reference.organisations.find(code)
    if record is None:  # unregistered providers report too, under their own codes
        found = (
            numbers.reader()
            .execute(
                "SELECT count(*) FROM release_value WHERE org_code = ? OR reported_code = ?",
                [code, code],
            )
            .fetchone()
        )
        if not found or not found[0]:
            near = context.reference.organisations.near_matches(code)
            hint = f"Near matches: {', '.join(near)}." if near else "Check the ODS code."
            raise UserError(f"unknown organisation code {code!r}", hint)
        return code
    if end is not None and record.open_date is not None and end < record.open_date:
        raise UserError(
            f"{code} did not exist before {record.open_date} (asked up to {end})",
            "Ask from its open date, or for its predecessors' codes.",
        )
    if start is not None and record.close_date is not None and start > record.close_date:
        raise UserError(
            f"{code} closed on {record.close_date} (asked from {start})",
            "Ask for the organisations that carried it on.",
        )
    return code
