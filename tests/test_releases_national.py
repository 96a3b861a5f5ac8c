"""The four NHS England weekly COVID releases, loaded out of order beside the August 2020
publication (the session's national numbers store, copied): one value per (reporter, metric, day);
as known at each release date the region figures are that release's own (plus, for the days the
August publication also gave, its values from providers the weekly release does not list),
computed here by plain SQL over the files; the sample slice of August loaded on top changes no
figure (today's 1,850 = 2 x 925 for the South West)."""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.rdf.vocab import NHSKG
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.returns.spec import load_return_mapping
from service.rollup.engine import rollup
from service.rollup.model import Method
from tests.returns_support import WEEKLY_DIR, WEEKLY_RELEASES, weekly_name
from tests.support.stores import backup_store

ORDER = ("2020-12-03", "2020-11-19", "2020-12-10", "2020-11-26")
AUGUST_LONG = "returns/covid-hospital-activity-2020-08-13-long.csv.gz"
SAMPLE = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"
SERIES = {  # weekly series -> (metric, the August publication's sheet)
    "All beds COVID": (NHSKG.BedsOccupiedCovid, "Total Beds OccCov"),
    "MV beds COVID": (NHSKG.MechanicalVentilationBedsOccupiedCovid, "MV Beds OccupiedCov"),
}


@pytest.fixture(scope="module")
def weekly_env(
    returns_env: dict[str, Any], shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("weekly")
    backup_store(returns_env["store"], root / "store")
    returns_env["numbers"].con.execute("CHECKPOINT")
    shutil.copy(returns_env["numbers"].path, root / "numbers.duckdb")
    store, numbers = GraphStore(root / "store"), NumbersStore(root / "numbers.duckdb")
    seconds = {}
    for release in ORDER:
        started = time.perf_counter()
        result = load_return_file(store, numbers, shared_data / WEEKLY_DIR / weekly_name(release))
        seconds[release] = time.perf_counter() - started
        assert result.status == "loaded", result.report.text()
    print(f"weekly release loads (s): {seconds}")
    return {"store": store, "numbers": numbers, "data": shared_data}


def own_figures(data: Path, release: str, series: str) -> dict[tuple[str, date], float]:
    """Per region and day: the release's own total, plus, on the days the August publication
    also gave, August's values of providers the release does not list (plain SQL on the files)."""
    regions = load_return_mapping("weekly-covid-admissions-beds-long").regions
    weekly = data / WEEKLY_DIR / weekly_name(release)
    rows = (
        duckdb.connect()
        .sql(  # own connection: the default one may hold another test's result
            f"""
        WITH w AS (
            SELECT nhs_region AS region, org_code, date, value FROM read_csv('{weekly}')
            WHERE data = $series AND value IS NOT NULL
        ), a AS (
            SELECT nhs_england_region AS region, org_code, date, value
            FROM read_csv('{data / AUGUST_LONG}')
            WHERE sheet = $sheet AND value IS NOT NULL AND date >= (SELECT min(date) FROM w)
              AND (org_code, date) NOT IN (SELECT (org_code, date) FROM w)
        )
        SELECT region, date, sum(value) FROM (SELECT * FROM w UNION ALL SELECT * FROM a)
        GROUP BY ALL""",
            params={"series": series, "sheet": SERIES[series][1]},
        )
        .fetchall()
    )
    return {(regions[r], d): float(v) for r, d, v in rows}


def figures(numbers: NumbersStore, series: str, last: date) -> dict[tuple[str, date], float]:
    result = rollup(
        numbers,
        str(SERIES[series][0]),
        "NHS_REGION",
        (date(2020, 8, 1), last),
        Method.RETURN_STATED,
    )
    return {(r.area, r.period_start): r.value for r in result.rows}


@pytest.mark.parametrize("series", SERIES)
def test_each_weekly_release_as_known_on_its_date(weekly_env: dict[str, Any], series: str) -> None:
    numbers = weekly_env["numbers"]
    for release in (*WEEKLY_RELEASES, None):
        own = own_figures(weekly_env["data"], release or WEEKLY_RELEASES[-1], series)
        last = max(day for _, day in own)
        known = numbers.known_at(date.fromisoformat(release) if release else None)
        assert figures(known, series, last) == pytest.approx(own), release


def test_no_sum_includes_two_releases_of_one_day(weekly_env: dict[str, Any]) -> None:
    numbers = weekly_env["numbers"]
    for day in (None, *(date.fromisoformat(r) for r in WEEKLY_RELEASES)):
        doubled = numbers.con.execute(
            "SELECT reported_code, region_code, metric, period_start FROM "
            f"{numbers.known_at(day).values} GROUP BY ALL HAVING count(DISTINCT batch_id) > 1"
        ).fetchall()
        assert doubled == [], day
    kept = numbers.con.execute("SELECT count(*) FROM release_value").fetchone()
    assert kept == numbers.con.execute("SELECT sum(value_count) FROM batch").fetchone()


def test_the_sample_slice_on_top_of_the_publication_doubles_nothing(
    weekly_env: dict[str, Any],
) -> None:
    store, numbers = weekly_env["store"], weekly_env["numbers"]
    args = (str(NHSKG.BedsOccupied), "NHS_REGION", date(2020, 4, 8), Method.RETURN_STATED)
    before = {r.area: r.value for r in rollup(numbers, *args).rows}
    [(own,)] = (
        duckdb.connect()
        .sql(  # own connection: the default one may hold another test's result
            f"SELECT sum(value) FROM read_csv('{weekly_env['data'] / AUGUST_LONG}') WHERE "
            "sheet = 'Total Beds Occ' AND date = DATE '2020-04-08' AND "
            "nhs_england_region = 'South West'"
        )
        .fetchall()
    )
    assert before["Y58"] == own
    result = load_return_file(store, numbers, SAMPLE)
    assert result.status == "loaded" and result.history == 0
    assert {r.area: r.value for r in rollup(numbers, *args).rows} == before
