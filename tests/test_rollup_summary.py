"""A roll-up without detail (what GraphQL asks for when a query reads no contributors and no
unmapped values one by one) gives the same rows, figures, coverage and unmapped totals as the
detailed roll-up, summed in DuckDB instead of Python: checked on the small stores with weighted
and unweighted splits, a trust that carries on in its own split, partial catchments, and on the
real COVID publication; and the GraphQL field picks the mode from the query's selection."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from service.rdf.vocab import NHSKG
from service.returns.codes import Successions, graph_successions
from service.returns.numbers import NumbersStore
from service.rollup.engine import rollup
from service.rollup.model import (
    AS_REPORTED,
    Method,
    Restate,
    RollupResult,
    organisation,
    to_organisations_at,
)
from tests import test_graphql_rollup as graphql_rollup
from tests import test_rollup_partial as partial
from tests import test_rollup_shares as shares


def assert_same(detail: RollupResult, summary: RollupResult) -> None:
    assert detail.detail and not summary.detail
    assert summary.unmapped == [] and all(r.contributors == [] for r in summary.rows)
    keys = [(r.area, r.period_start, r.period_end) for r in detail.rows]
    assert [(r.area, r.period_start, r.period_end) for r in summary.rows] == keys
    for d, s in zip(detail.rows, summary.rows, strict=True):
        assert s.value == pytest.approx(d.value, rel=1e-9, abs=1e-9), (d.area, d.period_start)
        assert s.coverage == d.coverage, (d.area, d.period_start)
    want, got = detail.unmapped_summary, summary.unmapped_summary
    assert (got.count, got.organisations) == (want.count, want.organisations)
    assert got.total == pytest.approx(want.total, rel=1e-9, abs=1e-9)
    # The detailed summary is the list's own: a check that the comparison is not vacuous.
    assert want.count == len(detail.unmapped)


def both(numbers: NumbersStore, *args: Any, **kwargs: Any) -> tuple[RollupResult, RollupResult]:
    return rollup(numbers, *args, **kwargs), rollup(numbers, *args, **kwargs, detail=False)


WHEN = [
    pytest.param(shares.FIRST, id="one date"),
    pytest.param((shares.FIRST, shares.LAST), id="range"),
]


@pytest.mark.parametrize("metric", [shares.FLOW, shares.STOCK])
@pytest.mark.parametrize("when", WHEN)
@pytest.mark.parametrize("restate", [AS_REPORTED, shares.LATER], ids=["as reported", "restated"])
@pytest.mark.parametrize("series", [False, True])
def test_splits_weighted_and_not(metric: str, when: Any, restate: Restate, series: bool) -> None:
    numbers = shares.build_numbers()
    detail, summary = both(
        numbers, metric, "LRF", when, Method.SITES, restate,
        successions=shares.successions, series=series,
    )  # fmt: skip
    assert_same(detail, summary)
    if restate == shares.LATER and metric == shares.FLOW and not series:
        assert detail.unmapped, "the unweighted split of D must be unmapped"


def test_scope_to_one_organisation() -> None:
    numbers = shares.build_numbers()
    detail, summary = both(
        numbers, shares.FLOW, "LRF", (shares.FIRST, shares.LAST), Method.SITES, shares.LATER,
        organisation("B"), successions=shares.successions,
    )  # fmt: skip
    assert_same(detail, summary)
    assert detail.rows


@pytest.mark.parametrize("metric", [partial.FLOW, partial.STOCK])
@pytest.mark.parametrize("restate", [AS_REPORTED, to_organisations_at(partial.LAST)])
def test_partial_catchments_report_the_rest_unmapped(metric: str, restate: Restate) -> None:
    numbers = partial.build_numbers()
    detail, summary = both(
        numbers, metric, "LRF", (partial.FIRST, partial.LAST), Method.CATCHMENT, restate
    )
    assert_same(detail, summary)
    assert detail.unmapped_summary.count > 0  # X is nowhere, P partly placed


env = graphql_rollup.env  # the GraphQL tests' fixture: the sample store and an A&E return
run = graphql_rollup.run

COVID_DAY = date(2020, 4, 15)


@pytest.mark.parametrize(
    "when", [COVID_DAY, (date(2020, 4, 1), date(2020, 6, 29))], ids=["one date", "90 days"]
)
@pytest.mark.parametrize("metric", [NHSKG.BedsOccupied, NHSKG.CovidAdmissions])
def test_real_covid_publication_by_stated_region(
    returns_env: dict[str, Any], when: Any, metric: Any
) -> None:
    numbers, store = returns_env["numbers"], returns_env["store"]
    successions: Successions = graph_successions(store)
    for restate in (AS_REPORTED, to_organisations_at(date(2022, 1, 1))):
        detail, summary = both(
            numbers, str(metric), "NHS_REGION", when, Method.RETURN_STATED, restate,
            successions=successions,
        )  # fmt: skip
        assert_same(detail, summary)
        assert detail.rows


SERIES_ONLY = """{ rollup(metric: "AEAttendancesType1", by: "LRF", date: "2025-04-01",
                          method: HEADQUARTERS) {
    series { area { code } values reported expected } unmappedTotal unmappedCount } }"""
# Contributors asked for inside a fragment, and no unmapped list: detail all the same.
IN_FRAGMENT = """{ rollup(metric: "AEAttendancesType1", by: "LRF", date: "2025-04-01",
                          method: HEADQUARTERS) { ...figures unmappedTotal unmappedCount } }
    fragment figures on RollupResult { rows { area { code } value contributors { code } } }"""


def test_graphql_reads_detail_only_when_the_query_does(env: dict[str, Any]) -> None:
    data, errors, _ = run(env, IN_FRAGMENT)
    assert errors == [] and data is not None
    rows = data["rollup"]["rows"]
    assert sum(len(r["contributors"]) for r in rows) == len(env["values"]) > 1
    cheap, errors, _ = run(env, SERIES_ONLY)
    assert errors == [] and cheap is not None
    by_area = {s["area"]["code"]: s["values"] for s in cheap["rollup"]["series"]}
    assert by_area == {r["area"]["code"]: [r["value"]] for r in rows}
    totals = ("unmappedTotal", "unmappedCount")
    assert [cheap["rollup"][k] for k in totals] == [data["rollup"][k] for k in totals]
