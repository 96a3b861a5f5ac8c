"""Values reported by area on the real UKHSA files (../shared/data/areas/ukhsa), each invariant
checked against the files read independently here with the csv and json modules."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.rdf.store import GraphStore
from service.rdf.terms import MAPPINGS_DIR
from service.rdf.vocab import NHSKG
from service.returns.area_load import load_area_file
from service.returns.numbers import NumbersStore
from service.returns.revisions import revisions
from service.rollup.areas import UNKNOWN, area_rollup, published_totals
from service.rollup.engine import RollupError
from service.rollup.model import to_organisations_at
from tests.support.stores import backup_store

pytestmark = pytest.mark.national

CASES = str(NHSKG.LabConfirmedCases)
WEEKLY = str(NHSKG.LabConfirmedCasesWeekly)
AGES = ("Aged0to5", "Aged6to17", "Aged18to64", "Aged65to84", "Aged85Plus")
FIRST, LATER = date(2020, 8, 14), date(2020, 8, 28)
FILES = (
    "cases-ltla-utla-region-nation-release-2020-08-14.csv",
    "cases-ltla-utla-region-nation-release-2020-08-28.csv",
    "cases-msoa-weekly-release-2020-10-12.csv",
    "cases-msoa-weekly-release-2020-10-19.csv",
    "admissions-by-age-nhsregion-release-2020-12-24.json",
    "admissions-by-age-nhsregion-release-2020-12-31.json",
)


@pytest.fixture(scope="module")
def ukhsa(shared_data: Path) -> Path:
    return shared_data / "areas" / "ukhsa"


@pytest.fixture(scope="module")
def area_env(
    national_store: GraphStore,
    geo_placer: Any,
    ukhsa: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """A copy of the national store and a numbers store with every UKHSA file loaded, later
    releases first for the cases (an older release loaded after is history, never summed)."""
    target = tmp_path_factory.mktemp("areas") / "store"
    backup_store(national_store, target)
    store = GraphStore(target)
    numbers = NumbersStore(target.parent / "numbers.duckdb")
    reference, rollup = geo_placer.reference, geo_placer.ctx.rollup
    order = [FILES[1], FILES[0], *FILES[2:]]
    results = {
        name: load_area_file(store, numbers, ukhsa / name, reference, rollup=rollup)
        for name in order
    }
    assert all(r.status == "loaded" for r in results.values()), {
        n: r.report.findings[:3] for n, r in results.items()
    }
    return {"store": store, "numbers": numbers, "results": results}


def _cases(path: Path) -> dict[tuple[str, str, str], int]:
    with path.open(newline="") as f:
        return {
            (r["Area code"], r["Area type"], r["Specimen date"]): int(
                r["Daily lab-confirmed cases"]
            )
            for r in csv.DictReader(f)
        }


def test_revisions_between_the_case_releases_are_exactly_the_files_differences(
    area_env: dict[str, Any], ukhsa: Path
) -> None:
    before, after = _cases(ukhsa / FILES[0]), _cases(ukhsa / FILES[1])
    types = {"ltla": "LAD", "utla": "UTLA", "region": "ONS_REGION", "nation": "NATION"}
    expected = {
        (code, types[kind], day, before[k], after[k])
        for k in before.keys() & after.keys()
        for code, kind, day in [k]
        if before[k] != after[k]
    }
    found = revisions(area_env["numbers"], CASES, date(2020, 1, 1), LATER, (FIRST, LATER))
    got = {(r.reporter, r.area_type, r.period_start.isoformat(), r.before, r.after) for r in found}
    assert len(found) == len(expected) == 3677
    assert got == expected


def test_admissions_by_age_have_no_revisions(area_env: dict[str, Any]) -> None:
    releases = (date(2020, 12, 24), date(2020, 12, 31))
    for age in AGES:
        metric = str(NHSKG[f"CumulativeCovidAdmissions{age}"])
        assert revisions(area_env["numbers"], metric, date(2020, 1, 1), releases[1], releases) == []
    loaded = area_env["results"]
    assert (loaded[FILES[4]].values, loaded[FILES[5]].values) == (2224 * 5, 2272 * 5)


def test_one_value_per_area_metric_and_period_per_release_and_answering(
    area_env: dict[str, Any],
) -> None:
    con = area_env["numbers"].con
    key = "reported_code, area_type, metric, period_start, period_end"
    per_release = f"SELECT batch_id, {key} FROM release_value GROUP BY ALL HAVING count(*) > 1"
    answering = f"SELECT {key} FROM reported_value GROUP BY ALL HAVING count(*) > 1"
    assert con.execute(f"SELECT count(*) FROM ({per_release})").fetchone() == (0,)
    assert con.execute(f"SELECT count(*) FROM ({answering})").fetchone() == (0,)


def test_the_latest_release_answers_and_as_known_at_the_earlier_one_does(
    area_env: dict[str, Any], ukhsa: Path
) -> None:
    numbers: NumbersStore = area_env["numbers"]
    for known, name in ((None, FILES[1]), (date(2020, 8, 20), FILES[0])):
        published = {k: v for k, v in _cases(ukhsa / name).items() if k[1] == "ltla"}
        view = numbers.known_at(known)
        stored = {
            (code, "ltla", day.isoformat()): int(value)
            for code, day, value in numbers.con.execute(
                f"SELECT reported_code, period_start, value FROM {view.values} "
                "WHERE metric = ? AND area_type = 'LAD'",
                [CASES],
            ).fetchall()
        }
        # The later release covers more days; as known then, the earlier one's days only.
        assert {k: stored[k] for k in published} == published
    early = numbers.known_at(date(2020, 8, 20))
    last_day = early.con.execute(
        f"SELECT max(period_start) FROM {early.values} WHERE metric = ?", [CASES]
    ).fetchone()
    assert last_day == (FIRST,)


def _answering(ukhsa: Path) -> dict[tuple[str, str, str], int]:
    """What answers, computed from the files: per value, the later release's, else the earlier
    one's (releases are resolved per value: the 28 August file no longer gives Wycombe's first
    twenty days, so the 14 August file's values for them still answer)."""
    return {**_cases(ukhsa / FILES[0]), **_cases(ukhsa / FILES[1])}


def test_a_value_the_later_release_omits_answers_from_the_earlier(
    area_env: dict[str, Any], ukhsa: Path
) -> None:
    omitted = _cases(ukhsa / FILES[0]).keys() - _cases(ukhsa / FILES[1]).keys()
    assert len(omitted) == 42
    rows = (
        area_env["numbers"]
        .con.execute(
            "SELECT count(*) FROM reported_value v JOIN batch b USING (batch_id) "
            "WHERE v.metric = ? AND b.file = ?",
            [CASES, FILES[0]],
        )
        .fetchone()
    )
    assert rows == (len(omitted),)


def test_ltlas_plus_unplaced_equal_england_as_published_with_the_difference_reported(
    area_env: dict[str, Any], ukhsa: Path
) -> None:
    ltla: Counter[str] = Counter()
    nation: dict[str, int] = {}
    for (_, kind, day), value in _answering(ukhsa).items():
        if kind == "ltla":
            ltla[day] += value
        elif kind == "nation":
            nation[day] = value
    totals, unplaced = published_totals(
        area_env["numbers"], CASES, "LAD", "NATION", (date(2020, 1, 30), LATER)
    )
    assert {t.period_start.isoformat() for t in totals} == set(nation)
    for t in totals:
        day = t.period_start.isoformat()
        assert t.published == nation[day]
        assert t.parts + unplaced.get(t.period_start, 0.0) == ltla[day]
        # The difference is the published figure less the districts England holds that day
        # (a district that no lookup held places on a day is unplaced).
        assert t.difference == nation[day] - (ltla[day] - unplaced.get(t.period_start, 0.0))
    assert any(t.difference for t in totals)  # the real file's England rows exceed its LTLAs


def test_districts_a_merger_abolished_lie_in_england_once_restated(
    area_env: dict[str, Any], ukhsa: Path
) -> None:
    """The August 2020 file still reports districts abolished on 2020-04-01 (UKHSA used the 2019
    codes). As reported, NATION lists exactly the districts whose area succession had taken
    effect as unmapped, with the reason; restated to the areas of the day, every case of every
    district lies in England."""
    day = date(2020, 8, 10)
    ltla = sum(
        v for (_, kind, d), v in _answering(ukhsa).items() if kind == "ltla" and d == "2020-08-10"
    )
    numbers = area_env["numbers"]
    succeeded = {
        str(code)
        for (code,) in numbers.con.execute(
            "SELECT DISTINCT org_code FROM area_succession WHERE day <= ?", [day]
        ).fetchall()
    }
    reporting = {
        str(code)
        for (code,) in numbers.con.execute(
            "SELECT DISTINCT org_code FROM reported_value WHERE area_type = 'LAD' "
            "AND period_start = ?",
            [day],
        ).fetchall()
    }
    as_reported = area_rollup(numbers, CASES, "NATION", day)
    unmapped = {u.organisation for u in as_reported.unmapped}
    assert unmapped and unmapped == succeeded & reporting
    assert all("restate the roll-up" in (u.reason or "") for u in as_reported.unmapped)
    restated = area_rollup(numbers, CASES, "NATION", day, restate=to_organisations_at(day))
    assert not restated.unmapped
    assert [r.area for r in restated.rows] == ["E92000001"]
    assert restated.rows[0].value == ltla


def test_every_case_in_a_region_or_listed_unmapped(area_env: dict[str, Any], ukhsa: Path) -> None:
    day = date(2020, 8, 10)
    ltla = sum(
        v for (_, kind, d), v in _answering(ukhsa).items() if kind == "ltla" and d == "2020-08-10"
    )
    for by in ("ONS_REGION", "NHS_REGION", "LRF", "ICB"):
        result = area_rollup(area_env["numbers"], CASES, by, day)
        assert result.reported_type == "LAD"
        placed = sum(r.value for r in result.rows)
        assert placed + result.unmapped_summary.total == pytest.approx(ltla), by
        assert result.rows and all(r.coverage.reported <= r.coverage.expected for r in result.rows)
    totals, _ = published_totals(area_env["numbers"], CASES, "LAD", "ONS_REGION", day)
    assert len(totals) == 9 and all(t.published is not None for t in totals)


def _msoa_cells(path: Path) -> tuple[int, dict[str, dict[int, str]]]:
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    weeks = [h for h in rows[0] if h.startswith("wk_")]
    suppressed = sum(1 for r in rows for w in weeks if r[w] == "-99")
    return suppressed, {r["msoa11_cd"]: {int(w[3:]): r[w] for w in weeks} for r in rows}


def test_msoa_suppressed_cells_are_stored_as_suppressed_and_counted_in_roll_ups(
    area_env: dict[str, Any], ukhsa: Path
) -> None:
    suppressed, cells = _msoa_cells(ukhsa / FILES[3])
    assert area_env["results"][FILES[3]].suppressed == suppressed
    numbers: NumbersStore = area_env["numbers"]
    stored = numbers.con.execute(
        "SELECT count(*) FILTER (WHERE marker = 'suppressed' AND value IS NULL), "
        "count(*) FILTER (WHERE value < 0) FROM reported_value WHERE metric = ?",
        [WEEKLY],
    ).fetchone()
    assert stored == (suppressed, 0)
    monday = date.fromisocalendar(2020, 40, 1)
    week = {code: by_week[40] for code, by_week in cells.items()}
    result = area_rollup(numbers, WEEKLY, "ICB", monday)
    assert result.reported_type == "MSOA" and len(result.rows) >= 40
    placed = sum(r.value for r in result.rows) + result.unmapped_summary.total
    assert placed == pytest.approx(sum(int(v) for v in week.values() if v != "-99"))
    hidden = sum(1 for v in week.values() if v == "-99")
    # MSOAs lie in one district each: every suppressed cell is counted once.
    by_lad = area_rollup(numbers, WEEKLY, "LAD", monday)
    assert (
        sum(r.suppressed for r in by_lad.rows) + sum(u.suppressed for u in by_lad.unmapped)
        == hidden
    )
    # A district split between ICBs shares its MSOAs' cells: such a cell counts in each ICB.
    assert sum(r.suppressed for r in result.rows) >= hidden
    unknown = [u for u in result.unmapped if u.reason == UNKNOWN]
    assert [(u.organisation, u.value) for u in unknown] == [("xxxxxxxxx", float(week["xxxxxxxxx"]))]
    assert area_env["results"][FILES[3]].unknown_areas == ["xxxxxxxxx"]


def test_admissions_by_nhs_region_sum_to_england_and_refuse_finer_types(
    area_env: dict[str, Any], ukhsa: Path
) -> None:
    records = json.loads((ukhsa / FILES[5]).read_text())["data"]
    by_day: dict[str, dict[str, int]] = defaultdict(dict)
    for r in records:
        for item in r["cumAdmissionsByAge"]:
            if item["age"] == "85+":
                by_day[r["date"]][r["areaName"]] = item["value"]
    metric = str(NHSKG.CumulativeCovidAdmissionsAged85Plus)
    day = date(2020, 12, 27)
    totals, _ = published_totals(area_env["numbers"], metric, "NHS_REGION", "NATION", day)
    published = by_day[day.isoformat()]
    assert [(t.published, t.parts) for t in totals] == [
        (published["England"], sum(v for k, v in published.items() if k != "England"))
    ]
    with pytest.raises(RollupError, match="finer than the areas reported"):
        area_rollup(area_env["numbers"], metric, "LAD", day)


def test_vaccinations_by_ics_stp_roll_up_to_the_regions_the_file_states(
    area_env: dict[str, Any], shared_data: Path, geo_placer: Any
) -> None:
    path = shared_data / "areas" / "vaccinations" / "vaccinations-ics-stp-2021-03-18.csv"
    result = load_area_file(
        area_env["store"], area_env["numbers"], path, geo_placer.reference,
        rollup=geo_placer.ctx.rollup,
    )  # fmt: skip
    assert (result.status, result.values, result.unknown_areas) == ("loaded", 42 * 14, [])
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    day = date(2021, 3, 14)
    names = {a.code: a.label for a in geo_placer.reference.areas.values()}
    # Every metric of the mapping (both doses, every age band): the ICS/STP values through the
    # STP -> region memberships equal the sums by the region each row states.
    columns = load_mapping_metrics("nhse-vaccinations-ics-stp")
    assert len(columns) == 14
    for column, metric in columns.items():
        by_region: Counter[str] = Counter()
        for row in rows:
            by_region[row["Region of Residence"]] += int(row[column].strip().replace(",", ""))
        rolled = area_rollup(area_env["numbers"], str(NHSKG[metric]), "NHS_REGION", day)
        assert rolled.reported_type == "ICB" and rolled.unmapped_summary.total == 0, metric
        assert {names[r.area]: r.value for r in rolled.rows} == dict(by_region), metric


def load_mapping_metrics(mapping_id: str) -> dict[str, str]:
    """Column -> metric key of an area mapping (mappings/areas/ID.yaml), as the loader reads it."""
    spec = yaml.safe_load((MAPPINGS_DIR / "areas" / f"{mapping_id}.yaml").read_text())
    return dict(spec["source"]["metrics"])


BUCKINGHAMSHIRE = ("E07000004", "E07000005", "E07000006", "E07000007")  # merged 1 April 2020


def test_cases_restated_to_the_districts_of_a_date_move_to_the_merged_district(
    area_env: dict[str, Any], ukhsa: Path
) -> None:
    """The four Buckinghamshire districts the file still reports after their merger are unmapped
    as reported; restated to the districts of 2021 they are Buckinghamshire's (E06000060, which
    holds their MSOAs from 1 April 2020), in its LRF, and nothing is lost or counted twice."""
    numbers, july = area_env["numbers"], (date(2020, 7, 1), date(2020, 7, 31))
    answering = _answering(ukhsa)
    old = sum(
        v for (code, kind, d), v in answering.items()
        if code in BUCKINGHAMSHIRE and kind == "ltla" and "2020-07-01" <= d <= "2020-07-31"
    )  # fmt: skip
    assert old > 0
    reported = area_rollup(numbers, CASES, "LRF", july)
    assert {u.organisation for u in reported.unmapped} >= set(BUCKINGHAMSHIRE)
    at = to_organisations_at(date(2021, 4, 1))
    restated = area_rollup(numbers, CASES, "LRF", july, restate=at)
    assert restated.restate == at
    assert not {u.organisation for u in restated.unmapped} & set(BUCKINGHAMSHIRE)
    placed = sum(r.value for r in restated.rows) + restated.unmapped_summary.total
    assert placed == sum(r.value for r in reported.rows) + reported.unmapped_summary.total
    moved = [c for r in restated.rows for c in r.contributors if c.reported_by in BUCKINGHAMSHIRE]
    assert {c.organisation for c in moved} == {"E06000060"}
    assert sum(c.value * c.share for c in moved) == pytest.approx(old)
