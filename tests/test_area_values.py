"""Values reported by area on small slices of the UKHSA files: mappings, suppressed cells,
releases, revisions, area-to-area roll-ups and every bad input (rejected, nothing written)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from service.mapping.spec import MappingError
from service.rdf.store import GraphStore
from service.rdf.vocab import NHSKG
from service.reference.placement import Reference
from service.returns.area_load import load_area_file
from service.returns.area_spec import all_area_mappings, parse_area_mapping
from service.returns.numbers import NumbersStore
from service.returns.revisions import revisions
from service.rollup.area_places import successions
from service.rollup.areas import UNKNOWN, area_rollup, published_totals
from service.rollup.engine import RollupError
from service.rollup.model import to_organisations_at
from tests.support.areas import cases_file, msoa_file, small_reference

CASES = str(NHSKG.LabConfirmedCases)
WEEKLY = str(NHSKG.LabConfirmedCasesWeekly)
DAY = date(2020, 8, 1)


@pytest.fixture
def ref() -> Reference:
    return small_reference()


@pytest.fixture
def numbers() -> NumbersStore:
    return NumbersStore(None)


def _rows(day: date, lad1: int, lad2: int, merged: int, region: int) -> list[tuple[str, ...]]:
    d = day.isoformat()
    return [
        ("E07000001", "ltla", d, str(lad1)),
        ("E07000002", "ltla", d, str(lad2)),
        ("E06000001", "ltla", d, str(merged)),
        ("E06000001", "utla", d, str(merged)),  # a unitary authority: both types, one value each
        ("E10000001", "utla", d, str(lad1 + lad2)),
        ("E12000001", "region", d, str(region)),
        ("E92000001", "nation", d, str(region)),
    ]


def _batches(numbers: NumbersStore) -> int:
    row = numbers.con.execute("SELECT count(*) FROM batch").fetchone()
    return int(row[0]) if row else 0


def test_every_area_mapping_parses_and_names_metrics_reported_by_area() -> None:
    found = {m.id: m for m in all_area_mappings()}
    assert {"ukhsa-cases-by-area", "ukhsa-cases-msoa-weekly", "ukhsa-admissions-by-age"} <= set(
        found
    )
    assert found["ukhsa-cases-msoa-weekly"].suppressed == ("-99",)


def test_an_organisation_metric_in_an_area_mapping_is_refused() -> None:
    data = {
        "id": "x",
        "title": "x",
        "dataset": {"id": "x", "title": "x"},
        "files": "x.csv",
        "source": {
            "format": "csv",
            "layout": "rows",
            "columns": {"code": "c", "name": "n"},
            "metrics": {"v": "BedsOccupied"},
        },
        "area_type": "LAD",
    }
    with pytest.raises(MappingError, match="reported by organisations"):
        parse_area_mapping(data)


def test_cases_load_one_value_per_area_type_metric_and_day(
    tmp_path: Path, ref: Reference, numbers: NumbersStore, memory_store: GraphStore
) -> None:
    path = cases_file(tmp_path, "2020-08-14", _rows(DAY, 3, 4, 5, 12))
    result = load_area_file(memory_store, numbers, path, ref)
    assert result.status == "loaded", result.report.findings
    assert result.values == 7 * 2  # daily and cumulative
    duplicates = numbers.con.execute(
        "SELECT count(*) FROM (SELECT reported_code, area_type, metric, period_start "
        "FROM reported_value GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()
    assert duplicates == (0,)
    types = numbers.con.execute(
        "SELECT area_type FROM reported_value WHERE reported_code = 'E06000001' AND metric = ? "
        "ORDER BY 1",
        [CASES],
    ).fetchall()
    assert types == [("LAD",), ("UTLA",)]


def test_lads_roll_up_to_lrf_and_region_without_counting_utlas_twice(
    tmp_path: Path, ref: Reference, numbers: NumbersStore, memory_store: GraphStore
) -> None:
    load_area_file(
        memory_store, numbers, cases_file(tmp_path, "2020-08-14", _rows(DAY, 3, 4, 5, 13)), ref
    )
    lrf = area_rollup(numbers, CASES, "LRF", DAY)
    assert lrf.reported_type == "LAD"
    assert {r.area: r.value for r in lrf.rows} == {"E48000001": 7.0, "E48000002": 5.0}
    region = area_rollup(numbers, CASES, "ONS_REGION", DAY)
    assert [(r.area, r.value, r.coverage.reported) for r in region.rows] == [("E12000001", 12, 3)]
    totals, unmapped = published_totals(numbers, CASES, "LAD", "ONS_REGION", DAY)
    assert [(t.area, t.published, t.parts, t.difference) for t in totals] == [
        ("E12000001", 13.0, 12.0, 1.0)
    ]
    assert unmapped == {}
    nation, _ = published_totals(numbers, CASES, "LAD", "NATION", DAY)
    assert [(t.published, t.parts) for t in nation] == [(13.0, 12.0)]


def test_a_type_finer_than_reported_is_an_error_that_says_so(
    tmp_path: Path, ref: Reference, numbers: NumbersStore, memory_store: GraphStore
) -> None:
    rows = [r for r in _rows(DAY, 1, 2, 3, 6) if r[1] in ("region", "nation")]
    load_area_file(memory_store, numbers, cases_file(tmp_path, "2020-08-14", rows), ref)
    with pytest.raises(RollupError, match="finer than the areas reported"):
        area_rollup(numbers, CASES, "LRF", DAY)
    assert [r.value for r in area_rollup(numbers, CASES, "ONS_REGION", DAY).rows] == [6.0]


def test_an_organisation_metric_is_not_rolled_up_by_area(numbers: NumbersStore) -> None:
    with pytest.raises(RollupError, match="reported by organisations"):
        area_rollup(numbers, str(NHSKG.BedsOccupied), "LRF", DAY)


def test_suppressed_msoa_counts_are_kept_as_suppressed_and_counted(
    tmp_path: Path, ref: Reference, numbers: NumbersStore, memory_store: GraphStore
) -> None:
    path = msoa_file(
        tmp_path,
        "2020-10-12",
        [("E02000001", "E07000001", ["-99", "4", "-99"]), ("E02000002", "E07000001", ["3"] * 3)],
    )
    result = load_area_file(memory_store, numbers, path, ref)
    assert result.status == "loaded", result.report.findings
    assert (result.values, result.suppressed) == (6, 2)
    stored = numbers.con.execute(
        "SELECT count(*) FROM reported_value WHERE marker = 'suppressed' AND value IS NULL"
    ).fetchone()
    assert stored == (2,)
    assert numbers.con.execute(
        "SELECT count(*) FROM reported_value WHERE value < 0"
    ).fetchone() == (0,)
    week5 = date.fromisocalendar(2020, 5, 1)
    lad = area_rollup(numbers, WEEKLY, "LAD", week5)
    assert [(r.area, r.value, r.suppressed) for r in lad.rows] == [("E07000001", 3.0, 1)]
    over = area_rollup(numbers, WEEKLY, "LRF", (week5, date.fromisocalendar(2020, 7, 7)))
    assert [(r.value, r.suppressed) for r in over.rows] == [(4.0 + 9.0, 2)]


def test_a_later_release_answers_and_revisions_are_exact(
    tmp_path: Path, ref: Reference, numbers: NumbersStore, memory_store: GraphStore
) -> None:
    first = cases_file(tmp_path, "2020-08-14", _rows(DAY, 3, 4, 5, 12))
    later = cases_file(tmp_path, "2020-08-28", _rows(DAY, 3, 6, 5, 14))
    assert load_area_file(memory_store, numbers, later, ref).status == "loaded"
    older = load_area_file(memory_store, numbers, first, ref)  # loaded after: kept as history
    assert (older.status, older.answering) == ("loaded", 0)
    assert {r.area: r.value for r in area_rollup(numbers, CASES, "LRF", DAY).rows} == {
        "E48000001": 9.0,
        "E48000002": 5.0,
    }
    as_known = area_rollup(numbers.known_at(date(2020, 8, 20)), CASES, "LRF", DAY)
    assert {r.area: r.value for r in as_known.rows}["E48000001"] == 7.0
    found = revisions(numbers, CASES, DAY, DAY, (date(2020, 8, 14), date(2020, 8, 28)))
    assert sorted((r.reporter, r.area_type, r.before, r.after) for r in found) == [
        ("E07000002", "LAD", 4.0, 6.0),
        ("E10000001", "UTLA", 7.0, 9.0),
        ("E12000001", "ONS_REGION", 12.0, 14.0),
        ("E92000001", "NATION", 12.0, 14.0),
    ]


@pytest.mark.parametrize(
    ("cell", "rule"),
    [
        ("-99", "cannot be negative"),  # UKHSA's marker where the mapping allows none
        ("many", "not a number"),
        ("2.5", "fraction"),
    ],
)
def test_a_bad_cell_rejects_the_file_and_writes_nothing(
    tmp_path: Path,
    ref: Reference,
    numbers: NumbersStore,
    memory_store: GraphStore,
    cell: str,
    rule: str,
) -> None:
    rows = _rows(DAY, 3, 4, 5, 12)
    rows[1] = ("E07000002", "ltla", DAY.isoformat(), cell)
    result = load_area_file(memory_store, numbers, cases_file(tmp_path, "2020-08-14", rows), ref)
    assert result.status == "rejected"
    assert any(rule in f.rule and f.column == "E3" for f in result.report.findings)
    assert _batches(numbers) == 0 and numbers.value_count() == 0


def test_an_unknown_area_type_rejects_the_file(
    tmp_path: Path, ref: Reference, numbers: NumbersStore, memory_store: GraphStore
) -> None:
    rows = [*_rows(DAY, 3, 4, 5, 12), ("E02000001", "msoa", DAY.isoformat(), "1")]
    result = load_area_file(memory_store, numbers, cases_file(tmp_path, "2020-08-14", rows), ref)
    assert result.status == "rejected"
    assert any("area type 'msoa'" in f.rule for f in result.report.findings)
    assert _batches(numbers) == 0


def test_a_file_of_unknown_area_codes_is_rejected(
    tmp_path: Path, ref: Reference, numbers: NumbersStore, memory_store: GraphStore
) -> None:
    rows = [("E07000999", "ltla", DAY.isoformat(), "1"), ("E07000998", "ltla", "2020-08-01", "2")]
    result = load_area_file(memory_store, numbers, cases_file(tmp_path, "2020-08-14", rows), ref)
    assert result.status == "rejected"
    assert "none of the file's 2 area codes" in result.report.findings[0].rule
    assert _batches(numbers) == 0


def test_an_unknown_area_code_is_kept_and_listed_unmapped_never_dropped(
    tmp_path: Path, ref: Reference, numbers: NumbersStore, memory_store: GraphStore
) -> None:
    rows = [*_rows(DAY, 3, 4, 5, 12), ("E07000999", "ltla", DAY.isoformat(), "2")]
    result = load_area_file(memory_store, numbers, cases_file(tmp_path, "2020-08-14", rows), ref)
    assert result.status == "loaded"
    assert result.unknown_areas == ["E07000999"]
    assert [w.value for w in result.warnings] == ["E07000999"]
    lrf = area_rollup(numbers, CASES, "LRF", DAY)
    assert [(u.organisation, u.value, u.reason) for u in lrf.unmapped] == [
        ("E07000999", 2.0, UNKNOWN)
    ]
    assert sum(r.value for r in lrf.rows) + lrf.unmapped_summary.total == 3 + 4 + 5 + 2


def test_data_cube_observations_of_areas_say_suppressed_and_their_type(
    tmp_path: Path, ref: Reference, numbers: NumbersStore, memory_store: GraphStore
) -> None:
    from service.returns.datacube import datacube_slice

    path = msoa_file(tmp_path, "2020-10-12", [("E02000001", "E07000001", ["-99", "4", "1"])])
    assert load_area_file(memory_store, numbers, path, ref).status == "loaded"
    graph = datacube_slice(numbers, "E02000001", WEEKLY)
    observations = set(graph.subjects(NHSKG.reportingAreaType, None))
    assert len(observations) == 3
    hidden = set(graph.subjects(NHSKG.suppressedValue, None))
    assert len(hidden) == 1 and not any(graph.objects(next(iter(hidden)), NHSKG.reportedValue))
    assert sorted(float(v) for v in graph.objects(None, NHSKG.reportedValue)) == [1.0, 4.0]


def test_a_store_from_before_values_by_area_is_migrated_when_opened_to_read(
    tmp_path: Path,
) -> None:
    import duckdb

    path = tmp_path / "numbers.duckdb"
    NumbersStore(path).close()
    con = duckdb.connect(str(path))
    for table in ("reported_value", "release_value"):
        con.execute(f"ALTER TABLE {table} DROP COLUMN marker")
        con.execute(f"ALTER TABLE {table} DROP COLUMN area_type")
    con.execute("ALTER TABLE reporter DROP COLUMN area_type")
    con.close()
    reader = NumbersStore(path, read_only=True)
    try:
        assert reader._has_column("release_value", "marker")
        assert reader._has_column("reporter", "area_type")
    finally:
        reader.close()


def _merged_district_reported(
    folder: Path, ref: Reference, numbers: NumbersStore, store: GraphStore
) -> None:
    """E07000003 (merged into E06000001 on 2020-04-01) reports 1 case on its last day and 6 on
    DAY, after the merger, beside the other districts."""
    rows = [*_rows(DAY, 3, 4, 5, 12), ("E07000003", "ltla", DAY.isoformat(), "6")]
    rows.append(("E07000003", "ltla", "2020-03-31", "1"))
    assert load_area_file(store, numbers, cases_file(folder, "2020-08-14", rows), ref).ok


def test_an_abolished_area_still_reported_is_unmapped_with_the_day_its_memberships_end(
    tmp_path: Path, ref: Reference, numbers: NumbersStore, memory_store: GraphStore
) -> None:
    _merged_district_reported(tmp_path, ref, numbers, memory_store)
    after = area_rollup(numbers, CASES, "LRF", DAY)
    assert [(u.organisation, u.value) for u in after.unmapped] == [("E07000003", 6.0)]
    assert "in no LRF after 2020-03-31" in after.unmapped[0].reason
    before = area_rollup(numbers, CASES, "LRF", date(2020, 3, 31))
    assert [(r.area, r.value) for r in before.rows] == [("E48000002", 1.0)]


def test_an_area_of_another_type_than_the_file_states_rejects_the_file(
    tmp_path: Path, ref: Reference, numbers: NumbersStore, memory_store: GraphStore
) -> None:
    rows = [*_rows(DAY, 3, 4, 5, 12), ("E48000001", "ltla", DAY.isoformat(), "1")]
    result = load_area_file(memory_store, numbers, cases_file(tmp_path, "2020-08-14", rows), ref)
    assert result.status == "rejected"
    assert [f.rule for f in result.report.findings] == [
        "area E48000001 is not a LAD in the graph (it is LRF): check the type column"
    ]
    assert _batches(numbers) == 0


def test_an_abolished_area_is_succeeded_by_the_area_holding_its_building_blocks(
    ref: Reference,
) -> None:
    assert successions(ref, ["E07000003", "E07000001", "E02000003", "E07000999"]) == [
        ("E07000003", date(2020, 4, 1), "E06000001", 1.0)
    ]


def test_values_restated_to_the_areas_of_a_date_move_to_the_successor(
    tmp_path: Path, ref: Reference, numbers: NumbersStore, memory_store: GraphStore
) -> None:
    _merged_district_reported(tmp_path, ref, numbers, memory_store)
    at = to_organisations_at(date(2021, 4, 1))
    restated = area_rollup(numbers, CASES, "LRF", DAY, restate=at)
    assert restated.restate == at  # the answer says to which date it is restated
    assert restated.unmapped == []
    assert {r.area: r.value for r in restated.rows if r.value} == {
        "E48000001": 3 + 4,
        "E48000002": 5 + 6,  # E06000001's own and E07000003's, restated to it
    }
    # A value of the abolished district's last day moves as well; as reported it stays its own.
    before = area_rollup(numbers, CASES, "LRF", date(2020, 3, 31), restate=at)
    assert {r.area: r.value for r in before.rows if r.value} == {"E48000002": 1.0}
    assert [(c.organisation, c.reported_by) for r in before.rows for c in r.contributors] == [
        ("E06000001", "E07000003")
    ]
    reported = area_rollup(numbers, CASES, "LRF", date(2020, 3, 31))
    assert [c.organisation for r in reported.rows for c in r.contributors] == ["E07000003"]
    # Restated to a date before the merger, the district is its own area still.
    early = area_rollup(numbers, CASES, "LRF", DAY, restate=to_organisations_at(date(2020, 3, 1)))
    assert {r.area: r.value for r in early.rows if r.value} == {"E48000001": 7.0, "E48000002": 11.0}
    assert "E07000003" in {c.organisation for r in early.rows for c in r.contributors}
