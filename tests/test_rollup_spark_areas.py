"""Values reported by area (method AREA_MEMBERSHIP, service/rollup/areas.py) rolled up on both
engines: DuckDB and Spark run the same area_rollup through the same SQL text
(service/rollup/engine.py, transpiled for Spark by service/rollup/spark.py) and must give the same
rows, suppressed cells, coverage, unmapped values with their reasons and published totals.

Synthetic: seeded UKHSA-shaped files (tests/support/areas.py) loaded by the real loader onto a
small geography with an ICB type added (a district split 0.6 / 0.4 between two ICBs), by LTLA
into LRFs, NHS regions and ICBs and by MSOA into ICBs, with suppressed cells, an unknown code,
a district reported after its abolition, two releases (as known at the earlier one) and a scope.
National: the real UKHSA cases and MSOA files on the session's national geography."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from service.geography.known_places import area_placements_known, placements_known
from service.rdf.store import GraphStore
from service.rdf.vocab import NHSKG
from service.reference import ReferenceData
from service.reference.placement import AREA, Area, Membership, Reference
from service.returns.area_load import load_area_file
from service.returns.numbers import NumbersStore
from service.rollup.areas import UNKNOWN, area_rollup, published_totals
from service.rollup.engine import RollupError, rollup
from service.rollup.model import (
    AS_REPORTED,
    Method,
    RollupResult,
    region,
    to_organisations_at,
)
from service.rollup.spark import SparkNumbers
from tests.spark_support import assert_same, close
from tests.support.areas import cases_file, msoa_file, small_reference
from tests.support.known_history import DORSET, ON, OTHER_LRF, record_history

pytestmark = pytest.mark.spark

CASES = str(NHSKG.LabConfirmedCases)
BEDS = str(NHSKG.BedsOccupiedCovid)
WEEKLY = str(NHSKG.LabConfirmedCasesWeekly)
FIRST = date(2020, 3, 20)  # E07000003 is abolished on 2020-03-31 (tests/support/areas.py)
DAYS = 30
LAST = FIRST + timedelta(days=DAYS - 1)
UNKNOWN_LAD, UNKNOWN_MSOA = "E07000999", "E02999999"
WEEKS = tuple(date.fromisocalendar(2020, w, 1) for w in (5, 6, 7))  # msoa_file's wk_05 .. wk_07


def reference_with_icbs() -> Reference:
    """tests/support/areas.py's geography with two ICBs: E07000002 split 0.6 / 0.4 between them,
    a fourth MSOA (in E07000002) so MSOAs reach both (E02000003 is the one that moves in the
    merger)."""
    ref = small_reference()
    ref.area_types["c:ICB"] = "ICB"
    start = date(2019, 4, 1)
    for code, *types in (("E54000001", "ICB"), ("E54000002", "ICB"), ("E02000004",)):
        ref.areas[AREA + code] = Area(AREA + code, code, code, frozenset(types))
    for member, parent, share, end in (
        ("E07000001", "E54000001", 1.0, None),
        ("E07000002", "E54000001", 0.6, None),
        ("E07000002", "E54000002", 0.4, None),
        ("E06000001", "E54000002", 1.0, None),
        ("E07000003", "E54000002", 1.0, date(2020, 3, 31)),
        ("E02000004", "E07000002", 1.0, None),
    ):
        m = Membership(f"m/{member}/{parent}", AREA + member, AREA + parent, start, end, share, "g")
        ref.memberships.setdefault(m.member, []).append(m)
    return ref


def case_rows(seed: int) -> list[tuple[str, str, str, str]]:
    """Daily cases: four districts (one abolished mid-range, still reported), an unknown one,
    the UTLAs, the region and England (totals the roll-up must not count twice)."""
    rng = random.Random(seed)
    rows = []
    for i in range(DAYS):
        day = (FIRST + timedelta(days=i)).isoformat()
        lads = {c: rng.randint(0, 40) for c in ("E07000001", "E07000002", "E06000001")}
        lads["E07000003"] = rng.randint(0, 9)
        lads[UNKNOWN_LAD] = rng.randint(1, 5)
        rows += [(c, "ltla", day, str(v)) for c, v in lads.items()]
        rows += [
            ("E06000001", "utla", day, str(lads["E06000001"])),
            ("E10000001", "utla", day, str(lads["E07000001"] + lads["E07000002"])),
            ("E12000001", "region", day, str(sum(lads.values()) + 1)),
            ("E92000001", "nation", day, str(sum(lads.values()) + 2)),
        ]
    return rows


def msoa_rows() -> list[tuple[str, str, list[str]]]:
    """Weekly MSOA counts with suppressed cells (-99) and an MSOA the graph does not hold."""
    return [
        ("E02000001", "E07000001", ["-99", "4", "11"]),
        ("E02000002", "E07000001", ["3", "-99", "-99"]),
        ("E02000004", "E07000002", ["7", "5", "-99"]),
        (UNKNOWN_MSOA, "E07000002", ["6", "-99", "8"]),
    ]


@pytest.fixture(scope="module")
def engines(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One numbers store loaded by the real loader (two case releases, one MSOA release), and
    its tables on Spark."""
    folder = tmp_path_factory.mktemp("areas-spark")
    ref, numbers, store = reference_with_icbs(), NumbersStore(None), GraphStore(None)
    files = [
        cases_file(folder, "2020-04-20", case_rows(1)),
        cases_file(folder, "2020-04-27", case_rows(2)),
        msoa_file(folder, "2020-10-12", msoa_rows()),
    ]
    for path in files:
        result = load_area_file(store, numbers, path, ref)
        assert result.status == "loaded", result.report.findings[:3]
    on_spark = SparkNumbers.from_numbers(spark, numbers, folder / "parquet")
    return {"duck": numbers, "spark": on_spark}


def both(env: dict[str, Any], *args: Any, **kwargs: Any) -> tuple[RollupResult, RollupResult]:
    return area_rollup(env["duck"], *args, **kwargs), area_rollup(env["spark"], *args, **kwargs)


@pytest.mark.parametrize(
    ("metric", "area_type", "when", "detail"),
    [
        (CASES, "LRF", date(2020, 3, 25), True),  # E07000003 still placed
        (CASES, "LRF", date(2020, 4, 10), True),  # E07000003 reported after its abolition
        (CASES, "NHS_REGION", date(2020, 4, 10), True),
        (CASES, "ICB", date(2020, 4, 10), True),  # a district split 0.6 / 0.4
        (CASES, "LRF", (FIRST, LAST), True),  # a flow over the range: one row per area
        (CASES, "NHS_REGION", (FIRST, LAST), False),
        (WEEKLY, "ICB", WEEKS[0], True),
        (WEEKLY, "ICB", (WEEKS[0], WEEKS[-1]), False),
        (WEEKLY, "LAD", WEEKS[1], True),
    ],
    ids=[
        "ltla-lrf-placed", "ltla-lrf-abolished", "ltla-nhs-region", "ltla-icb-split",
        "ltla-lrf-range", "ltla-nhs-region-summary", "msoa-icb", "msoa-icb-range-summary",
        "msoa-lad",
    ],
)  # fmt: skip
def test_area_rollups_agree(
    engines: dict[str, Any], metric: str, area_type: str, when: Any, detail: bool
) -> None:
    duck, spark = both(engines, metric, area_type, when, detail=detail)
    assert duck.rows, "no rows: the comparison would prove nothing"
    assert duck.reported_type == ("MSOA" if metric == WEEKLY else "LAD")
    assert_same(duck, spark)
    if detail:  # each way a value goes unmapped is on both sides
        who = {u.organisation: u.reason for u in duck.unmapped}
        assert who.get(UNKNOWN_MSOA if metric == WEEKLY else UNKNOWN_LAD) == UNKNOWN, who


def test_values_restated_to_the_areas_of_a_date_agree(engines: dict[str, Any]) -> None:
    """E07000003, abolished on 2020-03-31 and still reported, restated to the areas of 2021:
    its cases move to E06000001 on both engines (area_succession read on Spark too)."""
    at = to_organisations_at(date(2021, 4, 1))
    duck, spark = both(engines, CASES, "LRF", date(2020, 4, 10), detail=True, restate=at)
    assert duck.restate == at and spark.restate == at
    assert not [u for u in duck.unmapped if u.organisation == "E07000003"], duck.unmapped
    moved = [c for r in duck.rows for c in r.contributors if c.reported_by == "E07000003"]
    assert moved, "nothing restated: the comparison would prove nothing"
    assert_same(duck, spark)


def test_suppressed_cells_and_unknown_areas_are_counted_the_same(engines: dict[str, Any]) -> None:
    """Per week, the suppressed MSOA cells in areas plus among the unmapped are every -99 of the
    file, and the unknown MSOA's counts are unmapped, on both engines."""
    cells = msoa_rows()
    for engine in ("duck", "spark"):
        by_lad = area_rollup(engines[engine], WEEKLY, "LAD", (WEEKS[0], WEEKS[-1]), series=True)
        for i, week in enumerate(WEEKS):
            hidden = sum(1 for _, _, weeks in cells if weeks[i] == "-99")
            rows = [r for r in by_lad.rows if r.period_start == week]
            lost = [u for u in by_lad.unmapped if u.period_start == week]
            assert sum(r.suppressed for r in rows) + sum(u.suppressed for u in lost) == hidden
            unknown = cells[-1][2][i]
            hidden_here = unknown == "-99"  # listed with no value and its suppressed cell
            assert [(u.organisation, u.value, u.suppressed) for u in lost] == [
                (UNKNOWN_MSOA, 0.0 if hidden_here else float(unknown), int(hidden_here))
            ]


def test_the_split_district_counts_its_share_in_each_icb(engines: dict[str, Any]) -> None:
    day = date(2020, 4, 10)
    lads = {c: float(v) for c, kind, d, v in case_rows(2) if kind == "ltla" and d == str(day)}
    duck, spark = both(engines, CASES, "ICB", day)
    for result in (duck, spark):
        found = {r.area: r.value for r in result.rows}
        assert close(found["E54000001"], lads["E07000001"] + 0.6 * lads["E07000002"])
        assert close(found["E54000002"], lads["E06000001"] + 0.4 * lads["E07000002"])


def test_as_known_at_the_earlier_release_and_a_scope_agree(engines: dict[str, Any]) -> None:
    day = date(2020, 4, 5)
    earlier = {"duck": engines["duck"].known_at(date(2020, 4, 20))}
    earlier["spark"] = engines["spark"].known_at(date(2020, 4, 20))
    duck, spark = both(earlier, CASES, "LRF", day)
    assert_same(duck, spark)
    lads = {c: float(v) for c, kind, d, v in case_rows(1) if kind == "ltla" and d == str(day)}
    assert {r.area: r.value for r in duck.rows} == {
        "E48000001": lads["E07000001"] + lads["E07000002"],
        "E48000002": lads["E06000001"],
    }
    latest, _ = both(engines, CASES, "LRF", day)
    assert {r.area: r.value for r in latest.rows} != {r.area: r.value for r in duck.rows}
    duck, spark = both(engines, CASES, "LRF", day, scope=region("E40000001"))
    assert duck.rows
    assert_same(duck, spark)


def test_published_totals_agree(engines: dict[str, Any]) -> None:
    for total in ("ONS_REGION", "NATION"):
        duck = published_totals(engines["duck"], CASES, "LAD", total, (FIRST, LAST))
        spark = published_totals(engines["spark"], CASES, "LAD", total, (FIRST, LAST))
        assert len(duck[0]) == DAYS
        assert [(t.area, t.period_start, t.published) for t in duck[0]] == [
            (t.area, t.period_start, t.published) for t in spark[0]
        ]
        assert all(close(a.parts, b.parts) for a, b in zip(duck[0], spark[0], strict=True))
        assert duck[1].keys() == spark[1].keys()
        assert all(close(duck[1][k], spark[1][k]) for k in duck[1])


def test_bad_area_requests_fail_the_same_way_on_spark(engines: dict[str, Any]) -> None:
    for engine in ("duck", "spark"):
        with pytest.raises(RollupError, match="finer than the areas reported"):
            area_rollup(engines[engine], CASES, "MSOA", FIRST)
        with pytest.raises(RollupError, match="is not reported by UTLA; it is by"):
            area_rollup(engines[engine], WEEKLY, "ICB", WEEKS[0], reported_type="UTLA")
        with pytest.raises(RollupError, match="reported by organisations"):
            area_rollup(engines[engine], BEDS, "LRF", FIRST)


# ------------------------------------------- placed as the reference was known at a date


@pytest.fixture(scope="module")
def history(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return record_history(sample_store, tmp_path_factory.mktemp("spark-known-at"))


@pytest.mark.parametrize("areas", [False, True], ids=["beds-by-headquarters", "cases-by-area"])
def test_rollups_as_known_before_a_correction_agree(
    history: dict[str, Any], spark: Any, tmp_path: Path, areas: bool
) -> None:
    """Asked as known before a steward moved BCP to another LRF, Spark places by the tables
    DuckDB builds for that date (as `nhskg rollup --engine spark --as-known-at` does), not by
    today's: both engines put BCP's trusts' beds, and BCP's cases, in Dorset LRF."""
    numbers, day = history["numbers"], date.fromisoformat(ON)
    loaded = history["loaded"]
    reference = ReferenceData.current(history["store"]).known_at(loaded, earliest_held=True)
    assert reference.serial > 0, "the correction is not in the history: nothing to prove"
    if areas:
        placed = numbers.areas_placed_by(*area_placements_known(numbers, reference))
    else:
        placed = numbers.placed_by(placements_known(numbers, reference, "LRF"))
    on_spark = SparkNumbers.from_numbers(spark, placed, tmp_path / "pq")

    def asked(source: Any) -> RollupResult:
        if areas:
            return area_rollup(source, CASES, "LRF", day)
        return rollup(source, BEDS, "LRF", day, Method("HEADQUARTERS"), AS_REPORTED)

    duck, then = asked(placed.known_at(loaded)), asked(on_spark.known_at(loaded))
    assert_same(duck, then)
    before = {r.area: r.value for r in duck.rows}
    now = {r.area: r.value for r in asked(numbers).rows}
    assert OTHER_LRF not in before and before[DORSET] > 0, before
    assert now.get(OTHER_LRF, 0) > 0, now  # today's placements would have given this
    assert sum(now.values()) == pytest.approx(sum(before.values()))


# ---------------------------------------------------------------- the real UKHSA files

NATIONAL_FILES = (
    "cases-ltla-utla-region-nation-release-2020-08-14.csv",
    "cases-msoa-weekly-release-2020-10-19.csv",
)


@pytest.mark.national
def test_ukhsa_area_rollups_agree(
    geo_placer: Any, shared_data: Path, spark: Any, tmp_path: Path
) -> None:
    """LTLA -> LRF and -> NHS region, MSOA -> ICB on the real files (suppressed cells, the MSOA
    file's unknown code), on the session's national geography (no national store is loaded
    here: the files' values go to a numbers store of their own)."""
    numbers, store = NumbersStore(tmp_path / "numbers.duckdb"), GraphStore(None)
    reference, geography = geo_placer.reference, geo_placer.ctx.rollup
    for name in NATIONAL_FILES:
        path = shared_data / "areas" / "ukhsa" / name
        result = load_area_file(store, numbers, path, reference, rollup=geography)
        assert result.status == "loaded", result.report.findings[:3]
    env = {"duck": numbers, "spark": SparkNumbers.from_numbers(spark, numbers, tmp_path / "pq")}
    monday = date.fromisocalendar(2020, 40, 1)
    for metric, area_type, when in (
        (CASES, "LRF", date(2020, 8, 10)),
        (CASES, "NHS_REGION", (date(2020, 7, 1), date(2020, 7, 31))),
        (WEEKLY, "ICB", monday),
    ):
        duck, spark = both(env, metric, area_type, when)
        assert duck.rows and duck.unmapped, (metric, area_type)
        assert_same(duck, spark)
    assert sum(r.suppressed for r in duck.rows) > 0  # MSOA by ICB: the file's -99 cells
    assert any(u.reason == UNKNOWN for u in duck.unmapped)
