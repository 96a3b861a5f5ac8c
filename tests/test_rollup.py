"""The roll-up engine on the real COVID publication: stocks, flows, coverage, scope, placement
through a materialised organisation -> area table, and restatement to successors (the real split
of RW6 into RM3 and R0A on 2021-10-01: without weights unmapped with its reason, with weights
shared)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import pytest

from service.rdf.vocab import NHSKG
from service.returns.codes import Step, successions_from_index
from service.rollup.engine import RollupError, materialise_org_areas, rollup
from service.rollup.model import Method, organisation, region, to_organisations_at
from tests.test_returns_load import CHECKED_SHEETS

BEDS = str(NHSKG.BedsOccupied)  # a stock
ADMISSIONS = str(NHSKG.CovidAdmissions)  # a flow
APRIL = (date(2020, 4, 2), date(2020, 4, 30))


def test_a_stock_over_a_range_is_a_time_series_never_a_sum(returns_env: dict[str, Any]) -> None:
    result = rollup(returns_env["numbers"], BEDS, "NHS_REGION", APRIL, Method.RETURN_STATED)
    assert result.kind == "Stock"
    assert len(result.rows) == 7 * 29
    assert {r.period_start for r in result.rows} == {date(2020, 4, d) for d in range(2, 31)}


def test_a_flow_over_a_range_is_the_sum_of_its_days(returns_env: dict[str, Any]) -> None:
    numbers = returns_env["numbers"]
    total = rollup(numbers, ADMISSIONS, "NHS_REGION", APRIL, Method.RETURN_STATED)
    series = rollup(numbers, ADMISSIONS, "NHS_REGION", APRIL, Method.RETURN_STATED, series=True)
    assert total.kind == "Flow" and len(total.rows) == 7
    for row in total.rows:
        assert row.value == sum(r.value for r in series.rows if r.area == row.area)
        assert (row.period_start, row.period_end) == APRIL


def test_contributors_and_coverage_add_up(returns_env: dict[str, Any]) -> None:
    result = rollup(returns_env["numbers"], BEDS, "NHS_REGION", date(2020, 5, 1))
    for row in result.rows:
        assert row.value == sum(c.value * c.share for c in row.contributors)
        cov = row.coverage
        assert cov.reported == len({c.organisation for c in row.contributors})
        assert cov.reported + len(cov.missing) == cov.expected


def test_scope_filters_to_a_region_or_an_organisation(returns_env: dict[str, Any]) -> None:
    numbers = returns_env["numbers"]
    national = {r.area: r for r in rollup(numbers, BEDS, "NHS_REGION", date(2020, 5, 1)).rows}
    london = rollup(numbers, BEDS, "NHS_REGION", date(2020, 5, 1), scope=region("Y56")).rows
    assert [r.area for r in london] == ["Y56"] and london[0].value == national["Y56"].value
    one = national["Y56"].contributors[0]
    mine = rollup(
        numbers, BEDS, "NHS_REGION", date(2020, 5, 1), scope=organisation(one.organisation)
    ).rows
    assert sum(r.value for r in mine) == sum(
        c.value
        for r in national.values()
        for c in r.contributors
        if c.organisation == one.organisation
    )


def test_return_stated_is_for_nhs_regions_only(returns_env: dict[str, Any]) -> None:
    with pytest.raises(RollupError):
        rollup(returns_env["numbers"], BEDS, "LRF", date(2020, 5, 1), Method.RETURN_STATED)


ODS_REGIONS = """
SELECT DISTINCT ?code ?region WHERE {
    ?record nhskg:recordOf ?org ; nhskg:vintage ?v ; nhskg:statedRegionCode ?region .
    ?org nhskg:odsCode ?code .
    FILTER (?v = "2020-03-01"^^xsd:date)
}"""


def test_materialised_table_places_every_value_or_lists_it_unmapped(
    returns_env: dict[str, Any],
) -> None:
    store, numbers = returns_env["store"], returns_env["numbers"]
    rows = [
        ("NHS_REGION", r["code"], r["region"], 1.0, None, None) for r in store.select(ODS_REGIONS)
    ]
    assert materialise_org_areas(numbers, rows, Method.ODS_STATED) == len(rows) > 200
    day = date(2020, 5, 1)
    stated = rollup(numbers, BEDS, "NHS_REGION", day, Method.RETURN_STATED)
    ods = rollup(numbers, BEDS, "NHS_REGION", day, Method.ODS_STATED)
    national = sum(r.value for r in stated.rows)
    assert sum(r.value for r in ods.rows) + sum(u.value for u in ods.unmapped) == national
    unregistered = set(returns_env["covid"].unregistered)
    assert unregistered & {u.organisation for u in ods.unmapped}
    assert not unregistered & {c.organisation for r in ods.rows for c in r.contributors}


def test_restating_to_successors_moves_values_not_totals(returns_env: dict[str, Any]) -> None:
    numbers = returns_env["numbers"]
    day = date(2020, 5, 1)
    before = rollup(numbers, BEDS, "NHS_REGION", day)
    pred = sorted(
        c.organisation
        for r in before.rows
        for c in r.contributors
        if c.organisation.startswith("R")
    )[0]
    succ = "RX9"  # any code: restating follows the succession events only
    steps = {pred: [Step(date(2020, 6, 1), (succ,))]}
    after = rollup(
        numbers,
        BEDS,
        "NHS_REGION",
        day,
        restate=to_organisations_at(date(2020, 7, 1)),
        successions=lambda c: steps.get(c, []),
    )
    orgs = {c.organisation for r in after.rows for c in r.contributors}
    assert succ in orgs and pred not in orgs
    assert sum(r.value for r in after.rows) == sum(r.value for r in before.rows)


RW6_SUCCESSORS = {"RM3", "R0A"}  # Pennine Acute Hospitals, split on 2021-10-01
AFTER_THE_SPLIT = to_organisations_at(date(2022, 1, 1))


def _succession_index(returns_env: dict[str, Any]) -> Any:
    from service.reference.successions import SuccessionIndex

    index = SuccessionIndex.from_store(returns_env["store"])
    [split] = [e for e in index.successor_events("RW6") if e.effective == date(2021, 10, 1)]
    assert set(split.resultings) >= RW6_SUCCESSORS
    return index


def _amounts(result: Any) -> float:
    return sum(r.value for r in result.rows) + sum(u.value for u in result.unmapped)


def test_the_rw6_split_without_weights_is_unmapped_with_its_reason(
    returns_env: dict[str, Any],
) -> None:
    numbers, day = returns_env["numbers"], date(2020, 5, 1)
    index = _succession_index(returns_env)
    before = rollup(numbers, BEDS, "NHS_REGION", day)
    rw6 = sum(c.value for r in before.rows for c in r.contributors if c.organisation == "RW6")
    assert rw6 > 0
    after = rollup(
        numbers, BEDS, "NHS_REGION", day, restate=AFTER_THE_SPLIT,
        successions=successions_from_index(index),
    )  # fmt: skip
    [unmapped] = [u for u in after.unmapped if u.organisation == "RW6"]
    assert unmapped.value == rw6 and "split without weights" in unmapped.reason
    assert all(code in unmapped.reason for code in RW6_SUCCESSORS)
    counted = {(c.organisation, c.reported_by) for r in after.rows for c in r.contributors}
    assert not {pair for pair in counted if "RW6" in pair}
    assert _amounts(after) == pytest.approx(_amounts(before))


def test_the_rw6_split_with_weights_shares_its_values(returns_env: dict[str, Any]) -> None:
    """Weights as a steward would state them (here in memory, on the real events)."""
    from service.reference.successions import SuccessionIndex

    numbers, day = returns_env["numbers"], date(2020, 5, 1)
    real = _succession_index(returns_env)
    [split] = [e for e in real.successor_events("RW6") if e.effective == date(2021, 10, 1)]
    weights = {code: 1.0 / len(split.resultings) for code in split.resultings}
    weights.update({"RM3": 0.6, "R0A": 0.4} if len(split.resultings) == 2 else {})
    index = SuccessionIndex(
        real.steps, {**real.shares, **{(split.event, c): w for c, w in weights.items()}}
    )
    before = rollup(numbers, BEDS, "NHS_REGION", day)
    rw6 = sum(c.value for r in before.rows for c in r.contributors if c.organisation == "RW6")
    after = rollup(
        numbers, BEDS, "NHS_REGION", day, restate=AFTER_THE_SPLIT,
        successions=successions_from_index(index),
    )  # fmt: skip
    assert not [u for u in after.unmapped if "RW6" in (u.organisation, u.reported_by)]
    from_rw6 = [c for r in after.rows for c in r.contributors if c.reported_by == "RW6"]
    assert {c.organisation for c in from_rw6} == set(weights)
    for c in from_rw6:
        assert c.value == rw6 and c.restatement_share == pytest.approx(weights[c.organisation])
        assert c.share == pytest.approx(c.restatement_share)  # RETURN_STATED places whole
    assert _amounts(after) == pytest.approx(_amounts(before))
    for row in after.rows:
        assert row.value == pytest.approx(sum(c.value * c.share for c in row.contributors))


def test_the_reporter_table_follows_the_values(returns_env: dict[str, Any]) -> None:
    con = returns_env["numbers"].con
    reported = set(
        con.execute("SELECT DISTINCT metric, org_code, region_code FROM reported_value").fetchall()
    )
    reporters = con.execute("SELECT metric, org_code, region_code FROM reporter").fetchall()
    assert reported and reported == set(reporters)


@pytest.mark.parametrize("sheet", sorted(CHECKED_SHEETS))
def test_ods_stated_regions_differ_from_the_published_only_by_what_the_rollup_reports(
    returns_env: dict[str, Any], sheet: str
) -> None:
    """By region through the graph (the March 2020 ODS file's stated regions), every region on
    every date equals the return's own region total, plus the contributors the ODS file puts in
    the region while the return states another (conflicts, e.g. RPG), minus those it takes
    elsewhere, minus the region's values the roll-up lists as unmapped (unregistered providers)."""
    store, numbers = returns_env["store"], returns_env["numbers"]
    rows = [
        ("NHS_REGION", r["code"], r["region"], 1.0, None, None) for r in store.select(ODS_REGIONS)
    ]
    materialise_org_areas(numbers, rows, Method.ODS_STATED)
    metric = str(CHECKED_SHEETS[sheet])
    # What a return states per provider, day and region: a few providers (independent-sector
    # groups) return under several regions, one row each.
    stated_in: dict[tuple[str, date], dict[str, float]] = defaultdict(dict)
    for org, day, region_code, value in numbers.con.execute(
        "SELECT org_code, period_start, region_code, sum(value) FROM reported_value "
        "WHERE metric = ? GROUP BY ALL",
        [metric],
    ).fetchall():
        stated_in[(org, day)][region_code] = value
    first, last = numbers.con.execute(
        "SELECT min(period_start), max(period_start) FROM reported_value WHERE metric = ?",
        [metric],
    ).fetchone()
    stated = rollup(numbers, metric, "NHS_REGION", (first, last), Method.RETURN_STATED, series=True)
    ods = rollup(numbers, metric, "NHS_REGION", (first, last), Method.ODS_STATED, series=True)

    expected = defaultdict(float, {(r.area, r.period_start): r.value for r in stated.rows})
    conflicting: set[str] = set()
    for r in ods.rows:
        for c in r.contributors:
            homes = stated_in[(c.organisation, r.period_start)]
            if set(homes) != {r.area}:
                conflicting.add(c.organisation)
            expected[(r.area, r.period_start)] += c.value * c.share
            for home, value in homes.items():
                expected[(home, r.period_start)] -= value * c.share
    for u in ods.unmapped:
        for home, value in stated_in[(u.organisation, u.period_start)].items():
            expected[(home, u.period_start)] -= value
    ours = {(r.area, r.period_start): r.value for r in ods.rows}
    for key in expected.keys() | ours.keys():
        assert ours.get(key, 0.0) == pytest.approx(expected[key], abs=1e-6), key
    assert conflicting and ods.unmapped
    assert "RPG" not in {org for org, _ in stated_in} or "RPG" in conflicting
