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


@pytest.mark.parametrize("name", ["strategic", "public"])
def test_first_view_on_the_sample_shows_figures_not_a_placement_error(url: str, name: str) -> None:
    """The sample has no site locations: a first view (no method in the URL) uses a method the
    store has placements by for the type, never one that cannot answer."""
    page = httpx.get(f"{url}/dashboards/{name}", headers=bearer())
    assert page.status_code == 200
    assert "could not be shown" not in page.text, page.text[:2000]
    chosen = httpx.get(f"{url}/dashboards/{name}?method=SITES&by=LRF", headers=bearer())
    if name == "strategic":  # a method asked for by name is kept, and its error said in words
        assert "no placements by SITES in LRF areas" in chosen.text
