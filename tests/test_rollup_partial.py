"""Partial placements and several catchment tables, on a small numbers store in memory (real
DuckDB, no shared data): the part of a value a placement does not cover is reported unmapped
with the fraction placed, and each trust is counted once, by the one table its org_area rows
come from on the day (the catchment policy, service/geography/methods.py, writes one table per
organisation and day; N changes table on CHANGE)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from service.rdf.vocab import NHSKG
from service.returns.numbers import NumbersStore
from service.rollup.engine import materialise_org_areas, rollup
from service.rollup.model import AS_REPORTED, Method, to_organisations_at

FLOW = str(NHSKG.CovidAdmissions)
STOCK = str(NHSKG.BedsOccupied)
FIRST, LAST = date(2021, 4, 1), date(2021, 4, 4)
CHANGE = date(2021, 4, 3)  # the older table stops placing N from this day
DAILY = {"P": 100.0, "W": 30.0, "N": 50.0, "X": 7.0}
OLD, NEW = "ohid-msoa-2018", "sus-ltla19-2020"  # OLD comes first by code
# (source, org, area, share, valid_from, valid_to): P's catchment is 0.97 placed by the older
# table; W by the newer one; N by the older one until CHANGE, by the newer one from then; X
# nowhere.
PLACES = [
    (OLD, "P", "L1", 0.5, None, None),
    (OLD, "P", "L2", 0.47, None, None),
    (NEW, "W", "L2", 0.6, None, None),
    (NEW, "W", "L3", 0.4, None, None),
    (OLD, "N", "L3", 1.0, None, CHANGE - timedelta(days=1)),
    (NEW, "N", "L1", 0.8, CHANGE, None),
]


def days() -> list[date]:
    return [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]


@pytest.fixture
def numbers() -> NumbersStore:
    return build_numbers()


def build_numbers() -> NumbersStore:
    store = NumbersStore(None)
    store.con.executemany(
        "INSERT INTO reported_value VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
        [
            ("b1", code, code, code, "", "Y62", metric, day, day, value, None, None)
            for code, value in DAILY.items()
            for day in days()
            for metric in (FLOW, STOCK)
        ],
    )
    store.refresh_reporters()
    rows = [("LRF", org, area, share, f, t, source) for source, org, area, share, f, t in PLACES]
    materialise_org_areas(store, rows, Method.CATCHMENT)
    return store


def total() -> float:
    return sum(DAILY.values()) * len(days())


def test_areas_plus_unmapped_equal_the_total_with_partial_placements(
    numbers: NumbersStore,
) -> None:
    result = rollup(numbers, FLOW, "LRF", (FIRST, LAST), Method.CATCHMENT, AS_REPORTED)
    placed = sum(r.value for r in result.rows)
    assert placed + sum(u.value for u in result.unmapped) == pytest.approx(total())
    [p_gap] = [u for u in result.unmapped if u.organisation == "P"]
    assert p_gap.value == pytest.approx(DAILY["P"] * len(days()) * 0.03)
    assert "coverage" in p_gap.reason and OLD in p_gap.reason and "0.97 placed" in p_gap.reason
    [x] = [u for u in result.unmapped if u.organisation == "X"]
    assert x.value == DAILY["X"] * len(days()) and "not placed" in x.reason


def test_each_trust_counts_once_by_the_table_of_its_rows_on_the_day(numbers: NumbersStore) -> None:
    result = rollup(numbers, FLOW, "LRF", (FIRST, LAST), Method.CATCHMENT, AS_REPORTED)
    got = {r.area: r.value for r in result.rows}
    n_old = DAILY["N"] * sum(d < CHANGE for d in days())
    n_new = DAILY["N"] * sum(d >= CHANGE for d in days())
    p, w = (DAILY[c] * len(days()) for c in "PW")
    assert got == pytest.approx(
        {"L1": p * 0.5 + n_new * 0.8, "L2": p * 0.47 + w * 0.6, "L3": w * 0.4 + n_old}
    )
    sources = {(c.organisation, c.source) for r in result.rows for c in r.contributors if c.value}
    assert sources == {("P", OLD), ("W", NEW), ("N", OLD), ("N", NEW)}
    [n_gap] = [u for u in result.unmapped if u.organisation == "N"]
    assert n_gap.value == pytest.approx(n_new * 0.2) and NEW in n_gap.reason


def test_a_stock_on_one_day_and_coverage_use_one_table(numbers: NumbersStore) -> None:
    result = rollup(numbers, STOCK, "LRF", LAST, Method.CATCHMENT, to_organisations_at(LAST))
    got = {r.area: r.value for r in result.rows}
    assert got == pytest.approx(
        {"L1": 100 * 0.5 + 50 * 0.8, "L2": 100 * 0.47 + 30 * 0.6, "L3": 30 * 0.4}
    )
    assert sum(got.values()) + sum(u.value for u in result.unmapped) == pytest.approx(
        sum(DAILY.values())
    )
    l1 = next(r for r in result.rows if r.area == "L1")
    assert (l1.coverage.reported, l1.coverage.expected) == (2, 2)  # P (older table) and N
    l3 = next(r for r in result.rows if r.area == "L3")
    assert (l3.coverage.reported, l3.coverage.expected) == (1, 1)  # W only: N left on CHANGE


# A catchment whose source rounded its proportions (RBT's sum to 0.999999997), and one of many
# small shares whose float sum depends on the order it is taken in: both wholly placed, on the
# millionths their rows hold, whatever the order (tests/test_rollup_spark.py: on Spark too).
NEAR_WHOLE = {
    "R": {"L1": 0.333333332, "L2": 0.333333333, "L3": 0.333333332},
    "T": {f"L{i}": 0.1 for i in range(1, 11)},
}


def test_shares_that_sum_to_a_whole_in_millionths_leave_nothing_unmapped() -> None:
    store = NumbersStore(None)
    store.con.executemany(
        "INSERT INTO reported_value VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
        [("b1", c, c, c, "", "Y62", FLOW, FIRST, FIRST, 1000.0, None, None) for c in NEAR_WHOLE],
    )
    store.refresh_reporters()
    rows = [
        ("LRF", org, area, share, None, None, OLD)
        for org, shares in NEAR_WHOLE.items()
        for area, share in shares.items()
    ]
    materialise_org_areas(store, rows, Method.CATCHMENT)
    stored = store.con.execute(
        "SELECT org_code, sum(CAST(round(share * 1000000) AS BIGINT)), "
        "bool_and(share * 1000000 = round(share * 1000000)) FROM org_area GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert stored == [("R", 1_000_000, True), ("T", 1_000_000, True)]
    result = rollup(store, FLOW, "LRF", FIRST, Method.CATCHMENT, AS_REPORTED)
    assert result.unmapped == []
    assert sum(r.value for r in result.rows) == pytest.approx(2000.0)
