"""The engine's roll-up result as GraphQL values: areas from the reference index, rows grouped
into a series per area."""

from __future__ import annotations

from service.api.graphql.context import Context
from service.api.graphql.numbers_types import Metric
from service.api.graphql.rollup_types import (
    AreaSeries,
    Contributor,
    Coverage,
    RollupMethod,
    RollupResult,
    RollupRow,
    SeriesPoint,
    UnmappedValue,
)
from service.api.graphql.types import GeographicArea, GeographyType
from service.reference.areas import Area
from service.reference.metrics import MetricTerm
from service.rollup import model
from service.terms import ID


def _area(context: Context, code: str, cache: dict[str, GeographicArea]) -> GeographicArea:
    if code not in cache:
        index = context.reference.areas
        found = index.find(code)
        if found is None:  # a code the placement table names but the reference does not hold
            found = Area(str(ID[f"area/{code}"]), code, code, frozenset())
        cache[code] = GeographicArea.of(found, index)
    return cache[code]


def result_of(
    context: Context, result: model.RollupResult, metric: MetricTerm, method: RollupMethod
) -> RollupResult:
    areas: dict[str, GeographicArea] = {}
    rows = []
    series: dict[str, AreaSeries] = {}
    for r in result.rows:
        area = _area(context, r.area, areas)
        coverage = Coverage(
            reported=r.coverage.reported, expected=r.coverage.expected, missing=r.coverage.missing
        )
        contributors = [
            Contributor(code=c.organisation, share=c.share, value=c.value) for c in r.contributors
        ]
        rows.append(
            RollupRow(
                area=area,
                period_start=r.period_start,
                period_end=r.period_end,
                value=r.value,
                contributors=contributors,
                coverage=coverage,
            )
        )
        line = series.setdefault(
            r.area,
            AreaSeries(area=area, points=[], period_starts=[], values=[], reported=[], expected=[]),
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
                coverage=coverage,
            )
        )
    return RollupResult(
        metric=Metric.of(metric),
        by=GeographyType.of(context.reference.areas.types[result.area_type]),
        method=method,
        restated_to=result.restate.at,
        kind=result.kind,
        rows=rows,
        series=[series[k] for k in sorted(series)],
        unmapped=[
            UnmappedValue(code=u.organisation, period_start=u.period_start, value=u.value)
            for u in result.unmapped
        ],
        unmapped_total=sum(u.value for u in result.unmapped),
        unmapped_count=len(result.unmapped),
        unmapped_organisations=sorted({u.organisation for u in result.unmapped}),
    )
