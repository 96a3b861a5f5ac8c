"""The front page, GraphiQL, the API docs and the three dashboards in real Chromium, on the
national data (conftest's figures_env: the COVID-19 Hospital Activity publication's COVID beds
and admissions, placements of every method materialised): every request
a page makes goes to the service; figures on the page equal the GraphQL answer to the same
question; each CSV download equals the table shown; the date and geography are changed in the
page; a failed request is an error in words; axe-core finds no serious violation. Screenshots go
to tests/artifacts/ (not committed)."""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from service.api.app import create_app
from service.config import Settings
from service.dashboards.view import plain
from service.rdf.store import GraphStore
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from tests.browser_support import browser, screenshot, serious_violations
from tests.http_server import serve
from tests.support.auth import bearer, token

pytestmark = [pytest.mark.national, pytest.mark.browser]

TODAY = dt.date.today().isoformat()
ROLLUP = """query($metric: String!, $by: String!, $date: Date!, $method: RollupMethod!,
                  $restate: RestateInput) {
  rollup(metric: $metric, by: $by, date: $date, method: $method, restate: $restate) {
    rows { area { code name } value coverage { reported expected missing }
           contributors { code share value } } } }"""
KH03 = ("returns/kh03-beds-2020-04-to-06.xlsx", "returns/kh03-beds-2020-07-to-09.xlsx")
CAPACITY = """query($metric: String!, $by: String!, $date: Date!, $method: RollupMethod!,
                  $restate: RestateInput) {
  rollup(metric: $metric, by: $by, date: $date, method: $method, restate: $restate) {
    metric { label }
    rows { area { code name } value numerator denominator coverage { reported expected }
           strain { flagged } } } }"""
SERIES = """query($metric: String!, $by: String!, $from: Date!, $to: Date!, $method: RollupMethod!,
                  $restate: RestateInput) {
  rollup(metric: $metric, by: $by, from: $from, to: $to, method: $method, restate: $restate) {
    rows { area { code } periodStart contributors { code share value } } } }"""


@pytest.fixture(scope="module")
def url(request: pytest.FixtureRequest, shared_data: Path) -> Iterator[str]:
    """The service over the session's national stores; or, with NHSKG_DASHBOARD_TEST_ENV=DIR,
    over DIR/store and DIR/numbers.duckdb already built (`nhskg load-all` output), which saves
    the session's national load when working on the pages alone."""
    settings = Settings(store_path=None, numbers_path=None, data_dir=shared_data)
    given = os.environ.get("NHSKG_DASHBOARD_TEST_ENV")
    if given:
        store = GraphStore(Path(given) / "store", read_only=True)
        numbers = NumbersStore(Path(given) / "numbers.duckdb")
    else:  # the session's national roll-up world (conftest.py figures_env), shared
        env = request.getfixturevalue("figures_env")
        store, numbers = env["store"], env["numbers"]
        for name in KH03:  # capacity for 2020 (the occupancy panel); unchanged when loaded
            assert load_return_file(store, numbers, shared_data / name).ok
    app = create_app(settings, store=store, numbers=numbers)
    with serve(app) as base:
        yield base


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as launched:
        yield launched


class Visit:
    """A browser page that records every request it makes and every console error."""

    def __init__(self, chromium: Any, base: str) -> None:
        self.base = base
        self.context = chromium.new_context(viewport={"width": 1280, "height": 900},
                                            accept_downloads=True)  # fmt: skip
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        return response

    def foreign(self) -> list[str]:
        host = urlsplit(self.base).netloc
        return [u for u in self.requests if urlsplit(u).netloc not in (host, "")
                and not u.startswith(("data:", "blob:", "about:"))]  # fmt: skip

    def table(self, panel: str) -> list[list[str]]:
        return self.page.eval_on_selector_all(
            f'table[data-panel="{panel}"] tbody tr',
            "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))",
        )

    def download(self, panel: str) -> list[list[str]]:
        with self.page.expect_download() as info:
            self.page.click(f"#panel-{panel} a.nhskg-csv")
        path = info.value.path()
        with open(path, newline="") as f:
            return list(csv.reader(f))

    def sign_in(self, role: str = "analyst", scopes: tuple[str, ...] = ("national",)) -> None:
        """Through the pages' own sign-in form, as a person would (service/api/routes/signin)."""
        self.page.goto(self.base + "/signin")
        self.page.fill("#token", token(role, scopes))
        with self.page.expect_navigation():
            self.page.click("#signin-submit")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(chromium: Any, url: str) -> Iterator[Visit]:
    opened = Visit(chromium, url)
    yield opened
    try:
        assert opened.foreign() == [], "a page fetched from another host"
    finally:
        opened.close()


def graphql(url: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql",
        headers=bearer("admin"),
        json={"query": query, "variables": variables},
        timeout=120,
    )
    return response.json()


def expected_rows(
    url: str, by: str, day: str, method: str, restate: dict | None, *, missing: bool = False
) -> list[list[str]]:
    """The map panel's rows from GraphQL; `missing`: with who has not reported (the column an
    analyst sees; signed out, the page names no organisation)."""
    answer = graphql(url, ROLLUP, metric="BedsOccupiedCovid", by=by, date=day, method=method,
                     restate=restate)  # fmt: skip
    assert "errors" not in answer, answer
    rows = sorted(answer["data"]["rollup"]["rows"], key=lambda r: r["area"]["code"])
    return [
        [plain(v) for v in (r["area"]["code"], r["area"]["name"], r["value"],
                            r["coverage"]["reported"], r["coverage"]["expected"])]
        + ([" ".join(r["coverage"]["missing"])] if missing else [])
        for r in rows
    ]  # fmt: skip


def test_front_page_graphiql_and_docs_work_offline(visit: Visit) -> None:
    assert visit.open("/").status == 200
    links = visit.page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    assert all(urlsplit(h).netloc == urlsplit(visit.base).netloc for h in links), links
    screenshot(visit.page, "front-page")
    examples = visit.page.eval_on_selector_all(
        "a[href*='/graphql?']", "as => as.map(a => a.getAttribute('href'))"
    )
    assert examples, "the front page links no GraphiQL example"
    visit.open("/graphql")
    visit.page.wait_for_selector(".graphiql-container", timeout=30_000)
    visit.page.click(".graphiql-execute-button")
    visit.page.wait_for_function(
        "() => document.querySelector('.result-window')?.textContent.includes('metrics')",
        timeout=30_000,
    )
    screenshot(visit.page, "graphiql")
    visit.open(examples[0])  # a front-page example opens in GraphiQL (not as JSON) and runs
    visit.page.wait_for_selector(".graphiql-container", timeout=30_000)
    visit.page.click(".graphiql-execute-button")
    visit.page.wait_for_function(
        "() => document.querySelector('.result-window')?.textContent.includes('\"data\"')",
        timeout=30_000,
    )
    assert '"errors"' not in visit.page.inner_text(".result-window")
    visit.open("/docs")
    visit.page.wait_for_function(
        "() => document.querySelector('#swagger-ui')?.innerText.includes('/api/v1/data')",
        timeout=30_000,
    )
    screenshot(visit.page, "api-docs")
    assert visit.errors == []


def test_strategic_figures_equal_graphql_and_the_csv_download(visit: Visit) -> None:
    visit.sign_in()  # who has not reported: an analyst's (signed out, counts only)
    visit.open("/dashboards/strategic?date=2020-04-15")
    shown = visit.table("map")
    expected = expected_rows(visit.base, "LRF", "2020-04-15", "HEADQUARTERS",
                             {"toOrganisationsAt": TODAY}, missing=True)  # fmt: skip
    assert len(shown) >= 38 and shown == expected
    downloaded = visit.download("map")
    assert downloaded[0] == ["Area code", "Area", "Value", "Reported", "Expected", "Missing"]
    assert downloaded[1:] == shown
    paths = visit.page.eval_on_selector_all("#chart-map path[data-area]", "ps => ps.length")
    assert paths >= 38
    for panel in ("trend", "multiples"):  # the series' CSVs hold the charts' points
        assert len(visit.download(panel)) > 100
    # The early warning, drawn by its own request after the rest: its table is its CSV.
    visit.page.wait_for_selector("#panel-strain[data-loaded='true']", timeout=60_000)
    strain = visit.table("strain")
    assert strain and visit.download("strain")[1:] == strain
    screenshot(visit.page, "strategic")
    assert visit.errors == []


def test_changing_date_and_geography_in_the_page(visit: Visit) -> None:
    visit.open("/dashboards/strategic?date=2020-04-15")
    visit.page.select_option("#by", "ICB")
    visit.page.fill("#date", "2020-05-01")
    with visit.page.expect_navigation():
        visit.page.click("#update")
    visit.page.wait_for_load_state("networkidle")
    query = urlsplit(visit.page.url).query
    assert "by=ICB" in query and "date=2020-05-01" in query and "restate=today" in query
    shown = visit.table("map")
    today = {"toOrganisationsAt": TODAY}
    assert len(shown) >= 40 and shown == expected_rows(
        visit.base, "ICB", "2020-05-01", "HEADQUARTERS", today
    )
    assert visit.page.eval_on_selector_all("#chart-map path[data-area]", "ps => ps.length") >= 40
    screenshot(visit.page, "strategic-icb")
    # As reported: the 2020 organisations in the ICB-type areas of 2020 (STPs, where the
    # placements hold them); when none is placed the page says so in words.
    visit.page.select_option("#restate", "asReported")
    with visit.page.expect_navigation():
        visit.page.click("#update")
    assert "restate=asReported" in urlsplit(visit.page.url).query
    reported = expected_rows(visit.base, "ICB", "2020-05-01", "HEADQUARTERS", None)
    if reported:
        assert visit.table("map") == reported
    else:
        assert "No value is placed in any ICB area" in visit.page.inner_text("#panel-map")
    visit.open("/dashboards/strategic?by=NHS_REGION&date=2020-04-15&method=ODS_STATED")
    assert visit.table("map") == expected_rows(
        visit.base, "NHS_REGION", "2020-04-15", "ODS_STATED", {"toOrganisationsAt": TODAY}
    )
    assert visit.page.eval_on_selector_all("#chart-map path[data-area]", "ps => ps.length") == 7


def test_strategic_shows_occupancy_against_capacity_where_held(visit: Visit) -> None:
    """KH03 holds the April-June 2020 quarter: the panel's rows are the GraphQL answer for G&A
    overnight occupancy (occupied over available, summed over the same trusts) on the quarter's
    first day, with the strain flag; before the quarter it says no capacity is held."""
    visit.open("/dashboards/strategic?by=NHS_REGION&date=2020-04-15&method=ODS_STATED")
    shown = visit.table("capacity")
    answer = graphql(visit.base, CAPACITY, metric="OvernightGeneralAcuteBedOccupancy",
                     by="NHS_REGION", date="2020-04-01", method="ODS_STATED",
                     restate={"toOrganisationsAt": TODAY})  # fmt: skip
    assert "errors" not in answer, answer
    label = answer["data"]["rollup"]["metric"]["label"]
    expected = [
        [plain(v) for v in (label, "2020-04-01 to 2020-06-30", r["area"]["code"],
                            r["area"]["name"], round(r["value"], 4), r["numerator"],
                            r["denominator"], r["coverage"]["reported"],
                            r["coverage"]["expected"], "yes" if r["strain"]["flagged"] else "no")]
        for r in sorted(answer["data"]["rollup"]["rows"], key=lambda r: r["area"]["code"])
    ]  # fmt: skip
    assert len(shown) == 7 and shown == expected
    for row in answer["data"]["rollup"]["rows"]:
        assert row["value"] == row["numerator"] / row["denominator"]
    assert visit.download("capacity")[1:] == shown
    screenshot(visit.page, "strategic-capacity")
    visit.open("/dashboards/strategic?by=NHS_REGION&date=2020-03-25&method=ODS_STATED")
    assert "No capacity is held for 2020-03-25" in visit.page.inner_text("#panel-capacity")
    assert visit.table("capacity") == []
    assert visit.errors == []


def test_a_failed_data_request_is_an_error_in_words(visit: Visit) -> None:
    visit.open("/dashboards/strategic?date=2021-01-05")
    message = visit.page.inner_text("#panel-map .nhsuk-error-summary__body")
    answer = graphql(visit.base, ROLLUP, metric="BedsOccupiedCovid", by="LRF", date="2021-01-05",
                     method="HEADQUARTERS", restate={"toOrganisationsAt": TODAY})  # fmt: skip
    assert message == answer["errors"][0]["message"]
    assert "Values are held from" in message
    visit.open("/dashboards/strategic?date=2020-02-30")
    assert "is not a date" in visit.page.inner_text("#view-error")
    screenshot(visit.page, "strategic-error")


def test_operational_shows_each_trust_restated_values_and_why(visit: Visit) -> None:
    visit.sign_in()  # each trust's figures: an analyst's
    visit.open("/dashboards/operational?area=E48000009&from=2020-04-10&to=2020-04-16"
               "&metric=BedsOccupiedCovid&method=SITES")  # fmt: skip
    restated = visit.table("restated")
    moved = {(r[0], r[2]) for r in restated}
    assert ("RD3", "R0D") in moved and ("RDZ", "R0D") in moved  # Poole, Bournemouth -> UHD
    answer = graphql(visit.base, SERIES, metric="BedsOccupiedCovid", by="LRF",
                     method="SITES", restate={"toOrganisationsAt": TODAY},
                     **{"from": "2020-04-10", "to": "2020-04-16"})  # fmt: skip
    counted: dict[tuple[str, str], float] = defaultdict(float)
    for row in answer["data"]["rollup"]["rows"]:
        if row["area"]["code"] == "E48000009":
            for c in row["contributors"]:
                counted[(c["code"], row["periodStart"])] += c["value"] * c["share"]
    trusts = visit.download("trusts")
    assert {(r[0], r[2]): r[3] for r in trusts[1:]} == {k: plain(v) for k, v in counted.items()}
    assert visit.download("restated")[1:] == restated
    screenshot(visit.page, "operational")
    visit.open("/dashboards/operational?area=NOPE")
    assert "no region, ICB, LRF or trust has the code" in visit.page.inner_text("#view-error")
    assert visit.errors == []


def test_public_dashboard_needs_no_sign_in(visit: Visit) -> None:
    response = visit.open("/dashboards/public?date=2020-04-15")
    assert response.status == 200 and "sign-in" in visit.page.inner_text("main")
    shown = visit.table("map")
    expected = expected_rows(
        visit.base, "NHS_REGION", "2020-04-15", "ODS_STATED", {"toOrganisationsAt": TODAY}
    )
    assert len(shown) == 7 and shown == expected
    assert visit.page.eval_on_selector_all("#chart-map path[data-area]", "ps => ps.length") == 7
    screenshot(visit.page, "public")


@pytest.mark.parametrize(
    "path",
    ["/", "/dashboards/strategic", "/dashboards/operational", "/dashboards/public",
     "/dashboards/strategic?date=2021-01-05"],
)  # fmt: skip
def test_no_serious_accessibility_violation(visit: Visit, path: str) -> None:
    visit.open(path)
    assert serious_violations(visit.page) == []
