"""The real HTTP server (uvicorn on loopback) over the embedded sample store."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from service.api.app import create_app
from service.config import Settings
from service.rdf.store import GraphStore
from tests.http_server import serve
from tests.support.auth import bearer


@pytest.fixture(scope="module")
def base_url(sample_store: GraphStore) -> Iterator[str]:
    with serve(create_app(Settings(store_path=None, numbers_path=None), store=sample_store)) as url:
        yield url


def test_health_reports_the_store(base_url: str, sample_store: GraphStore) -> None:
    body = httpx.get(f"{base_url}/health").json()
    assert body["status"] == "ok"
    assert body["quads"] == sample_store.quad_count()


def test_graphql_answers_a_trust_query(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/graphql",
        json={"query": '{ organisation(code: "R0A") { __typename code name } }'},
        headers=bearer("analyst", ["national"]),
    )
    assert response.status_code == 200
    assert response.json()["data"]["organisation"] == {
        "__typename": "Trust",
        "code": "R0A",
        "name": "Manchester University NHS Foundation Trust",
    }


def test_graphiql_and_openapi_docs_are_served(base_url: str) -> None:
    # A generous timeout: the first /openapi.json builds the schema, which took over httpx's
    # default 5 s once while the other test worker loaded the CPU (a clean-clone run).
    page = httpx.get(f"{base_url}/graphql", headers={"accept": "text/html"}, timeout=60)
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert httpx.get(f"{base_url}/docs", timeout=60).status_code == 200
    assert "/health" in httpx.get(f"{base_url}/openapi.json", timeout=60).json()["paths"]
