"""The roll-up on two engines: DuckDB (the embedded default) and Apache Spark (local mode) run the
same SQL text (service/rollup/engine.py, transpiled by SQLGlot for Spark, service/rollup/spark.py)
and must give the same answers, coverage and unmapped lists: on synthetic data
(bench/scale_data.py: whole, split and partial placements, organisations placed nowhere,
mergers, weighted and unweighted splits) and on the real COVID publication in every geography
type and method. Values are sums of doubles in an order each engine chooses, so they agree to
1e-9 relative; everything else (areas, periods, organisations, reasons, coverage) exactly."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.scale_data import METRICS, Scale, Synthetic, generate, load_duckdb
from service.rdf.vocab import NHSKG
from service.rollup.engine import RollupError, rollup
from service.rollup.model import (
    AS_REPORTED,
    Method,
    Restate,
    RollupResult,
    organisation,
    region,
    to_organisations_at,
)
from service.rollup.spark import SparkNumbers, to_spark

pytestmark = pytest.mark.spark

SCALE = Scale(1.0, days=30)  # 240 organisations, ten metrics, 30 days: 72,000-odd values
BEDS = str(NHSKG.BedsOccupiedCovid)  # a stock
ADMISSIONS = str(NHSKG.CovidAdmissions)  # a flow
NO_METRIC = "https://w3id.org/nhskg/def#NoSuchMetric"


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def assert_same(duck: RollupResult, spark: RollupResult) -> None:
    """Same rows, values (to 1e-9), contributors, coverage, unmapped values and summary."""
    assert (spark.kind, spark.detail) == (duck.kind, duck.detail)
    assert len(duck.rows) == len(spark.rows)
    for d, s in zip(duck.rows, spark.rows, strict=True):
        assert (s.area, s.period_start, s.period_end) == (d.area, d.period_start, d.period_end)
        assert close(s.value, d.value), (d.area, d.period_start, d.value, s.value)
        assert (s.coverage, s.withheld) == (d.coverage, d.withheld), d.area

        def key(c: Any) -> tuple[Any, ...]:
            return (c.organisation, c.reported_by or "", c.source or "", c.share, c.value)

        dc, sc = sorted(d.contributors, key=key), sorted(s.contributors, key=key)
        assert [key(c)[:3] for c in dc] == [key(c)[:3] for c in sc], d.area
        for a, b in zip(dc, sc, strict=True):
            assert close(a.share, b.share) and close(a.value, b.value), (d.area, a, b)

    def unmapped_key(u: Any) -> tuple[Any, ...]:
        return (u.organisation, u.period_start, u.reason, u.reported_by or "", u.value)

    du, su = sorted(duck.unmapped, key=unmapped_key), sorted(spark.unmapped, key=unmapped_key)
    assert [unmapped_key(u)[:4] for u in du] == [unmapped_key(u)[:4] for u in su]
    for a, b in zip(du, su, strict=True):
        assert close(a.value, b.value) and a.period_end == b.period_end, (a, b)
        for x, y in ((a.placed_share, b.placed_share), (a.unlocated_share, b.unlocated_share)):
            assert (x is None) == (y is None) and (x is None or close(x, y)), (a, b)
    want, got = duck.unmapped_summary, spark.unmapped_summary
    assert (got.count, got.organisations) == (want.count, want.organisations)
    assert close(got.total, want.total)


# ------------------------------------------------------------------------- synthetic data


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory, spark: Any) -> dict[str, Any]:
    data = generate(tmp_path_factory.mktemp("synthetic-scale"), SCALE)
    return {
        "data": data,
        "duck": load_duckdb(data, None),
        "spark": SparkNumbers.from_parquet(spark, data.paths),
    }


def both(env: dict[str, Any], *args: Any, **kwargs: Any) -> tuple[RollupResult, RollupResult]:
    return rollup(env["duck"], *args, **kwargs), rollup(env["spark"], *args, **kwargs)


LATER = to_organisations_at(date(2026, 4, 1))
LAST = SCALE.first_day + timedelta(days=SCALE.days - 1)


@pytest.mark.parametrize(
    ("when", "restate", "detail"),
    [
        (SCALE.event_day - timedelta(days=1), LATER, True),  # predecessors still report
        (SCALE.event_day, AS_REPORTED, True),
        ((SCALE.first_day, LAST), LATER, True),
        ((SCALE.first_day, SCALE.event_day + timedelta(days=3)), LATER, False),
    ],
    ids=["one-date-restated", "one-date-as-reported", "whole-range-flow", "range-summary"],
)
def test_synthetic_rollups_agree(
    synthetic: dict[str, Any], when: Any, restate: Restate, detail: bool
) -> None:
    data: Synthetic = synthetic["data"]
    duck, spark = both(
        synthetic,
        METRICS[0],
        "LRF",
        when,
        Method.SITES,
        restate,
        successions=data.successions,
        detail=detail,
    )
    assert duck.rows, "the synthetic roll-up placed nothing: the comparison would be empty"
    assert_same(duck, spark)
    if detail and restate is LATER and not isinstance(when, tuple):
        reasons = {u.reason.split(" (")[0] for u in duck.unmapped}
        # The synthetic system exercises each way a value goes unmapped.
        assert "split without weights" in reasons, reasons
        assert any(r.startswith("outside the LRF by SITES coverage") for r in reasons), reasons
        assert any(r.startswith("not placed in any LRF") for r in reasons), reasons


def test_synthetic_series_and_scope_agree(synthetic: dict[str, Any]) -> None:
    data: Synthetic = synthetic["data"]
    span = (SCALE.event_day - timedelta(days=2), SCALE.event_day + timedelta(days=2))
    duck, spark = both(
        synthetic, METRICS[3], "LRF", span, Method.SITES, LATER,
        successions=data.successions, series=True,
    )  # fmt: skip
    assert len({r.period_start for r in duck.rows}) == 5
    assert_same(duck, spark)
    one = duck.rows[0].contributors[0].organisation
    duck, spark = both(
        synthetic, METRICS[3], "LRF", span, Method.SITES, LATER,
        organisation(one), successions=data.successions,
    )  # fmt: skip
    assert {c.organisation for r in duck.rows for c in r.contributors} == {one}
    assert_same(duck, spark)


def test_hostile_codes_are_bound_not_pasted(synthetic: dict[str, Any]) -> None:
    """A scope code carrying SQL reaches Spark as a bound value: nothing matches, on both."""
    hostile = "S000001' OR '1'='1"
    duck, spark = both(synthetic, METRICS[0], "LRF", SCALE.event_day, Method.SITES,
                       AS_REPORTED, organisation(hostile))  # fmt: skip
    assert duck.rows == [] and spark.rows == []
    assert "S000001" not in to_spark("SELECT 1 FROM reporter WHERE org_code = ?", ())


def test_bad_requests_fail_the_same_way_on_spark(synthetic: dict[str, Any]) -> None:
    for engine in ("duck", "spark"):
        with pytest.raises(RollupError, match="NHS England regions only"):
            rollup(synthetic[engine], METRICS[0], "LRF", SCALE.event_day, Method.RETURN_STATED)
        with pytest.raises(RollupError, match="not a metric"):
            rollup(synthetic[engine], NO_METRIC, "LRF", SCALE.event_day, Method.SITES)


def test_the_spark_text_is_spark_sql() -> None:
    """What SQLGlot makes of the DuckDB-only spellings the roll-up avoids or relies on."""
    text = to_spark(
        "SELECT list(DISTINCT org_code) AS o FROM reporter GROUP BY ALL",
        (("reporter", "nhskg_x_reporter"),),
    )
    assert "COLLECT_LIST(DISTINCT org_code)" in text and "nhskg_x_reporter" in text


# ---------------------------------------------------------------- the real COVID publication

NATIONAL_CASES = [
    (BEDS, "NHS_REGION", date(2020, 4, 15), "RETURN_STATED", AS_REPORTED, True, None),
    (BEDS, "LRF", date(2020, 4, 15), "HEADQUARTERS", AS_REPORTED, True, None),
    (BEDS, "ICB", date(2020, 7, 1), "SITES", to_organisations_at(date(2022, 1, 1)), True, None),
    # A catchment whose shares sum to 1 within float noise (RBN, RBT) is whole on both engines:
    # shares are whole millionths, summed as integers (service/geography/millionths.py).
    (BEDS, "LRF", date(2020, 4, 15), "CATCHMENT", to_organisations_at(date(2026, 4, 1)), True,
     None),
    (ADMISSIONS, "ICB", (date(2020, 4, 1), date(2020, 6, 29)), "HEADQUARTERS",
     to_organisations_at(date(2022, 1, 1)), True, None),
    (ADMISSIONS, "NHS_REGION", (date(2020, 4, 1), date(2020, 4, 30)), "ODS_STATED", AS_REPORTED,
     False, "E40000003"),
]  # fmt: skip


@pytest.fixture(scope="module")
def national(
    figures_env: dict[str, Any], spark: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    from service.returns.codes import graph_successions

    tables = ("reported_value", "reporter", "org_area")
    folder = tmp_path_factory.mktemp("national-parquet")
    return {
        "duck": figures_env["numbers"],
        "spark": SparkNumbers.from_numbers(spark, figures_env["numbers"], folder, tables),
        "successions": graph_successions(figures_env["store"]),
    }


@pytest.mark.national
@pytest.mark.parametrize(
    ("metric", "area_type", "when", "method", "restate", "detail", "in_region"),
    NATIONAL_CASES,
    ids=[
        f"{c[1]}-{c[3]}-{'range' if isinstance(c[2], tuple) else c[2]}"
        for c in (getattr(case, "values", case) for case in NATIONAL_CASES)
    ],
)
def test_covid_rollups_agree(
    national: dict[str, Any],
    metric: str,
    area_type: str,
    when: Any,
    method: str,
    restate: Restate,
    detail: bool,
    in_region: str | None,
) -> None:
    scope = region(in_region) if in_region else None
    kwargs: dict[str, Any] = {"successions": national["successions"], "detail": detail}
    args = (metric, area_type, when, Method(method), restate, *([scope] if scope else []))
    duck = rollup(national["duck"], *args, **kwargs)
    spark = rollup(national["spark"], *args, **kwargs)
    assert duck.rows, "no rows: the comparison would prove nothing"
    assert_same(duck, spark)


def test_spark_reads_parquet_it_is_given(spark: Any, tmp_path: Path) -> None:
    """from_parquet on a missing file fails loudly, never as an empty roll-up."""
    with pytest.raises(Exception, match=r"(?i)path does not exist|PATH_NOT_FOUND"):
        SparkNumbers.from_parquet(spark, {"reported_value": str(tmp_path / "absent.parquet")})
