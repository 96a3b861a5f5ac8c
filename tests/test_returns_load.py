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
        "returns/ae-monthly-xls/19-apr.xls",
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


AE_APRIL_2019 = "returns/ae-monthly-xls/19-apr.xls"
AE_TYPES = {
    "Type 1 Departments - Major A&E": NHSKG.AEAttendancesType1,
    "Type 2 Departments - Single Specialty": NHSKG.AEAttendancesType2,
    "Type 3 Departments - Other A&E/Minor Injury Unit": NHSKG.AEAttendancesOther,
}


def _published_england_row(path: Path) -> dict[str, float]:
    """The England row NHS England publishes above the provider rows, by column heading."""
    import xlrd

    sheet = xlrd.open_workbook(str(path)).sheet_by_name("Provider Level Data")
    rows = [sheet.row_values(i) for i in range(sheet.nrows)]
    heading = next(i for i, r in enumerate(rows) if "Code" in r and "Name" in r)
    england = next(r for r in rows[heading:] if str(r[3]).strip() == "England")
    return {str(h).strip(): england[j] for j, h in enumerate(rows[heading]) if h in AE_TYPES}


@pytest.fixture(scope="module")
def ae_april_2019(returns_env: dict[str, Any], shared_data: Path, geo_placer: Any) -> Any:
    """April 2019 A&E loaded, and the org_area table by SITES for LRFs built for the providers
    that report it and the organisations that carry them on (a national table takes minutes)."""
    from service.geography.table import org_area_rows
    from service.manifest import with_successors
    from service.returns.codes import graph_successions
    from service.rollup.engine import materialise_org_areas

    store, numbers = returns_env["store"], returns_env["numbers"]
    result = load_return_file(store, numbers, shared_data / AE_APRIL_2019)
    assert result.status in ("loaded", "unchanged"), result.report.text()
    successions = graph_successions(store)
    codes = {
        str(r[0])
        for r in numbers.con.execute(
            "SELECT DISTINCT org_code FROM reported_value WHERE batch_id = ?", [result.batch]
        ).fetchall()
    }
    orgs = sorted(with_successors(sorted(codes), successions))
    rows = org_area_rows(geo_placer, area_types=["LRF"], organisations=orgs)
    sites = [
        (r.area_type, r.org_code, r.area_code, r.share, r.valid_from, r.valid_to)
        for r in rows
        if r.method == "SITES"
    ]
    assert materialise_org_areas(numbers, sites, Method.SITES) == len(sites) > 0
    return result, successions


@pytest.mark.parametrize("heading", sorted(AE_TYPES))
def test_ae_april_2019_by_lrf_restated_to_2026_accounts_for_the_national_total(
    returns_env: dict[str, Any], shared_data: Path, ae_april_2019: Any, heading: str
) -> None:
    from service.rollup.model import to_organisations_at

    _, successions = ae_april_2019
    path = shared_data / AE_APRIL_2019
    metric = str(AE_TYPES[heading])
    values = read_return(path, mapping_for(path.name))
    providers = sum(
        v for v, m in zip(values.value, values.metric, strict=True) if m == metric and v
    )
    assert providers == _published_england_row(path)[heading]  # every provider's value loaded
    april = rollup(
        returns_env["numbers"],
        metric,
        "LRF",
        (date(2019, 4, 1), date(2019, 4, 30)),
        Method.SITES,
        to_organisations_at(date(2026, 7, 1)),
        successions=successions,
    )
    assert april.rows and all(r.area.startswith("E48") for r in april.rows)
    areas = sum(r.value for r in april.rows)
    unmapped = sum(u.value for u in april.unmapped)
    assert areas + unmapped == pytest.approx(providers, rel=1e-9)
    assert areas > 0.8 * providers  # most attendances are placed in an LRF
    restated = {c.organisation for r in april.rows for c in r.contributors}
    reported = set(values.code)
    assert restated - reported  # some values moved to organisations created after April 2019
