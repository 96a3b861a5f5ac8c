"""Disclosure control through the real HTTP server (the sample week of COVID admissions): the
public role's figures are perturbed and say so in GraphQL, /api/v1/data (JSON and CSV) and the
public dashboard; a national analyst sees them unprotected; the same answers come back in any
order of queries and after a restart; and a hostile reader's differencing (overlapping
geographies, a 7-day sum less its days) returns noise, never a small true count."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.access.disclosure import SALT_FILE, _file_salt, policy_of
from service.api.app import create_app
from service.config import Settings
from service.manifest import load_returns_all, materialise_for_returns
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.rdf.vocab import NHSKG
from service.returns.numbers import NumbersStore
from tests.http_server import serve
from tests.support.auth import bearer
from tests.support.stores import backup_store

FIRST, LAST = "2020-04-06", "2020-04-12"
ROWS = """query($by: String!, $method: RollupMethod!, $date: Date, $from: Date, $to: Date,
               $restate: RestateInput, $series: Boolean) {
  rollup(metric: "CovidAdmissions", by: $by, method: $method, date: $date, from: $from, to: $to,
         restate: $restate, series: $series) {
    protection unmappedTotal
    rows { area { code } periodStart periodEnd value protection }
  } }"""
CONTRIBUTORS = """query($by: String!, $method: RollupMethod!, $date: Date) {
  rollup(metric: "CovidAdmissions", by: $by, method: $method, date: $date) {
    rows { area { code } value contributors { code share value } } } }"""
PLACEMENTS = [("LRF", "CATCHMENT"), ("ICB", "ODS_STATED"), ("NHS_REGION", "ODS_STATED"),
              ("NHS_REGION", "RETURN_STATED")]  # fmt: skip


@pytest.fixture(scope="module")
def folder(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("disclosure-http")
    backup_store(sample_store, folder / "store")
    store = GraphStore(folder / "store")
    numbers = NumbersStore(folder / "numbers.duckdb")
    assert all(r.ok for r in load_returns_all(store, numbers, SAMPLE_DATA_DIR))
    numbers.close()
    materialise_for_returns(store, folder / "numbers.duckdb")
    store.close()
    return folder


@pytest.fixture(scope="module")
def graph(folder: Path) -> GraphStore:
    return GraphStore(folder / "store")


def started(folder: Path, graph: GraphStore) -> Any:
    """An app as a new server process starts it: the numbers store opened afresh (read-only,
    as a server beside others) and the salt read again from beside it."""
    _file_salt.cache_clear()
    numbers = NumbersStore(folder / "numbers.duckdb", read_only=True)
    return create_app(Settings(store_path=None, numbers_path=None), store=graph, numbers=numbers)


@pytest.fixture(scope="module")
def url(folder: Path, graph: GraphStore) -> Iterator[str]:
    with serve(started(folder, graph)) as base:
        yield base


def ask(url: str, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
    response = httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return body["data"]["rollup"]


def questions() -> list[dict[str, Any]]:
    asked: list[dict[str, Any]] = []
    for by, method in PLACEMENTS:
        asked.append({"by": by, "method": method, "from": FIRST, "to": LAST, "series": True})
        asked.append({"by": by, "method": method, "from": FIRST, "to": LAST})
        asked.append({"by": by, "method": method, "date": "2020-04-08",
                      "restate": {"toOrganisationsAt": "2026-07-01"}})  # fmt: skip
    return asked


def answers(url: str, asked: list[dict[str, Any]]) -> list[Any]:
    return [ask(url, ROWS, **q) for q in asked]


def test_the_public_figures_are_perturbed_and_say_so(url: str) -> None:
    day = {"by": "ICB", "method": "ODS_STATED", "date": "2020-04-08"}
    public = ask(url, ROWS, **day)
    analyst = ask(url, ROWS, bearer("analyst", ["national"]), **day)
    regional = ask(url, ROWS, bearer("analyst", ["region:Y62"]), **day)
    assert public["protection"] == "PERTURBED" and regional["protection"] == "PERTURBED"
    assert all(r["protection"] == "PERTURBED" for r in public["rows"] + regional["rows"])
    assert analyst["protection"] is None and all(r["protection"] is None for r in analyst["rows"])
    assert [r["value"] for r in public["rows"]] != [r["value"] for r in analyst["rows"]]
    data = httpx.get(f"{url}/api/v1/data", params={**_params(day), "format": "json"}).json()
    assert data["protection"] == "PERTURBED"
    assert [r["value"] for r in data["data"]] == [r["value"] for r in public["rows"]]
    assert {r["protection"] for r in data["data"]} == {"PERTURBED"}
    text = httpx.get(f"{url}/api/v1/data", params={**_params(day), "format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {r["protection"] for r in rows} == {"PERTURBED"}
    beds = httpx.get(f"{url}/api/v1/data", params={**_params(day), "metric": "BedsOccupiedCovid"})
    assert beds.json()["protection"] is None  # open data: published as summed


def _params(day: dict[str, str]) -> dict[str, str]:
    return {"areaType": day["by"], "method": day["method"], "date": day["date"],
            "metric": "CovidAdmissions"}  # fmt: skip


def test_the_public_dashboard_says_its_figures_are_protected(url: str) -> None:
    page = httpx.get(f"{url}/dashboards/public", params={"metric": "CovidAdmissions"})
    assert page.status_code == 200
    assert 'data-protection="PERTURBED"' in page.text
    # It promises counts of who has not reported, not names (shown to signed-in analysts only).
    assert "with who has not reported" not in page.text
    assert "which ones is shown to signed-in analysts" in page.text
    found = httpx.get(f"{url}/dashboards/public/headline.csv", params={"metric": "CovidAdmissions"})
    assert found.status_code == 200
    header, *rows = list(csv.reader(io.StringIO(found.text)))
    assert header[-1] == "protection" and rows and {r[-1] for r in rows} == {"PERTURBED"}


def test_the_same_answers_in_any_order_and_after_a_restart(
    url: str, folder: Path, graph: GraphStore
) -> None:
    asked = questions()
    first = answers(url, asked)
    backwards = answers(url, asked[::-1])[::-1]
    assert backwards == first
    salt = (folder / SALT_FILE).read_text()
    with serve(started(folder, graph)) as again:  # a second server process over the same stores
        assert answers(again, asked[1::2] + asked[::2]) == first[1::2] + first[::2]
    assert (folder / SALT_FILE).read_text() == salt


def test_a_seven_day_sum_less_its_days_is_the_published_day(url: str) -> None:
    """Differencing a range and its days returns the published (perturbed) day exactly: the
    figures are consistent, so the difference tells nothing the day's own figure does not."""
    week = ask(url, ROWS, by="ICB", method="ODS_STATED", **{"from": FIRST, "to": LAST})
    days = ask(url, ROWS, by="ICB", method="ODS_STATED", series=True, **{"from": FIRST, "to": LAST})
    last = date.fromisoformat(LAST)
    for row in week["rows"]:
        area = row["area"]["code"]
        mine = [r for r in days["rows"] if r["area"]["code"] == area]
        six = sum(r["value"] for r in mine if date.fromisoformat(r["periodStart"]) < last)
        seventh = [r["value"] for r in mine if r["periodStart"] == LAST]
        assert row["value"] - six == pytest.approx(seventh[0] if seventh else 0.0)


def test_differencing_returns_noise_never_a_small_count(url: str) -> None:
    """A hostile reader isolates one trust's value of a day: as an area's figure where that
    trust is the only contributor, and as the 7-day figure less the six other days; and, across
    geography types and methods, as the difference of two figures whose contributors differ by
    that trust alone. Each time the answer is within the table's noise of the truth and never
    a small count exactly."""
    policy = policy_of(str(NHSKG.CovidAdmissions))
    assert policy is not None
    analyst = bearer("analyst", ["national"])
    span = {"from": FIRST, "to": LAST}
    isolated = 0
    for by, method in PLACEMENTS:
        week = ask(url, ROWS, by=by, method=method, **span)
        days = ask(url, ROWS, by=by, method=method, series=True, **span)
        shown = {(r["area"]["code"], r["periodStart"]): r["value"] for r in days["rows"]}
        weekly = {r["area"]["code"]: r["value"] for r in week["rows"]}
        for n in range(7):
            day = (date.fromisoformat(FIRST) + timedelta(days=n)).isoformat()
            truth = ask(url, CONTRIBUTORS, analyst, by=by, method=method, date=day)
            for row in truth["rows"]:
                trusts = row["contributors"]
                if len({c["code"] for c in trusts}) != 1 or not trusts[0]["share"]:
                    continue
                area, true = row["area"]["code"], trusts[0]["value"]
                share = sum(c["share"] for c in trusts)  # the area's part of the trust's value
                others = sum(v for (a, d), v in shown.items() if a == area and d != day)
                for figure in (shown[(area, day)], weekly[area] - others):
                    found = figure / share  # the trust's value, as the reader scales it back
                    assert abs(found - true) <= policy.maximum + 1e-4
                    if 1 <= true <= policy.threshold:
                        isolated += 1
                        assert found != pytest.approx(true), (by, method, area, day)
    assert isolated > 0  # the sample has such trusts: the attack was really made
    assert _pairs_differ_by_noise(url, analyst, policy.maximum, policy.threshold) >= 0


def _pairs_differ_by_noise(url: str, analyst: dict[str, str], noise: int, threshold: int) -> int:
    """Figures of a day across geography types and methods whose contributors differ by one
    whole trust: their difference is within noise of the trust's value, never a small count."""
    tried = 0
    day = "2020-04-08"
    figures: list[tuple[dict[str, tuple[float, float]], float]] = []
    for by, method in PLACEMENTS:
        truth = ask(url, CONTRIBUTORS, analyst, by=by, method=method, date=day)
        public = ask(url, ROWS, by=by, method=method, date=day)
        shown = {r["area"]["code"]: r["value"] for r in public["rows"]}
        for row in truth["rows"]:
            made = {c["code"]: (c["share"], c["value"]) for c in row["contributors"]}
            figures.append((made, shown[row["area"]["code"]]))
    for big, big_value in figures:
        for small, small_value in figures:
            extra = set(big) - set(small)
            if len(extra) != 1 or any(big.get(k) != v for k, v in small.items()):
                continue
            (code,) = extra
            share, true = big[code]
            if share != 1.0:
                continue
            difference = big_value - small_value
            assert abs(difference - true) <= noise + 1e-6
            if 1 <= true <= threshold:
                tried += 1
                assert difference != pytest.approx(true)
    return tried


OBSERVATIONS = """query($org: String!, $from: Date, $to: Date) {
  observations(org: $org, metric: "CovidAdmissions", from: $from, to: $to) {
    code periodStart value protection } }"""
REGIONAL = ["region:Y62"]  # the sample's North West
NORTH_WEST = "E40000010"


def _observations(url: str, headers: dict[str, str], org: str) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": OBSERVATIONS, "variables": {"org": org, "from": FIRST, "to": LAST}},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return list(body["data"]["observations"])


def _small_trust(url: str) -> str:
    """A North West trust whose admissions hold a small count in the week (from a national
    analyst's contributors: the truth)."""
    analyst = bearer("analyst", ["national"])
    for n in range(7):
        day = (date.fromisoformat(FIRST) + timedelta(days=n)).isoformat()
        found = ask(url, CONTRIBUTORS, analyst, by="NHS_REGION", method="RETURN_STATED", date=day)
        for row in found["rows"]:
            if row["area"]["code"] != NORTH_WEST:
                continue
            for c in row["contributors"]:
                if 1 <= c["value"] <= 7 and c["share"] == 1.0:
                    return str(c["code"])
    raise AssertionError(f"no small North West count in the week: {found}")


def test_a_regional_analyst_reads_perturbed_records_on_every_path(url: str, folder: Path) -> None:
    """A grant scoped to a region is protected by the policy (nhskg:protectsScopedGrants): its
    reads of records (GraphQL observations, the Data Cube Turtle, roll-up contributors) and its
    roll-ups (/api/v1/data CSV) carry the same perturbed values, each the true value plus the
    table's noise for the record's key; a national analyst reads the true values."""
    from rdflib import Graph

    from service.access.disclosure import Protection, source_floor

    policy = policy_of(str(NHSKG.CovidAdmissions))
    assert policy is not None
    protection = Protection(
        policy, _file_salt(folder / SALT_FILE), source_floor(str(NHSKG.CovidAdmissions))
    )
    org = _small_trust(url)
    regional, national = bearer("analyst", REGIONAL), bearer("analyst", ["national"])
    truth = {o["periodStart"]: o["value"] for o in _observations(url, national, org)}
    seen = _observations(url, regional, org)
    assert truth and {o["periodStart"] for o in seen} == set(truth)
    moved = 0
    for o in seen:
        true = truth[o["periodStart"]]
        key = protection.record_key(o["code"], str(NHSKG.CovidAdmissions), o["periodStart"])
        assert o["value"] == true + protection.noise(true, key), o
        assert o["protection"] == "PERTURBED"
        moved += 1 <= true <= policy.threshold
        if 1 <= true <= policy.threshold:
            assert o["value"] != true  # a small count is never read exactly
    assert moved > 0
    assert all(o["protection"] is None for o in _observations(url, national, org))
    # The Data Cube Turtle: the same perturbed values, each saying so.
    metric = str(NHSKG.CovidAdmissions)
    turtle = httpx.get(
        f"{url}/observations/{org}.ttl",
        params={"metric": metric, "from": FIRST, "to": LAST},
        headers=regional,
    )
    assert turtle.status_code == 200, turtle.text
    graph = Graph().parse(data=turtle.text, format="turtle")
    cube = {
        str(graph.value(node, NHSKG.periodStart)): float(graph.value(node, NHSKG.reportedValue))
        for node in graph.subjects(NHSKG.metric, NHSKG.CovidAdmissions)
    }
    assert cube == {o["periodStart"]: o["value"] for o in seen}
    marked = set(graph.subjects(NHSKG.publishedWithProtection, NHSKG.CellKeyPerturbation))
    assert len(marked) == len(cube)
    plain = httpx.get(
        f"{url}/observations/{org}.ttl",
        params={"metric": metric, "from": FIRST, "to": LAST},
        headers=national,
    )
    assert "publishedWithProtection" not in plain.text
    # Roll-up contributors: the same perturbed value of the trust, never the true one.
    day = next(o["periodStart"] for o in seen if 1 <= truth[o["periodStart"]] <= 7)
    found = ask(url, CONTRIBUTORS, regional, by="NHS_REGION", method="RETURN_STATED", date=day)
    values = {c["code"]: c["value"] for r in found["rows"] for c in r["contributors"]}
    assert values[org] == next(o["value"] for o in seen if o["periodStart"] == day)
    # /api/v1/data as CSV: the regional analyst's region figure is the perturbed one.
    params = {"areaType": "NHS_REGION", "method": "RETURN_STATED", "date": day,
              "metric": "CovidAdmissions", "format": "csv"}  # fmt: skip
    csv_rows = {
        r["areaCode"]: r
        for r in csv.DictReader(
            io.StringIO(httpx.get(f"{url}/api/v1/data", params=params, headers=regional).text)
        )
    }
    shown = ask(url, ROWS, regional, by="NHS_REGION", method="RETURN_STATED", date=day)
    true = ask(url, ROWS, national, by="NHS_REGION", method="RETURN_STATED", date=day)
    region = next(r for r in shown["rows"] if r["area"]["code"] == NORTH_WEST)
    assert float(csv_rows[NORTH_WEST]["value"]) == region["value"]
    assert {r["protection"] for r in csv_rows.values()} == {"PERTURBED"}
    # The region's figure is the true figure plus its contributors' noise, each contributor's
    # noise the table's for its record key (the sum may be 0: noise is symmetric).
    exact = next(r for r in true["rows"] if r["area"]["code"] == NORTH_WEST)["value"]
    told = ask(url, CONTRIBUTORS, national, by="NHS_REGION", method="RETURN_STATED", date=day)
    parts = [c for r in told["rows"] if r["area"]["code"] == NORTH_WEST for c in r["contributors"]]
    assert parts and all(c["share"] == 1.0 for c in parts)
    noise = sum(
        protection.noise(
            c["value"], protection.record_key(c["code"], str(NHSKG.CovidAdmissions), day)
        )
        for c in parts
    )
    assert region["value"] == protection.published(exact + noise)
    assert sum(values[c["code"]] for c in parts) == pytest.approx(region["value"])


FORECAST = """query($by: String!, $method: RollupMethod!) {
  forecast(metric: "CovidAdmissions", by: $by, method: $method, horizon: 3) {
    areas { area { code } history { day value } } } }"""


def _forecast(url: str, headers: dict[str, str] | None = None) -> dict[tuple[str, str], float]:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": FORECAST, "variables": {"by": "NHS_REGION", "method": "ODS_STATED"}},
        headers=headers or {},
        timeout=120,
    )
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return {
        (a["area"]["code"], h["day"]): h["value"]
        for a in body["data"]["forecast"]["areas"]
        for h in a["history"]
    }


def test_a_forecast_is_trained_on_the_figures_the_caller_may_see(url: str) -> None:
    """A forecast's history is figures too: a caller the disclosure rule protects (a regional
    analyst) gets it from the perturbed series their roll-ups give, never the true values a
    national analyst sees."""
    series = {"by": "NHS_REGION", "method": "ODS_STATED", "from": FIRST, "to": LAST,
              "series": True}  # fmt: skip
    for token in (bearer("analyst", ["region:Y62"]), bearer("analyst", ["national"])):
        rows = ask(url, ROWS, token, **series)["rows"]
        seen = {(r["area"]["code"], r["periodStart"]): r["value"] for r in rows}
        history = _forecast(url, token)
        assert history and history.items() <= seen.items()
    regional = _forecast(url, bearer("analyst", ["region:Y62"]))
    national = _forecast(url, bearer("analyst", ["national"]))
    assert any(regional[k] != national.get(k) for k in regional), "nothing perturbed"
