"""Real returns load whole, and roll up to NHS England's own published region totals."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from service.returns.load import load_return_file
from service.returns.readers import read_return, read_stated_totals
from service.returns.spec import all_return_mappings, load_return_mapping, mapping_for
from service.returns.steward import steward_queue
from service.rollup.engine import rollup
from service.rollup.model import Method
from service.vocab import NHSKG

COVID = "returns/covid-hospital-activity-2020-08-13.xlsx"
CHECKED_SHEETS = {
    "Total Beds OccCov": NHSKG.BedsOccupiedCovid,
    "Total Beds Occ": NHSKG.BedsOccupied,
    "MV Beds OccupiedCov": NHSKG.MechanicalVentilationBedsOccupiedCovid,
    "Admissions": NHSKG.CovidAdmissions,
}


def test_every_return_mapping_parses_and_names_known_metrics() -> None:
    mappings = all_return_mappings()
    assert {m.id for m in mappings} >= {"covid-hospital-activity", "kh03-beds", "ae-monthly-xls"}
    assert all(m.metrics for m in mappings)


@pytest.mark.parametrize("sheet", sorted(CHECKED_SHEETS))
def test_region_rollup_reproduces_published_region_totals(
    returns_env: dict[str, Any], shared_data: Path, sheet: str
) -> None:
    mapping = load_return_mapping("covid-hospital-activity")
    published = read_stated_totals(shared_data / COVID, mapping, sheet)
    regions = {code: name for name, code in mapping.regions.items()}
    days = sorted({d for _, d in published})
    result = rollup(
        returns_env["numbers"],
        str(CHECKED_SHEETS[sheet]),
        "NHS_REGION",
        (days[0], days[-1]),
        Method.RETURN_STATED,
        series=True,
    )
    ours = {(regions[r.area], r.period_start): r.value for r in result.rows}
    theirs = {k: v for k, v in published.items() if k[0] in mapping.regions}
    assert len(theirs) == 7 * len(days)
    assert ours == theirs
    england = {d: v for (label, d), v in published.items() if label == "ENGLAND"}
    for day, total in england.items():
        assert sum(v for (_, d), v in ours.items() if d == day) == total


def test_covid_publication_loads_every_value_with_unregistered_providers_queued(
    returns_env: dict[str, Any], shared_data: Path
) -> None:
    result, numbers = returns_env["covid"], returns_env["numbers"]
    values = read_return(shared_data / COVID, mapping_for(Path(COVID).name))
    assert numbers.value_count(result.batch) == len(values) == result.values
    queue = {p.code: p for p in steward_queue(returns_env["store"])}
    assert set(result.unregistered) <= set(queue)
    unknown = set(result.unregistered)
    stated = {c for c, n in zip(values.code, values.name, strict=True) if c in unknown}
    assert stated == unknown  # neither dropped nor renamed
    first = queue[sorted(unknown)[0]]
    assert first.name and first.regions and first.first_reported_in == result.batch


def test_batch_provenance_is_recorded(returns_env: dict[str, Any]) -> None:
    batch = returns_env["covid"].batch
    rows = returns_env["store"].select(
        """SELECT ?batch ?n ?file ?first ?last WHERE {
            ?batch a nhskg:ReturnBatch ; nhskg:valueCount ?n ; prov:wasDerivedFrom ?src ;
                   nhskg:firstPeriod ?first ; nhskg:lastPeriod ?last .
            ?src nhskg:fileName ?file }""",
    )
    mine = [r for r in rows if r["batch"] == batch]
    assert mine and mine[0]["n"] == returns_env["covid"].values
    assert mine[0]["first"] == date(2020, 3, 19) and mine[0]["last"] == date(2020, 8, 9)


@pytest.mark.parametrize(
    "file",
    [
        "returns/kh03-beds-2020-04-to-06.xlsx",
        "returns/kh03-beds-2020-07-to-09.xlsx",
        "returns/ae-monthly-xls/15-jul.xls",
        "returns/ae-monthly-xls/17-jan.xls",
        "returns/ae-monthly-xls/17-apr.xls",
        "returns/ae-monthly-xls/19-dec.xls",
        "returns/ae-monthly-2024-25/Monthly-AE-September-2024.csv",
        "returns/ae-monthly-2024-25/Monthly-AE-April-2025.csv",
    ],
)
def test_kh03_and_ae_returns_load(
    returns_env: dict[str, Any], shared_data: Path, file: str
) -> None:
    path = shared_data / file
    result = load_return_file(returns_env["store"], returns_env["numbers"], path)
    assert result.status in ("loaded", "unchanged"), result.report.text()
    expected = len(read_return(path, mapping_for(path.name)))
    assert expected > 0
    assert returns_env["numbers"].value_count(result.batch) == expected


def test_kh03_rollup_by_stated_region_matches_its_region_sheet(
    returns_env: dict[str, Any], shared_data: Path
) -> None:
    from python_calamine import CalamineWorkbook

    path = shared_data / "returns/kh03-beds-2020-04-to-06.xlsx"
    load_return_file(returns_env["store"], returns_env["numbers"], path)
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Region by Sector").to_python()
    published = {r[2]: r[4] for r in grid[16:] if str(r[2]).startswith("Y")}
    result = rollup(
        returns_env["numbers"],
        str(NHSKG.OvernightBedsAvailable),
        "NHS_REGION",
        date(2020, 4, 1),
        Method.RETURN_STATED,
    )
    ours = {r.area: r.value for r in result.rows}
    assert set(ours) == set(published)
    for region, total in published.items():
        assert ours[region] == pytest.approx(total, rel=1e-9)
