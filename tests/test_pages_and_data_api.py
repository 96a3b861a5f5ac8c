"""The front page, the offline tooling pages and the data download API over real HTTP, on the
embedded sample (its week of the COVID return, placements materialised): the API's rows equal
the GraphQL answer to the same question in every format, its errors are GraphQL's, and no page
names another host."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from service.api.app import create_app
from service.cli import app as cli
from service.config import Settings
from service.manifest import load_returns_all, materialise_for_returns
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.returns.numbers import NumbersStore
from tests.http_server import serve
from tests.support.auth import bearer
from tests.support.stores import backup_store

ROLLUP = """query($metric: String!, $by: String!, $date: Date, $from: Date, $to: Date,
                  $method: RollupMethod!, $restate: RestateInput) {
  rollup(metric: $metric, by: $by, date: $date, from: $from, to: $to, method: $method,
         restate: $restate) {
    rows { area { code name } periodStart periodEnd value
           coverage { reported expected missing } } unmappedTotal } }"""


@pytest.fixture(scope="module")
def sample_env(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The sample graph (a copy on disk), its returns, and org_area for the reporting trusts."""
    folder = tmp_path_factory.mktemp("pages-sample")
    backup_store(sample_store, folder / "store")
    store = GraphStore(folder / "store")
    numbers = NumbersStore(folder / "numbers.duckdb")
    assert all(r.ok for r in load_returns_all(store, numbers, SAMPLE_DATA_DIR))
    numbers.close()
    materialise_for_returns(store, folder / "numbers.duckdb")
    return {"folder": folder, "store": store, "numbers": NumbersStore(folder / "numbers.duckdb")}


@pytest.fixture(scope="module")
def url(sample_env: dict) -> Iterator[str]:
    app = create_app(
        Settings(store_path=None, numbers_path=None),
        store=sample_env["store"],
        numbers=sample_env["numbers"],
    )
    with serve(app) as base:
        yield base


def graphql(url: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql", headers=bearer("admin"), json={"query": query, "variables": variables}
    )
    assert response.status_code == 200, response.text
    return response.json()


class Links(HTMLParser):
    """Every URL a page names in src, href or action, and the example queries it lists."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.queries: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action") and value:
                self.urls.append(value)
            if name == "data-query" and value:
                self.queries.append(value)


def links(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def test_front_page_says_what_is_held_and_links_only_to_the_service(url: str) -> None:
    page = httpx.get(f"{url}/")
    assert page.status_code == 200
    found = links(page.text)
    assert not [u for u in found.urls if re.match(r"^(https?:)?//", u)], "a link leaves the host"
    for target in ("/dashboards/strategic", "/dashboards/operational", "/dashboards/public",
                   "/graphql", "/docs"):  # fmt: skip
        assert target in found.urls
    assert "covid-hospital-activity" in page.text  # the publication loaded
    for href in {u.split("#")[0] for u in found.urls}:  # every link works
        assert httpx.get(f"{url}{href}").status_code == 200, href


def test_every_example_query_on_the_front_page_answers_without_errors(url: str) -> None:
    queries = links(httpx.get(f"{url}/").text).queries
    assert len(queries) >= 3
    for query in queries:
        body = graphql(url, query)
        assert "errors" not in body, (query, body.get("errors"))
        assert body["data"]


@pytest.mark.parametrize("path", ["/graphql", "/docs"])
def test_tooling_pages_load_their_scripts_from_the_service(url: str, path: str) -> None:
    page = httpx.get(f"{url}{path}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    found = links(page.text).urls
    assert found and all(u.startswith("/") and not u.startswith("//") for u in found), found
    assets = [u for u in found if u.startswith("/assets/")]
    assert set(found) - set(assets) <= {"/signin?next=/graphql"}, found  # GraphiQL's sign-in
    for asset in assets:
        got = httpx.get(f"{url}{asset}")
        assert got.status_code == 200 and len(got.content) > 100, asset


def test_nhsuk_stylesheet_is_served_without_fonts_from_another_host(url: str) -> None:
    css = httpx.get(f"{url}/assets/nhsuk.css").text
    assert ".nhsuk-header" in css
    assert "assets.nhs.uk" not in css and not re.search(r"url\((['\"]?)https?:", css)


def test_unknown_asset_is_404(url: str) -> None:
    assert httpx.get(f"{url}/assets/secrets.txt").status_code == 404


QUESTION = {
    "areaType": "NHS_REGION",
    "metric": "BedsOccupiedCovid",
    "from": "2020-04-02",
    "to": "2020-04-08",
    "method": "RETURN_STATED",
}


GRAPHQL_QUESTION: dict[str, Any] = {
    "metric": "BedsOccupiedCovid",
    "by": "NHS_REGION",
    "method": "RETURN_STATED",
    "from": "2020-04-02",
    "to": "2020-04-08",
}


def api_rows(
    url: str, fmt: str, headers: dict[str, str] | None = None, **params: str
) -> list[dict[str, Any]]:
    """The data API's rows, asked as a national analyst unless other `headers` are given."""
    response = httpx.get(
        f"{url}/api/v1/data",
        params={**QUESTION, **params, "format": fmt},
        headers=bearer() if headers is None else headers,
    )
    assert response.status_code == 200, response.text
    if fmt == "csv":
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        return list(csv.DictReader(io.StringIO(response.text)))
    if fmt == "jsonl":
        return [json.loads(line) for line in response.text.splitlines()]
    return response.json()["data"]


def as_strings(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{k: ("" if v is None else str(v)) for k, v in row.items()} for row in rows]


def test_data_api_rows_equal_the_graphql_answer_in_every_format(url: str) -> None:
    data = graphql(url, ROLLUP, **GRAPHQL_QUESTION)
    assert "errors" not in data
    expected = sorted(
        (r["area"]["code"], r["area"]["name"], r["periodStart"], r["value"],
         r["coverage"]["reported"], r["coverage"]["expected"], " ".join(r["coverage"]["missing"]))
        for r in data["data"]["rollup"]["rows"]
    )  # fmt: skip
    assert len(expected) >= 6  # two regions, the days the sample holds
    by_format = {fmt: api_rows(url, fmt) for fmt in ("json", "jsonl", "csv")}
    for fmt, rows in by_format.items():
        got = sorted(
            (r["areaCode"], r["areaName"], r["date"], float(r["value"]), int(r["reported"]),
             int(r["expected"]), r["missing"])
            for r in rows
        )  # fmt: skip
        assert got == expected, fmt
    assert as_strings(by_format["json"]) == as_strings(by_format["jsonl"])


def test_data_api_json_carries_the_unmapped_total(url: str) -> None:
    params = {**QUESTION, "format": "json"}
    body = httpx.get(f"{url}/api/v1/data", params=params, headers=bearer()).json()
    answer = graphql(url, ROLLUP, **GRAPHQL_QUESTION)
    assert body["unmapped"]["total"] == answer["data"]["rollup"]["unmappedTotal"]
    assert body["count"] == len(body["data"]) and body["kind"] == "Stock"


def test_the_public_gets_the_figures_without_naming_organisations(url: str) -> None:
    """Who did not report and who is not placed name organisations: an analyst's token shows
    them, the public role gets the same figures with those left empty."""
    params = {
        "areaType": "NHS_REGION", "metric": "BedsOccupied", "date": "2020-04-08",
        "method": "ODS_STATED", "format": "json",
    }  # fmt: skip
    analyst = httpx.get(f"{url}/api/v1/data", params=params, headers=bearer()).json()
    public = httpx.get(f"{url}/api/v1/data", params=params).json()
    assert analyst["unmapped"]["count"] > 0 and analyst["unmapped"]["organisations"]
    assert [r["value"] for r in public["data"]] == [r["value"] for r in analyst["data"]]
    assert public["unmapped"]["total"] == analyst["unmapped"]["total"]
    assert public["unmapped"]["organisations"] == []
    assert all(r["missing"] == "" for r in public["data"])


BEDS_BY_REGION = 'metric: "BedsOccupiedCovid", by: "NHS_REGION"'


@pytest.mark.parametrize(
    ("params", "graphql_args"),
    [
        ({"metric": "NoSuchMetric"}, 'metric: "NoSuchMetric", by: "NHS_REGION"'),
        ({"areaType": "PARISH"}, 'metric: "BedsOccupiedCovid", by: "PARISH"'),
        (
            {"from": "2020-04-08", "to": "2020-04-02"},
            'metric: "BedsOccupiedCovid", by: "NHS_REGION"',
        ),
        (
            {"from": "2021-01-01", "to": "2021-01-02"},
            'metric: "BedsOccupiedCovid", by: "NHS_REGION"',
        ),
    ],
)
def test_data_api_errors_are_the_graphql_errors(
    url: str, params: dict[str, str], graphql_args: str
) -> None:
    question = {**QUESTION, **params}
    response = httpx.get(f"{url}/api/v1/data", params={**question, "format": "csv"})
    assert response.status_code == 400
    message = response.json()["detail"]["message"]
    when = f'from: "{question["from"]}", to: "{question["to"]}"'
    query = f"{{ rollup({graphql_args}, {when}, method: RETURN_STATED) {{ kind }} }}"
    errors = graphql(url, query)["errors"]
    assert message == errors[0]["message"]


def test_data_api_says_what_is_wrong_with_a_date_or_format(url: str) -> None:
    bad_date = httpx.get(f"{url}/api/v1/data", params={**QUESTION, "from": "2020-13-01"})
    assert bad_date.status_code == 422 and "YYYY-MM-DD" in bad_date.json()["detail"]["message"]
    bad_format = httpx.get(f"{url}/api/v1/data", params={**QUESTION, "format": "xlsx"})
    assert bad_format.status_code == 400 and "csv" in bad_format.json()["detail"]["message"]


def test_data_api_refuses_more_rows_than_graphql_allows(sample_env: dict) -> None:
    settings = Settings(store_path=None, numbers_path=None, max_rollup_rows=3)
    app = create_app(settings, store=sample_env["store"], numbers=sample_env["numbers"])
    with serve(app) as base:
        response = httpx.get(f"{base}/api/v1/data", params=QUESTION)
        errors = graphql(base, ROLLUP, **GRAPHQL_QUESTION)
    assert response.status_code == 400
    message = response.json()["detail"]["message"]
    assert "more than the 3 one answer may hold" in message
    assert errors["errors"][0]["message"] == message


def test_cli_rollup_csv_equals_the_data_api(url: str, sample_env: dict, tmp_path: Path) -> None:
    # A copy: this process's server holds the numbers store read-write, and DuckDB refuses a
    # second, read-only connection to the same file in one process.
    folder = tmp_path
    backup_store(sample_env["store"], folder / "store")
    sample_env["numbers"].con.execute("CHECKPOINT")
    shutil.copy(sample_env["folder"] / "numbers.duckdb", folder / "numbers.duckdb")
    result = CliRunner().invoke(
        cli,
        ["--store", str(folder / "store"), "--numbers", str(folder / "numbers.duckdb"),
         "rollup", "BedsOccupiedCovid", "--by", "NHS_REGION", "--date", "2020-04-02",
         "--to", "2020-04-08", "--method", "RETURN_STATED", "--csv"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ours = list(csv.DictReader(io.StringIO(result.output)))
    assert as_strings(ours) == as_strings(api_rows(url, "csv"))


@pytest.mark.parametrize("name", ["strategic", "public", "operational"])
def test_first_view_on_the_sample_shows_figures_not_a_placement_error(url: str, name: str) -> None:
    """The sample has no site locations: a first view (no method in the URL) uses a method the
    store has placements by for the type, never one that cannot answer (the operational view
    and its early-warning panel roll up by its area's type, a region, which the sample places
    by ODS_STATED alone)."""
    page = httpx.get(f"{url}/dashboards/{name}", headers=bearer())
    assert page.status_code == 200
    assert "could not be shown" not in page.text, page.text[:2000]
    deferred = Deferred()  # the panels the page draws after it (the early warning), as a browser
    deferred.feed(page.text)
    for source in deferred.sources:
        panel = httpx.get(url + source, headers=bearer())
        assert panel.status_code == 200
        assert "could not be shown" not in panel.text, (source, panel.text[:2000])
    chosen = httpx.get(f"{url}/dashboards/{name}?method=SITES&by=LRF", headers=bearer())
    if name == "strategic":  # a method asked for by name is kept, and its error said in words
        assert "no placements by SITES in LRF areas" in chosen.text


class Deferred(HTMLParser):
    """The deferred panels a page names (data-panel-src) and the sections it draws."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.sections: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("data-panel-src"):
            self.sources.append(str(found["data-panel-src"]))
        if tag == "section" and found.get("id"):
            self.sections.append(str(found["id"]))


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _table_rows(html: str) -> list[list[str]]:
    """The cells of the first table in `html`, row by row (the header included)."""
    rows: list[list[str]] = []

    class Cells(HTMLParser):
        cell: list[str] | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "tr":
                rows.append([])
            if tag in ("td", "th"):
                self.cell = []

        def handle_data(self, data: str) -> None:
            if self.cell is not None:
                self.cell.append(data)

        def handle_endtag(self, tag: str) -> None:
            if tag in ("td", "th") and self.cell is not None:
                rows[-1].append("".join(self.cell).strip())
                self.cell = None

    Cells().feed(html)
    return rows


@pytest.mark.parametrize("name", ["strategic", "operational"])
def test_the_early_warning_panel_is_drawn_by_its_own_request(url: str, name: str) -> None:
    """The page names the panel's own URL and draws the rest; that URL answers the panel (the
    same figures as its CSV), for the same view (the page's parameters)."""
    query = "metric=BedsOccupiedCovid&by=NHS_REGION&method=RETURN_STATED"
    if name == "operational":
        query = "metric=BedsOccupiedCovid&area=E40000006&method=RETURN_STATED"
    page = httpx.get(f"{url}/dashboards/{name}?{query}", headers=bearer())
    assert page.status_code == 200
    found = Deferred()
    found.feed(page.text)
    assert "panel-strain" in found.sections and "title-strain" in page.text
    assert len(found.sources) == 1 and found.sources[0].startswith(
        f"/dashboards/{name}/strain.html?"
    )
    assert "/assets/deferred.js" in page.text
    assert "Forecast (quantity)" not in page.text  # the panel's table is not in the page
    panel = httpx.get(url + found.sources[0], headers=bearer())
    assert panel.status_code == 200 and panel.headers["content-type"].startswith("text/html")
    assert 'id="title-strain"' in panel.text and "<html" not in panel.text
    assert "could not be shown" not in panel.text, panel.text[:2000]
    link = links(panel.text).urls
    csv_link = next(u for u in link if u.startswith(f"/dashboards/{name}/strain.csv?"))
    figures = httpx.get(url + csv_link, headers=bearer())
    assert figures.status_code == 200
    table = _table_rows(panel.text)
    assert table and table[0][0] == "Area" and len(table) > 1
    assert table == _csv_rows(figures.text)


def test_a_deferred_panel_says_what_is_wrong_in_words(url: str) -> None:
    bad = httpx.get(f"{url}/dashboards/strategic/strain.html?date=yesterday", headers=bearer())
    assert bad.status_code == 200
    assert "could not be shown" in bad.text and "date &#39;yesterday&#39; is not a date" in bad.text
    no_threshold = httpx.get(
        f"{url}/dashboards/strategic/strain.html?metric=BedsOccupied&by=NHS_REGION&method=RETURN_STATED",
        headers=bearer(),
    )
    assert "no strain threshold is stated for BedsOccupied" in no_threshold.text
    for path in ("/dashboards/public/strain.html", "/dashboards/strategic/map.html",
                 "/dashboards/nowhere/strain.html"):  # fmt: skip
        assert httpx.get(url + path).status_code == 404, path
