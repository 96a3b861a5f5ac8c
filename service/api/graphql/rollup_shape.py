"""The engine's roll-up result as GraphQL values: areas from the reference index, rows grouped
into a series per area."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from service.api.graphql.context import Context
from service.api.graphql.numbers_types import Metric
from service.api.graphql.rollup_types import (
    AreaSeries,
    Contributor,
    Coverage,
    FigureProtection,
    RollupMethod,
    RollupResult,
    RollupRow,
    SeriesPoint,
    Strain,
    UnmappedValue,
)
from service.api.graphql.types import GeographicArea, GeographyType
from service.rdf.terms import ID
from service.reference.areas import Area
from service.reference.metrics import MetricTerm
from service.returns.synthetic import synthetic_notice
from service.rollup import model
from service.strain.flags import flag_value

# The fields that read the engine's detail: each contributor, each unmapped value.
DETAIL_FIELDS = frozenset({"contributors", "unmapped"})


# The fields that name organisations or their own values: not for the public role.
ORGANISATION_FIELDS = DETAIL_FIELDS | {"missing", "unmappedOrganisations", "organisation"}


def asks_for(selections: Sequence[Any], names: frozenset[str]) -> bool:
    """Whether a query selects any of `names` anywhere below (fragments are walked like fields:
    they carry `selections` too; an alias does not change the field's name)."""
    return any(
        getattr(s, "name", None) in names or asks_for(getattr(s, "selections", ()), names)
        for s in selections
    )


def needs_detail(selections: Sequence[Any]) -> bool:
    """Whether a rollup query reads contributors or the unmapped values one by one."""
    return asks_for(selections, DETAIL_FIELDS)


def _area(context: Context, code: str, cache: dict[str, GeographicArea]) -> GeographicArea:
    if code not in cache:
        index = context.reference.areas
        found = index.find(code)
        if found is None:  # a code the placement table names but the reference does not hold
            found = Area(str(ID[f"area/{code}"]), code, code, frozenset())
        cache[code] = GeographicArea.of(found, index)
    return cache[code]


def result_of(
    context: Context,
    result: model.RollupResult,
    metric: MetricTerm,
    method: RollupMethod,
    known_at: dt.date | None = None,
) -> RollupResult:
    """The result with its rows, series and unmapped values built only if a query asks."""
    areas: dict[str, GeographicArea] = {}
    return RollupResult(
        metric=Metric.of(metric),
        by=GeographyType.of(context.reference.areas.types[result.area_type]),
        method=method,
        restated_to=result.restate.at,
        kind=result.kind,
        protection=_protection(result.protection),
        reported_type=result.reported_type,
        known_at=known_at,
        build_rows=lambda: _rows(context, result, areas, metric),
        build_notice=lambda: _notice(context, metric),
        build_series=lambda: _series(context, result, areas),
        build_unmapped=lambda: [
            UnmappedValue(
                code=u.organisation,
                period_start=u.period_start,
                value=u.value,
                reason=u.reason,
                placed_share=u.placed_share,
                unlocated_share=u.unlocated_share,
            )
            for u in result.unmapped
        ],
        unmapped_total=result.unmapped_summary.total,
        unmapped_count=result.unmapped_summary.count,
        unmapped_organisations=result.unmapped_summary.organisations,
    )


def _protection(label: str | None) -> FigureProtection | None:
    return None if label is None else FigureProtection(label)


def _coverage(c: model.Coverage) -> Coverage:
    return Coverage(reported=c.reported, expected=c.expected, missing=c.missing)


def _rows(
    context: Context,
    result: model.RollupResult,
    areas: dict[str, GeographicArea],
    metric: MetricTerm,
) -> list[RollupRow]:
    return [
        RollupRow(
            area=_area(context, r.area, areas),
            period_start=r.period_start,
            period_end=r.period_end,
            value=r.value,
            contributors=[
                Contributor(code=c.organisation, share=c.share, value=c.value)
                for c in r.contributors
            ],
            coverage=_coverage(r.coverage),
            withheld=r.withheld,
            protection=_protection(r.protection),
            numerator=r.numerator,
            denominator=r.denominator,
            one_part=r.one_part,
            strain=strain_of(metric, r.value),
            suppressed=r.suppressed,
        )
        for r in result.rows
    ]


def _notice(context: Context, metric: MetricTerm) -> str | None:
    if context.numbers is None:
        return None
    parts = [p for p in (metric.numerator, metric.denominator) if p] or [metric.iri]
    return synthetic_notice(context.numbers, parts)


def strain_of(metric: MetricTerm, value: float) -> Strain | None:
    flag = flag_value(metric, value)
    if flag is None:
        return None
    return Strain(
        flagged=flag.flagged,
        threshold=flag.threshold.iri,
        threshold_value=flag.threshold.value,
        direction=flag.threshold.direction,
        reason=flag.reason,
        assumption=flag.threshold.basis.assumed,
        source=flag.threshold.basis.source,
    )


def _series(
    context: Context, result: model.RollupResult, areas: dict[str, GeographicArea]
) -> list[AreaSeries]:
    series: dict[str, AreaSeries] = {}
    for r in result.rows:
        line = series.get(r.area)
        if line is None:
            line = series[r.area] = AreaSeries(
                area=_area(context, r.area, areas),
                points=[],
                period_starts=[],
                values=[],
                reported=[],
                expected=[],
            )
        line.period_starts.append(r.period_start)
        line.values.append(r.value)
        line.reported.append(r.coverage.reported)
        line.expected.append(r.coverage.expected)
        line.points.append(
            SeriesPoint(
                period_start=r.period_start,
                period_end=r.period_end,
                value=r.value,
                coverage=_coverage(r.coverage),
                protection=_protection(r.protection),
            )
        )
    return [series[k] for k in sorted(series)]
