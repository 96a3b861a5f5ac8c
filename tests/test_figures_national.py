"""Figures that add up on every path, on the national data (the COVID-19 Hospital Activity
publication, the national reference, org_area of every method in every geography type).

First the findings of issue 12, each as it was reported; then the invariants over the whole
grid: every method x every geography type x (as reported, restated to three dates) x three dates
and one 90-day range. The steward round trip (check, apply, revert) runs once, on one change set
giving RW6's split weights and assigning the unregistered provider AXG to the South West.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest

from service.geography.assign import Placer
from service.geography.lookup import Lookup
from service.geography.methods import METHODS
from service.geography.table import COLUMNS, org_area_rows
from service.rdf.vocab import NHSKG
from service.reference.successions import SuccessionIndex
from service.returns.codes import carried_on, graph_successions, unweighted_split_reason
from service.returns.numbers import NumbersStore
from service.rollup.engine import rollup
from service.rollup.model import AS_REPORTED, Method, Restate, RollupResult, to_organisations_at
from service.stewardship.changeset import parse_changeset
from service.stewardship.effect import (
    FigureEffect,
    FigureQuestion,
    RowChange,
    compare,
    figure_effect,
)
from service.stewardship.workflow import apply, check, revert

BEDS = str(NHSKG.BedsOccupiedCovid)  # a stock
ADMISSIONS = str(NHSKG.CovidAdmissions)  # a flow
DAY = date(2020, 4, 15)
DAYS = (date(2020, 3, 27), DAY, date(2020, 7, 1))
RANGE = (date(2020, 4, 1), date(2020, 4, 1) + timedelta(days=89))
RESTATES: tuple[Restate, ...] = (
    AS_REPORTED,
    to_organisations_at(date(2020, 10, 1)),  # R0D formed from RD3 and RDZ
    to_organisations_at(date(2022, 1, 1)),  # after the RW6 split
    to_organisations_at(date(2026, 4, 1)),
)
TOLERANCE = 1e-6


def reported_total(numbers: NumbersStore, metric: str, start: date, end: date) -> float:
    row = numbers.con.execute(
        "SELECT coalesce(sum(value), 0) FROM reported_value WHERE metric = ? "
        "AND period_start BETWEEN ? AND ?",
        [metric, start, end],
    ).fetchone()
    assert row is not None
    return float(row[0])


def placed_and_unmapped(result: RollupResult) -> float:
    return sum(r.value for r in result.rows) + result.unmapped_summary.total


def area_types(env: dict[str, Any]) -> list[str]:
    return list(env["lookup"].area_types())


def successions(env: dict[str, Any]) -> Any:
    """The store's successions, read again only when its graphs change (a change set)."""
    graphs = tuple(env["store"].current_graphs())
    if env.get("successions_of") != graphs:
        env["successions"], env["successions_of"] = graph_successions(env["store"]), graphs
    return env["successions"]


def run(
    env: dict[str, Any],
    metric: str,
    area_type: str,
    when: Any,
    method: str,
    restate: Restate,
    *,
    detail: bool = False,
) -> RollupResult:
    return rollup(
        env["numbers"],
        metric,
        area_type,
        when,
        Method(method),
        restate,
        successions=successions(env),
        detail=detail,
    )


# ------------------------------------------------------------------ the findings, as reported
def test_catchment_restated_by_lrf_counts_each_bed_once(figures_env: dict[str, Any]) -> None:
    """Found: 32,201 beds in areas + unmapped of 17,931 reported (London 7,221 against 3,585)."""
    result = run(figures_env, BEDS, "LRF", DAY, "CATCHMENT", RESTATES[-1], detail=True)
    reported = reported_total(figures_env["numbers"], BEDS, DAY, DAY)
    assert reported == 17931
    assert placed_and_unmapped(result) == pytest.approx(reported, rel=TOLERANCE)
    # R0D is placed by one catchment table only, on any date.
    tables = {c.source for r in result.rows for c in r.contributors if c.organisation == "R0D"}
    assert len(tables) == 1, tables


def test_lookup_and_rollup_agree_about_rw6(figures_env: dict[str, Any]) -> None:
    """Found: the lookup counted the unweighted split's successors equally, the roll-up refused,
    and neither said why. Now both refuse, in the same words."""
    lookup: Lookup = figures_env["lookup"]
    answer = lookup.lookup("RW6", "ICB", date(2022, 1, 1), "HEADQUARTERS")
    reason = unweighted_split_reason(["R0A", "RM3"])
    assert answer.areas == [] and answer.reason == reason
    assert {r["code"] for r in answer.resolved} == {"R0A", "RM3"}
    result = run(figures_env, BEDS, "ICB", DAY, "HEADQUARTERS", RESTATES[2], detail=True)
    [rw6] = [u for u in result.unmapped if u.organisation == "RW6"]
    assert rw6.reason == reason


def test_sites_say_what_share_is_placed_and_what_is_unlocated(
    figures_env: dict[str, Any],
) -> None:
    """Found: RXX's site shares summed to 0.18 with nothing saying where the rest went. Sites
    with no location no longer dilute the others (each located site an equal share); the
    answer states the placed share and the share of sites with no known location, and a
    partly placed organisation's rest is unmapped with the same shares in the roll-up."""
    lookup: Lookup = figures_env["lookup"]
    answer = lookup.lookup("RXX", "LRF", DAY, "SITES")
    placed = sum(a["share"] for a in answer.areas)
    assert answer.placed_share == pytest.approx(placed, abs=TOLERANCE) and placed > 0
    assert 0 < answer.unlocated_share < 1
    assert answer.unplaced and "no known location" in answer.unplaced
    result = run(figures_env, BEDS, "LRF", DAY, "SITES", AS_REPORTED, detail=True)
    for u in [u for u in result.unmapped if u.placed_share]:
        said = lookup.lookup(u.organisation, "LRF", DAY, "SITES")
        assert u.placed_share == pytest.approx(said.placed_share, abs=TOLERANCE)
        assert (u.unlocated_share or 0) == pytest.approx(said.unlocated_share, abs=TOLERANCE)
        assert f"{u.placed_share:.3g} placed" in u.reason


# ------------------------------------------------------------------ invariants over the grid
def test_areas_plus_unmapped_is_what_was_reported_on_every_path(
    figures_env: dict[str, Any],
) -> None:
    numbers = figures_env["numbers"]
    cases = [(BEDS, day) for day in DAYS] + [(ADMISSIONS, RANGE)]
    paths = [(m, t) for m in METHODS for t in area_types(figures_env)]
    paths.append(("RETURN_STATED", "NHS_REGION"))
    wrong = []
    for metric, when in cases:
        start, end = when if isinstance(when, tuple) else (when, when)
        reported = reported_total(numbers, metric, start, end)
        assert reported > 0
        for method, area_type in paths:
            for restate in RESTATES:
                found = placed_and_unmapped(
                    run(figures_env, metric, area_type, when, method, restate)
                )
                if abs(found - reported) > TOLERANCE * max(1.0, reported):
                    wrong.append(
                        (metric[-20:], when, method, area_type, restate.at, found, reported)
                    )
    assert not wrong, wrong[:10]


def test_shares_per_organisation_and_date_lie_in_0_1_and_sum_to_the_placed_share(
    figures_env: dict[str, Any],
) -> None:
    con = figures_env["numbers"].con
    for day in (*DAYS, *(r.at for r in RESTATES if r.at)):
        bad = con.execute(
            """SELECT method, area_type, org_code, count(DISTINCT coalesce(source, '')) AS sources,
                      min(share), sum(share), max(coverage), max(unlocated)
               FROM org_area WHERE (valid_from IS NULL OR valid_from <= ?)
                   AND (valid_to IS NULL OR ? <= valid_to)
               GROUP BY ALL
               HAVING sources > 1 OR min(share) < 0 OR sum(share) > 1 + 1e-6
                   OR abs(sum(share) - max(coverage)) > 1e-5
                   OR coalesce(max(unlocated), 0) NOT BETWEEN 0 AND 1""",
            [day, day],
        ).fetchall()
        assert not bad, (day, bad[:10])


def _rows_on(con: Any, day: date) -> dict[tuple[str, str, str], dict[str, float]]:
    """(method, area type, organisation) -> area -> share, of the org_area rows valid on `day`."""
    rows = con.execute(
        "SELECT method, area_type, org_code, area_code, share FROM org_area "
        "WHERE (valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR ? <= valid_to)",
        [day, day],
    ).fetchall()
    out: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
    for method, area_type, org, area, share in rows:
        out[(str(method), str(area_type), str(org))][str(area)] = float(share)
    return out


def test_the_lookup_gives_the_org_area_rows_the_rollup_uses(figures_env: dict[str, Any]) -> None:
    """For every reporting organisation, method and type, on the dates of the grid: the lookup's
    shares are the organisation's org_area rows, or for an organisation carried on by others the
    rows of those organisations times their shares (what a restated roll-up sums); for an
    unweighted split both refuse with one reason."""
    lookup: Lookup = figures_env["lookup"]
    con = figures_env["numbers"].con
    steps = successions(figures_env)
    reporters = [
        str(r[0]) for r in con.execute("SELECT DISTINCT org_code FROM reporter").fetchall()
    ]
    days = (DAY, *(r.at for r in RESTATES if r.at))
    rows = {day: _rows_on(con, day) for day in days}
    checked, wrong = 0, []
    for code in sorted(reporters):
        if code not in lookup.asof.lifetimes:
            continue  # unregistered: the lookup does not know it (404 with near matches)
        for day in days:
            state = lookup.asof.organisation_on(code, day)
            if state.status not in ("open", "closed"):
                continue
            shares, unweighted = carried_on(code, day, steps)
            for method in METHODS:
                for area_type in area_types(figures_env):
                    answer = lookup.lookup(code, area_type, day, method)
                    checked += 1
                    if unweighted:
                        if answer.areas or answer.reason != unweighted_split_reason(unweighted):
                            wrong.append((code, day, method, area_type, "split", answer.reason))
                        continue
                    expected: dict[str, float] = defaultdict(float)
                    for target, weight in shares:
                        for area, share in rows[day].get((method, area_type, target), {}).items():
                            expected[area] += weight * share
                    got = {a["code"]: a["share"] for a in answer.areas}
                    if set(got) != set(expected) or any(
                        abs(got[a] - expected[a]) > 1e-5 for a in got
                    ):
                        wrong.append((code, day, method, area_type, got, dict(expected)))
    assert checked > 5000
    assert not wrong, wrong[:5]


# ------------------------------------------------------------------ steward round trip
CHANGE_SET = {
    "id": "figures-rw6-axg",
    "author": "tests",
    "reason": "RW6's split weights as agreed; AXG is a South West provider",
    "changes": [
        {
            "record_succession": {
                "type": "Split",
                "predecessors": ["RW6"],
                "successors": ["R0A", "RM3"],
                "date": "2021-10-01",
                "weights": {"R0A": 0.3, "RM3": 0.7},
            }
        },
        {
            "assign_provider": {
                "code": "AXG",
                "class": "Organisation",
                "name": "AXG (independent provider)",
                "region": "Y58",
                "from": "2020-04-01",
            }
        },
    ],
}
# The figures predicted by the dry run, and compared after apply and after revert.
QUESTIONS = [
    FigureQuestion(BEDS, "ICB", DAY, Method.HEADQUARTERS, to_organisations_at(date(2026, 4, 1))),
    FigureQuestion(BEDS, "NHS_REGION", DAY, Method.ODS_STATED),
    FigureQuestion(BEDS, "LRF", DAY, Method.CATCHMENT, to_organisations_at(date(2022, 1, 1))),
    FigureQuestion(BEDS, "LRF", RANGE, Method.SITES, to_organisations_at(date(2026, 4, 1))),
]


def _figures(env: dict[str, Any]) -> list[RollupResult]:
    return [
        run(env, q.metric, q.area_type, q.when, q.method.value, q.restate, detail=True)
        for q in QUESTIONS
    ]


def _grid(env: dict[str, Any]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Every method and type, as reported and restated, on one date: rows and unmapped."""
    out = {}
    for method in METHODS:
        for area_type in area_types(env):
            for restate in RESTATES:
                r = run(env, BEDS, area_type, DAY, method, restate)
                out[(method, area_type, restate.at)] = (
                    sorted((x.area, x.value) for x in r.rows),
                    r.unmapped_summary.total,
                )
    return out


def test_check_predicts_apply_and_revert_restores_every_figure(
    figures_env: dict[str, Any],
) -> None:
    store, numbers = figures_env["store"], figures_env["numbers"]
    changeset = parse_changeset(CHANGE_SET)
    grid_before, before = _grid(figures_env), _figures(figures_env)
    predicted: list[FigureEffect] = []

    def hook(current: Any, candidate: Any) -> FigureEffect:
        predicted.extend(figure_effect(numbers, q, current, candidate) for q in QUESTIONS)
        return predicted[0]

    dry = check(store, changeset, hook)
    assert dry.status == "valid", dry.text()
    assert apply(store, changeset, numbers).status == "applied"
    try:
        after = _figures(figures_env)
        _check_applied(predicted, before, after)
        _assert_refreshed_as_placed_afresh(store, numbers, ["RW6", "AXG"])
    finally:
        revert(store, changeset.id, author="tests", reason="round trip", numbers=numbers)
    _assert_same_grid(_grid(figures_env), grid_before)
    for restored, old in zip(_figures(figures_env), before, strict=True):
        assert not compare(old, restored)  # every row's value, to float noise
        assert restored.unmapped_summary.total == pytest.approx(
            old.unmapped_summary.total, rel=1e-9, abs=1e-9
        )
        assert restored.unmapped_summary.organisations == old.unmapped_summary.organisations


def _assert_refreshed_as_placed_afresh(store: Any, numbers: NumbersStore, codes: list[str]) -> None:
    """The org_area rows apply wrote for the organisations it touched (placed each epoch on
    its own) are those of placing them afresh as a whole-table build does (catchment states
    shared between epochs), to 6 places, evidence aside."""
    organisations = sorted(SuccessionIndex.from_store(store).later_carriers(codes))
    assert set(codes) <= set(organisations)
    compared = [c for c in COLUMNS if c != "evidence"]
    types = [
        str(r[0]) for r in numbers.con.execute("SELECT DISTINCT area_type FROM org_area").fetchall()
    ]
    table = numbers.con.execute(
        f"SELECT {', '.join(compared)} FROM org_area WHERE list_contains(?, org_code)",
        [organisations],
    ).fetchall()
    afresh = org_area_rows(Placer.from_store(store), area_types=types, organisations=organisations)

    def rounded(rows: Any) -> list[tuple[Any, ...]]:
        return sorted(tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in rows)

    want = rounded(tuple(getattr(r, c) for c in compared) for r in afresh)
    assert len(want) > 10 and rounded(table) == want


def _assert_same_grid(got: dict[Any, Any], want: dict[Any, Any]) -> None:
    """Every figure of the grid restored: the same areas, values equal to float noise (DuckDB
    sums in no fixed order)."""
    assert got.keys() == want.keys()
    for key, (rows, unmapped) in want.items():
        found_rows, found_unmapped = got[key]
        assert [a for a, _ in found_rows] == [a for a, _ in rows], key
        assert [v for _, v in found_rows] == pytest.approx([v for _, v in rows], rel=1e-9), key
        assert found_unmapped == pytest.approx(unmapped, rel=1e-9, abs=1e-9), key


def _changes(changes: list[RowChange]) -> list[tuple[Any, ...]]:
    """Row changes to 6 places (the two sides sum the same shares in different orders)."""
    return [
        (c.area, c.period_start, *(None if v is None else round(v, 6) for v in (c.before, c.after)))
        for c in changes
    ]


def _check_applied(
    predicted: list[FigureEffect], before: list[RollupResult], after: list[RollupResult]
) -> None:
    for effect, old, new in zip(predicted, before, after, strict=True):
        actual = _changes(compare(old, new))
        assert _changes(effect.changes) == actual, effect.question.describe()
    # RW6's weights reach the restated roll-up: no longer unmapped, 30% to R0A and 70% to RM3.
    assert not [u for u in after[0].unmapped if u.organisation == "RW6"]
    assert [c.as_dict() for c in compare(before[0], after[0])], "RW6's beds now placed"
    shares = {
        (c.organisation, c.restatement_share)
        for r in after[0].rows
        for c in r.contributors
        if c.reported_by == "RW6"
    }
    assert shares == {("R0A", 0.3), ("RM3", 0.7)}
    # AXG's values are placed in the South West once its region is stated.
    assert not [u for u in after[1].unmapped if u.organisation == "AXG"]
    assert [u for u in before[1].unmapped if u.organisation == "AXG"]
