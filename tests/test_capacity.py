"""Capacity on real data: the UEC situation report beds (monthly by trust, April 2022 to August
2025) and KH03 loaded through their declarative mappings; G&A occupancy, a ratio metric of the
ontology, rolled up by NHS region as the ratio of the regional sums over the same trusts, equal
to a plain pandas computation over the published file, never a mean of the trusts' rates.

The trusts are placed in regions by the region ODS states for them in the 2025 trust file
(etr-2025-03, column 3), written into org_area as ODS_STATED: the test checks the ratio, not
the placement (tests/test_geo_*.py check placements)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from service.api.graphql.context import Context
from service.api.graphql.schema import schema
from service.rdf.store import GraphStore
from service.rdf.vocab import NHSKG
from service.reference import ReferenceData
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.rollup.engine import materialise_org_areas, rollup
from service.rollup.model import Method
from tests.support.auth import access
from tests.support.stores import backup_store

SITREP = "returns/sitrep/uec-sitrep-beds-monthly-trust-2022-04-to-2025-08.csv"
KH03 = ("returns/kh03-beds-2020-04-to-06.xlsx", "returns/kh03-beds-2020-07-to-09.xlsx")


@pytest.fixture(scope="module")
def env(
    national_store: GraphStore, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("capacity") / "store"
    backup_store(national_store, target)  # a copy: the session's store stays as it is
    store = GraphStore(target)
    numbers = NumbersStore(None)
    for name in (SITREP, *KH03):
        result = load_return_file(store, numbers, shared_data / name)
        assert result.status == "loaded", result.report.text()
    etr = pd.read_csv(shared_data / "ods/etr-2025-03.csv", header=None, dtype=str)
    regions = dict(zip(etr[0], etr[2], strict=True))
    rows = [("NHS_REGION", code, region, 1.0, None, None) for code, region in regions.items()]
    materialise_org_areas(numbers, rows, Method.ODS_STATED)
    return {
        "store": store,
        "numbers": numbers,
        "regions": regions,
        "reference": ReferenceData.build(store),
        "sitrep": pd.read_csv(shared_data / SITREP, na_values=["NA"]),
    }


def pandas_occupancy(frame: pd.DataFrame, regions: dict[str, str], month: str) -> pd.Series:
    """Per region: sum of G&A beds occupied over sum of G&A beds available, over the trusts that
    reported both that month."""
    rows = frame[frame["date"] == month].dropna(
        subset=["general_acute_beds_available", "general_acute_beds_occupied"]
    )
    rows = rows.assign(region=rows["nhs_trust22_code"].map(regions)).dropna(subset=["region"])
    sums = rows.groupby("region")[
        ["general_acute_beds_occupied", "general_acute_beds_available"]
    ].sum()
    return (sums["general_acute_beds_occupied"] / sums["general_acute_beds_available"]).sort_index()


@pytest.mark.parametrize(
    ("month", "day"),
    [
        ("April 2022", "2022-04-01"),
        ("January 2023", "2023-01-01"),
        ("April 2023", "2023-04-01"),
        ("December 2024", "2024-12-01"),
        ("August 2025", "2025-08-01"),
    ],
)
def test_ga_occupancy_by_region_equals_the_ratio_of_the_regional_sums(
    env: dict[str, Any], month: str, day: str
) -> None:
    data, errors = run(
        env,
        '{ rollup(metric: "GeneralAcuteBedOccupancy", by: "NHS_REGION", date: "'
        + day
        + '", method: ODS_STATED) { kind rows { area { odsCode } value numerator denominator '
        "coverage { reported expected } strain { flagged thresholdValue } } } }",
    )
    assert not errors, errors
    rows = data["rollup"]["rows"]
    got = pd.Series({r["area"]["odsCode"]: r["value"] for r in rows}).sort_index()
    expected = pandas_occupancy(env["sitrep"], env["regions"], month)
    assert len(expected) == 7
    pd.testing.assert_series_equal(got, expected, check_names=False, rtol=1e-12)
    assert data["rollup"]["kind"] == "Ratio"
    for row in rows:
        assert row["strain"]["thresholdValue"] == 0.92
        assert row["strain"]["flagged"] == (row["value"] > 0.92)
        # A trust placed in the region with no figure that month (closed, merged) is missing.
        assert row["coverage"]["reported"] <= row["coverage"]["expected"]


def test_the_answer_is_not_a_mean_of_the_trusts_rates(env: dict[str, Any]) -> None:
    frame = env["sitrep"]
    month = frame[frame["date"] == "January 2023"].dropna(
        subset=["general_acute_beds_available", "general_acute_beds_occupied"]
    )
    month = month[month["general_acute_beds_available"] > 0]
    rate = month["general_acute_beds_occupied"] / month["general_acute_beds_available"]
    means = rate.groupby(month["nhs_trust22_code"].map(env["regions"])).mean()
    result = rollup(
        env["numbers"],
        str(NHSKG.GeneralAcuteBedOccupancy),
        "NHS_REGION",
        pd.Timestamp("2023-01-01").date(),
        Method.ODS_STATED,
    )
    assert all(abs(r.value - means[r.area]) > 1e-4 for r in result.rows)


def test_every_month_held_is_a_month_of_the_file_and_none_is_filled(
    env: dict[str, Any],
) -> None:
    """Each month the store answers for is a month the file reports (April 2023 included: this
    file has it, 137 trusts); a month the file does not report has no values, never a carried
    one."""
    numbers = env["numbers"]
    held = {
        str(r[0])[:7]
        for r in numbers.con.execute(
            "SELECT DISTINCT period_start FROM reported_value WHERE metric = ?",
            [str(NHSKG.GeneralAcuteBedsAvailable)],
        ).fetchall()
    }
    in_file = {
        pd.to_datetime(m, format="%B %Y").strftime("%Y-%m") for m in env["sitrep"]["date"].unique()
    }
    assert held == in_file
    assert "2023-04" in held and len(held) == 41
    before = rollup(
        numbers,
        str(NHSKG.GeneralAcuteBedOccupancy),
        "NHS_REGION",
        pd.Timestamp("2022-03-01").date(),
        Method.ODS_STATED,
    )
    assert before.rows == []


def test_kh03_overnight_occupancy_is_the_ratio_of_its_parts(env: dict[str, Any]) -> None:
    """KH03 states each trust's region: the ratio by RETURN_STATED region is the quotient of its
    two parts rolled up over the trusts that reported both."""
    numbers, day = env["numbers"], pd.Timestamp("2020-07-01").date()
    ratio = rollup(
        numbers,
        str(NHSKG.OvernightGeneralAcuteBedOccupancy),
        "NHS_REGION",
        day,
        Method.RETURN_STATED,
    )
    top = rollup(numbers, str(NHSKG.OvernightBedsOccupiedGeneralAcute), "NHS_REGION", day)
    bottom = rollup(numbers, str(NHSKG.OvernightBedsAvailableGeneralAcute), "NHS_REGION", day)
    assert len(ratio.rows) == 7
    for row in ratio.rows:
        t = {
            c.organisation: c.value for r in top.rows if r.area == row.area for c in r.contributors
        }
        b = {
            c.organisation: c.value
            for r in bottom.rows
            if r.area == row.area
            for c in r.contributors
        }
        both = set(t) & set(b)
        assert row.coverage.reported == len(both)
        assert row.value == pytest.approx(sum(t[o] for o in both) / sum(b[o] for o in both))
        assert row.one_part == sorted(set(t) ^ set(b))


def test_a_ratio_metric_rejects_a_mapping_that_names_it(tmp_path: Path) -> None:
    from service.mapping.spec import MappingError
    from service.returns.spec import parse_return_mapping

    with pytest.raises(MappingError, match="ratio metric"):
        parse_return_mapping(
            {
                "id": "x",
                "title": "x",
                "dataset": {"id": "x", "title": "x"},
                "files": "x.csv",
                "source": {
                    "format": "csv",
                    "layout": "columns",
                    "header_contains": ["code"],
                    "columns": {"code": "code"},
                },
                "period": {"from": "column", "column": "date"},
                "metrics": [{"metric": "GeneralAcuteBedOccupancy", "column": "rate"}],
            }
        )


def run(env: dict[str, Any], query: str) -> tuple[Any, list[str]]:
    context = Context(
        reference=env["reference"],
        access=access("analyst", ("national",), env["reference"], env["numbers"]),
        numbers=env["numbers"],
    )
    result = asyncio.run(schema.execute(query, context_value=context))
    return result.data, [e.message for e in result.errors or []]
