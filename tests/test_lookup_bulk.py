"""POST /lookup/bulk over the real HTTP server on the sample: many codes as JSON, and a CSV of
codes in and out, agreeing with GET /lookup code by code."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pytest

from service.api.app import create_app
from service.config import Settings
from service.geography.lookup_bulk import MAX_CODES
from service.rdf.store import GraphStore
from tests.http_server import serve
from tests.support.auth import bearer, sign_httpx

CODES = ["RD3", "rw6", "R0A", "RD9"]  # merged, split (lower case), open, unknown


@pytest.fixture(autouse=True)
def signed_in(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Organisation-level facts: a national analyst's requests."""
    return sign_httpx(monkeypatch, "analyst")


@pytest.fixture(scope="module")
def base_url(sample_store: GraphStore) -> Iterator[str]:
    with serve(create_app(Settings(store_path=None, numbers_path=None), store=sample_store)) as url:
        yield url


def single(base_url: str, code: str, day: str, method: str = "ODS_STATED") -> httpx.Response:
    return httpx.get(
        f"{base_url}/lookup/{code}/LRF", params={"asOf": day, "method": method}, timeout=120
    )


def test_json_bulk_answers_like_single_lookups(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/lookup/bulk",
        json={"codes": CODES, "geographyType": "lrf", "asOf": "2022-01-01", "method": "ODS_STATED"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(CODES)
    for code, answer in zip(CODES, body["answers"], strict=True):
        one = single(base_url, code, "2022-01-01")
        if one.status_code == 200:
            assert answer == one.json()
        else:
            detail = one.json()["detail"]
            assert (answer["status"], answer["message"]) == (detail["status"], detail["message"])
    assert body["answers"][-1]["status"] == "unknown_code"


def test_csv_in_csv_out_with_a_date_per_row(base_url: str) -> None:
    rows = "code,asOf\r\nRD3,2021-01-01\r\nR0A,\r\nRD9,2021-01-01\r\n"
    response = httpx.post(
        f"{base_url}/lookup/bulk",
        params={"geographyType": "LRF", "asOf": "2020-06-01", "method": "CATCHMENT"},
        content=rows,
        headers={"Content-Type": "text/csv"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["code"] for r in table] == ["RD3", "R0A", "RD9"]
    assert [r["as_of"] for r in table] == ["2021-01-01", "2020-06-01", "2021-01-01"]
    for row in table[:2]:
        one = single(base_url, row["code"], row["as_of"], "CATCHMENT").json()
        assert row["status"] == one["status"]
        assert row["resolved_to"] == ";".join(o["code"] for o in one["resolved"])
        assert row["primary_area_code"] == (one["primary_area"] or {}).get("code", "")
        assert row["areas"] == ";".join(f"{a['code']}:{a['share']:.6g}" for a in one["areas"])
    assert table[1]["primary_area_code"]  # R0A's catchment lies mostly in one LRF
    assert table[2]["status"] == "unknown_code" and "RD9" in table[2]["message"]


def test_a_bare_column_of_codes_is_read_too(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/lookup/bulk?geographyType=LRF&asOf=2021-01-01",
        content="RD3\nR0A\n",
        headers={"Content-Type": "text/csv"},
        timeout=120,
    )
    assert [r["code"] for r in csv.DictReader(io.StringIO(response.text))] == ["RD3", "R0A"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"json": {"codes": ["R0A"], "geographyType": "POLICE"}}, "unknown geography type"),
        ({"json": {"codes": ["R0A"]}}, "give geographyType"),
        ({"json": {"codes": "R0A", "geographyType": "LRF"}}, '{"codes": ["R0A", ...]'),
        ({"content": "not json"}, "not JSON"),
        (
            {"json": {"codes": ["R0A"] * (MAX_CODES + 1), "geographyType": "LRF"}},
            f"the most is {MAX_CODES:,}",
        ),
        (
            {
                "content": "code,asOf\nR0A,01/01/2021\n",
                "headers": {"Content-Type": "text/csv"},
                "params": {"geographyType": "LRF"},
            },
            "row 2: '01/01/2021' is not a date",
        ),
        (
            {
                "content": "name,region\nx,y\n",
                "headers": {"Content-Type": "text/csv"},
                "params": {"geographyType": "LRF"},
            },
            "no code column",
        ),
    ],
)
def test_bad_bulk_requests_say_what_to_send(
    base_url: str, kwargs: dict[str, object], message: str
) -> None:
    response = httpx.post(f"{base_url}/lookup/bulk", timeout=60, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert message in response.json()["detail"]["message"]


def test_bulk_lookup_checks_every_code_against_the_callers_scope(base_url: str) -> None:
    """As GET /lookup: no token, no organisation facts; a regional analyst only in scope."""
    body = {"codes": ["RD3"], "geographyType": "LRF", "asOf": "2021-01-01"}
    anonymous = httpx.post(f"{base_url}/lookup/bulk", json=body, headers={"Authorization": ""})
    assert anonymous.status_code == 401, anonymous.text
    north_west = bearer("analyst", ["region:Y62"])
    outside = httpx.post(f"{base_url}/lookup/bulk", json=body, headers=north_west)
    assert outside.status_code == 403 and "RD3" in outside.text, outside.text
