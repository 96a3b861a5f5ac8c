"""GraphQL over the real HTTP server on the national data: the COVID-19 Hospital Activity
publication rolled up by NHS England region reproduces NHS England's own published region totals
for every date (read separately from the rows above the providers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.api.app import create_app
from service.config import Settings
from service.returns.readers import read_stated_totals
from service.returns.spec import load_return_mapping
from tests.http_server import serve
from tests.support.auth import bearer

COVID = "returns/covid-hospital-activity-2020-08-13.xlsx"
SHEET = "Total Beds OccCov"


@pytest.fixture(scope="module")
def national_url(returns_env: dict[str, Any]) -> Iterator[str]:
    app = create_app(
        Settings(store_path=None, numbers_path=None, request_budget_seconds=120),
        store=returns_env["store"],
        numbers=returns_env["numbers"],
    )
    with serve(app) as url:
        yield url


def graphql(url: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        headers=bearer(),
        timeout=120,
    )
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


SERIES = """query($metric: String!, $from: Date!, $to: Date!) {
  rollup(metric: $metric, by: "NHS_REGION", from: $from, to: $to, method: RETURN_STATED) {
    kind series { area { odsCode name types } points { periodStart periodEnd value } }
    unmapped { code } } }"""


def test_covid_beds_by_region_equal_the_published_totals_on_every_date(
    national_url: str, shared_data: Path
) -> None:
    mapping = load_return_mapping("covid-hospital-activity")
    metric = next(m.metric for m in mapping.metrics if SHEET in m.headings)
    published = read_stated_totals(shared_data / COVID, mapping, SHEET)
    days = sorted({d for _, d in published})
    data = graphql(
        national_url, SERIES, metric=str(metric), **{"from": str(days[0]), "to": str(days[-1])}
    )["rollup"]
    assert data["kind"] == "Stock" and data["unmapped"] == []
    name_of = {code: name for name, code in mapping.regions.items()}
    ours = {
        (name_of[s["area"]["odsCode"]], p["periodStart"]): p["value"]
        for s in data["series"]
        for p in s["points"]
    }
    theirs = {
        (label, d.isoformat()): v for (label, d), v in published.items() if label in mapping.regions
    }
    assert len(theirs) == 7 * len(days) and len(days) > 100
    assert ours == theirs
    assert all(s["area"]["types"] == ["NHS_REGION"] for s in data["series"])
    for series in data["series"]:  # a stock over a range: one point per day, never a sum
        assert all(p["periodStart"] == p["periodEnd"] for p in series["points"])


def test_one_date_through_http_equals_the_published_england_total(
    national_url: str, shared_data: Path
) -> None:
    mapping = load_return_mapping("covid-hospital-activity")
    published = read_stated_totals(shared_data / COVID, mapping, SHEET)
    day = sorted({d for _, d in published})[-1]
    data = graphql(
        national_url,
        """query($day: Date!) { rollup(metric: "BedsOccupiedCovid", by: "NHS_REGION", date: $day,
             method: RETURN_STATED) { rows { value contributors { code }
             coverage { reported expected missing } } } }""",
        day=str(day),
    )["rollup"]
    assert sum(r["value"] for r in data["rows"]) == published[("ENGLAND", day)]
    for r in data["rows"]:
        coverage = r["coverage"]
        assert coverage["reported"] == len(r["contributors"])
        assert coverage["reported"] + len(coverage["missing"]) == coverage["expected"]
