"""Restatement by shares, on a small numbers store in memory (real DuckDB, no shared data): a split
with weights sends each successor its share of the predecessor's values; a split without weights
stays unmapped with the reason stated; flows over a range and stock series add up."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from service.rdf.vocab import NHSKG
from service.returns.codes import Step, carried_on
from service.returns.numbers import NumbersStore
from service.rollup.engine import materialise_org_areas, rollup
from service.rollup.model import AS_REPORTED, Method, organisation, region, to_organisations_at

FLOW = str(NHSKG.CovidAdmissions)
STOCK = str(NHSKG.BedsOccupied)
SPLIT_DAY = date(2021, 10, 1)
FIRST, LAST = date(2021, 9, 29), date(2021, 10, 2)
LATER = to_organisations_at(date(2022, 1, 1))
# A splits into B (a quarter) and C (three quarters); D splits into B and C with no weights.
STEPS = {
    "A": [Step(SPLIT_DAY, ("B", "C"), (0.25, 0.75))],
    "D": [Step(SPLIT_DAY, ("B", "C"))],
}
DAILY = {"A": 100.0, "D": 40.0, "B": 10.0, "C": 20.0}  # A and D report until the split
PLACES = {"B": {"L1": 1.0}, "C": {"L1": 0.5, "L2": 0.5}, "A": {"L2": 1.0}, "D": {"L1": 1.0}}


def successions(code: str) -> list[Step]:
    return STEPS.get(code, [])


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def reports(code: str) -> list[date]:
    before = code in STEPS
    return [d for d in days(FIRST, LAST) if (d < SPLIT_DAY) == before]


@pytest.fixture
def numbers() -> NumbersStore:
    return build_numbers()


def build_numbers() -> NumbersStore:
    store = NumbersStore(None)
    rows = [
        ("b1", code, code, code, "", "Y62", metric, day, day, value, None, None)
        for code, value in DAILY.items()
        for day in reports(code)
        for metric in (FLOW, STOCK)
    ]
    store.con.executemany(
        "INSERT INTO reported_value VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)", rows
    )
    store.refresh_reporters()
    places = [
        ("LRF", org, area, share, None, SPLIT_DAY - timedelta(days=1) if org in STEPS else None)
        for org, areas in PLACES.items()
        for area, share in areas.items()
    ]
    places += [
        ("NHS_REGION", org, "Y61" if org == "A" else "Y62", 1.0, None, None) for org in DAILY
    ]
    materialise_org_areas(store, places, Method.SITES)
    return store


def total(code: str) -> float:
    return DAILY[code] * len(reports(code))


def test_carried_on_multiplies_chains_and_adds_routes() -> None:
    steps = {
        "A": [Step(date(2020, 1, 1), ("B", "C"), (0.4, 0.6))],
        "B": [Step(date(2021, 1, 1), ("C",))],
        "C": [Step(date(2022, 1, 1), ("E", "F"), (0.5, 0.5))],
    }
    shares, unweighted = carried_on("A", date(2021, 6, 1), lambda c: steps.get(c, []))
    assert dict(shares) == {"C": pytest.approx(1.0)} and not unweighted
    shares, _ = carried_on("A", date(2023, 1, 1), lambda c: steps.get(c, []))
    assert dict(shares) == {"E": pytest.approx(0.5), "F": pytest.approx(0.5)}
    assert carried_on("A", date(2019, 1, 1), lambda c: steps.get(c, [])) == ((("A", 1.0),), ())


def test_a_predecessor_that_carries_on_in_its_own_split_keeps_its_share() -> None:
    # A hands 40% of its work to a new trust B and goes on itself (A -> A + B), then the part
    # A kept merges into C: the split must not be followed again when the walk meets A again.
    steps = {
        "A": [
            Step(date(2020, 1, 1), ("A", "B"), (0.6, 0.4)),
            Step(date(2022, 1, 1), ("C",)),
        ],
    }
    successions = lambda c: steps.get(c, [])  # noqa: E731
    shares, unweighted = carried_on("A", date(2021, 1, 1), successions)
    assert dict(shares) == {"A": pytest.approx(0.6), "B": pytest.approx(0.4)} and not unweighted
    shares, _ = carried_on("A", date(2023, 1, 1), successions)
    assert dict(shares) == {"B": pytest.approx(0.4), "C": pytest.approx(0.6)}
    assert carried_on("A", date(2019, 12, 31), successions) == ((("A", 1.0),), ())
    # A value the smaller A reports after the split moves only with A's later step.
    assert carried_on("A", date(2023, 1, 1), successions, date(2020, 6, 1)) == ((("C", 1.0),), ())
    assert carried_on("A", date(2021, 1, 1), successions, date(2020, 6, 1)) == ((("A", 1.0),), ())


def test_carried_on_reports_a_split_without_weights_anywhere_on_the_way() -> None:
    steps = {
        "A": [Step(date(2020, 1, 1), ("B",))],
        "B": [Step(date(2021, 1, 1), ("C", "D"))],
    }
    assert carried_on("A", date(2022, 1, 1), lambda c: steps.get(c, [])) == ((), ("C", "D"))


def test_a_weighted_split_restates_each_successor_its_share(numbers: NumbersStore) -> None:
    result = rollup(
        numbers, FLOW, "LRF", (FIRST, LAST), Method.SITES, LATER, successions=successions
    )
    got = {r.area: r.value for r in result.rows}
    a, b, c = total("A"), total("B"), total("C")
    assert got == pytest.approx(
        {"L1": a * (0.25 + 0.75 * 0.5) + b + c * 0.5, "L2": a * 0.75 * 0.5 + c * 0.5}
    )
    l1 = next(r for r in result.rows if r.area == "L1")
    from_a = {c.organisation: c for c in l1.contributors if c.reported_by == "A"}
    assert set(from_a) == {"B", "C"}
    assert (from_a["B"].restatement_share, from_a["B"].share, from_a["B"].value) == (0.25, 0.25, a)
    assert from_a["C"].share == pytest.approx(0.75 * 0.5)
    for row in result.rows:
        assert row.value == pytest.approx(sum(c.value * c.share for c in row.contributors))
        assert (row.period_start, row.period_end) == (FIRST, LAST)


def test_a_split_without_weights_is_unmapped_with_its_reason(numbers: NumbersStore) -> None:
    result = rollup(
        numbers, FLOW, "LRF", (FIRST, LAST), Method.SITES, LATER, successions=successions
    )
    [d] = [u for u in result.unmapped if u.organisation == "D"]
    assert d.value == total("D") and "split without weights" in d.reason
    assert "B" in d.reason and "C" in d.reason
    assert not any(c.reported_by == "D" for r in result.rows for c in r.contributors)
    placed = sum(r.value for r in result.rows)
    assert placed + sum(u.value for u in result.unmapped) == pytest.approx(
        sum(total(code) for code in DAILY)
    )


def test_a_stock_series_restates_every_day(numbers: NumbersStore) -> None:
    result = rollup(
        numbers, STOCK, "LRF", (FIRST, LAST), Method.SITES, LATER, successions=successions
    )
    by_day: dict[date, float] = {}
    for row in result.rows:
        by_day[row.period_start] = by_day.get(row.period_start, 0.0) + row.value
    unmapped = {u.period_start: u.value for u in result.unmapped}
    for day in days(FIRST, LAST):
        reported = sum(DAILY[code] for code in DAILY if day in reports(code))
        assert by_day[day] + unmapped.get(day, 0.0) == pytest.approx(reported)
    assert set(unmapped) == {d for d in days(FIRST, LAST) if d < SPLIT_DAY}


def test_as_reported_places_each_value_where_its_organisation_was(numbers: NumbersStore) -> None:
    result = rollup(numbers, FLOW, "LRF", (FIRST, LAST), Method.SITES, AS_REPORTED)
    got = {r.area: r.value for r in result.rows}
    a, b, c, d = (total(code) for code in "ABCD")
    assert got == pytest.approx({"L1": d + b + c * 0.5, "L2": a + c * 0.5})
    assert not result.unmapped
    assert all(c.reported_by is None for r in result.rows for c in r.contributors)


def test_scope_to_one_successor_takes_only_its_share(numbers: NumbersStore) -> None:
    result = rollup(
        numbers, FLOW, "LRF", (FIRST, LAST), Method.SITES, LATER, organisation("B"),
        successions=successions,
    )  # fmt: skip
    assert sum(r.value for r in result.rows) == pytest.approx(total("B") + 0.25 * total("A"))


@pytest.mark.parametrize("restate", [AS_REPORTED, LATER])
def test_scope_to_a_region_keeps_its_organisations(numbers: NumbersStore, restate: Any) -> None:
    result = rollup(
        numbers, FLOW, "LRF", (FIRST, LAST), Method.SITES, restate, region("Y61"),
        successions=successions,
    )  # fmt: skip
    counted = {c.reported_by or c.organisation for r in result.rows for c in r.contributors}
    assert counted == ({"A"} if restate == AS_REPORTED else set())


def test_a_trust_that_carries_on_in_its_own_split_is_restated_by_date() -> None:
    # E hands 40% of its work to a new trust F on SPLIT_DAY and goes on; both report after it.
    steps = {"E": [Step(SPLIT_DAY, ("E", "F"), (0.6, 0.4))]}
    daily = {"E": 50.0, "F": 8.0}
    store = NumbersStore(None)
    rows = [
        ("b1", code, code, code, "", "Y62", metric, day, day, value, None, None)
        for code, value in daily.items()
        for day in days(FIRST, LAST)
        if code == "E" or day >= SPLIT_DAY
        for metric in (FLOW, STOCK)
    ]
    store.con.executemany(
        "INSERT INTO reported_value VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)", rows
    )
    store.refresh_reporters()
    places = [("LRF", "E", "L1", 1.0, None, None), ("LRF", "F", "L2", 1.0, None, None)]
    materialise_org_areas(store, places, Method.SITES)
    before = sum(1 for d in days(FIRST, LAST) if d < SPLIT_DAY)
    after = len(days(FIRST, LAST)) - before

    flow = rollup(
        store,
        FLOW,
        "LRF",
        (FIRST, LAST),
        Method.SITES,
        LATER,
        successions=lambda c: steps.get(c, []),
    )
    got = {r.area: r.value for r in flow.rows}
    e_before, e_after, f_after = 50.0 * before, 50.0 * after, 8.0 * after
    assert got == pytest.approx({"L1": 0.6 * e_before + e_after, "L2": 0.4 * e_before + f_after})
    assert not flow.unmapped

    series = rollup(
        store, STOCK, "LRF", (FIRST, LAST), Method.SITES, LATER,
        successions=lambda c: steps.get(c, []),
    )  # fmt: skip
    for row in series.rows:
        split = row.period_start < SPLIT_DAY
        want = {"L1": 50.0 * (0.6 if split else 1.0), "L2": 20.0 if split else 8.0}[row.area]
        assert row.value == pytest.approx(want), (row.area, row.period_start)
