"""/sparql over a real uvicorn server on loopback, with real clients (httpx as curl would,
SPARQLWrapper, rdflib's SPARQLStore). Expected answers come from the store itself."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TSV, TURTLE, XML, SPARQLWrapper

from service.api.app import create_app
from service.config import Settings
from service.rdf.store import GraphStore
from tests.http_server import serve
from tests.support.auth import bearer, sign_httpx

TRUSTS = (
    "SELECT ?code ?name WHERE { ?t a nhskg:NHSTrust ; nhskg:odsCode ?code ; rdfs:label ?name }"
    " ORDER BY ?code ?name"
)
PREFIXED = (
    "PREFIX nhskg: <https://w3id.org/nhskg/def#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
)


@pytest.fixture(autouse=True)
def national_analyst(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The endpoint reads every organisation: each request here is a national analyst's."""
    return sign_httpx(monkeypatch)


def _settings(**limits: float) -> Settings:
    return Settings(store_path=None, numbers_path=None, **limits)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def base_url(sample_store: GraphStore) -> Iterator[str]:
    with serve(create_app(_settings(), store=sample_store)) as url:
        yield url


@pytest.fixture(scope="module")
def expected_trusts(sample_store: GraphStore) -> list[tuple[str, str]]:
    rows = [(r["code"], r["name"]) for r in sample_store.select(TRUSTS)]
    assert len(rows) > 5
    return rows


def test_get_with_accept_json_answers_like_the_store(
    base_url: str, expected_trusts: list[tuple[str, str]]
) -> None:
    response = httpx.get(
        f"{base_url}/sparql",
        params={"query": TRUSTS},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    body = response.json()
    assert body["head"]["vars"] == ["code", "name"]
    got = [(b["code"]["value"], b["name"]["value"]) for b in body["results"]["bindings"]]
    assert got == expected_trusts


def test_sparqlwrapper_reads_every_result_format(
    base_url: str, expected_trusts: list[tuple[str, str]]
) -> None:
    client = SPARQLWrapper(f"{base_url}/sparql")
    client.addCustomHttpHeader("Authorization", bearer()["Authorization"])
    client.setQuery(TRUSTS)
    client.setReturnFormat(JSON)
    bindings = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert [(b["code"]["value"], b["name"]["value"]) for b in bindings] == expected_trusts

    client.setReturnFormat(XML)
    document = client.queryAndConvert()
    codes = [n.firstChild.data for n in document.getElementsByTagName("literal")][::2]  # type: ignore[union-attr]
    assert codes == [code for code, _ in expected_trusts]

    client.setReturnFormat(CSV)
    rows = list(csv.reader(io.StringIO(client.queryAndConvert().decode())))  # type: ignore[union-attr]
    assert rows[0] == ["code", "name"] and [tuple(r) for r in rows[1:]] == expected_trusts

    client.setReturnFormat(TSV)
    lines = client.queryAndConvert().decode().splitlines()  # type: ignore[union-attr]
    assert lines[0] == "?code\t?name"
    assert lines[1].split("\t")[0] == f'"{expected_trusts[0][0]}"'

    client.setMethod("POST")  # form-encoded POST
    client.setReturnFormat(JSON)
    client.setQuery(f"ASK {{ ?t nhskg:odsCode {json.dumps(expected_trusts[0][0])} }}")
    assert client.queryAndConvert()["boolean"] is True  # type: ignore[index]


def test_construct_as_turtle_through_sparqlwrapper(
    base_url: str, sample_store: GraphStore, expected_trusts: list[tuple[str, str]]
) -> None:
    client = SPARQLWrapper(f"{base_url}/sparql")
    client.addCustomHttpHeader("Authorization", bearer()["Authorization"])
    client.setQuery(
        "CONSTRUCT { ?t rdfs:label ?name } WHERE { ?t a nhskg:NHSTrust ; rdfs:label ?name }"
    )
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.queryAndConvert(), format="turtle")  # type: ignore[arg-type]
    names = {str(o) for o in graph.objects()}
    assert {name for _, name in expected_trusts} <= names


def test_rdflib_sparqlstore_queries_the_endpoint(
    base_url: str, expected_trusts: list[tuple[str, str]]
) -> None:
    remote = Graph(store=SPARQLStore(f"{base_url}/sparql", headers=bearer()))
    rows = remote.query(PREFIXED + TRUSTS)  # a standard client declares its prefixes
    assert [(str(r[0]), str(r[1])) for r in rows] == expected_trusts  # type: ignore[index]
    code, name = expected_trusts[0]
    trust = next(iter(remote.subjects(URIRef("https://w3id.org/nhskg/def#odsCode"), Literal(code))))
    assert Literal(name) in set(
        remote.objects(trust, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))
    )
    built = remote.query(
        PREFIXED + "CONSTRUCT { ?t ?p ?o } WHERE { ?t nhskg:odsCode ?c ; ?p ?o } LIMIT 50"
    )
    assert len(built.graph) > 0  # type: ignore[arg-type]


def test_post_sparql_query_body(base_url: str, expected_trusts: list[tuple[str, str]]) -> None:
    response = httpx.post(
        f"{base_url}/sparql",
        content=TRUSTS,
        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"},
    )
    assert response.status_code == 200
    assert response.text.splitlines()[1] == ",".join(expected_trusts[0])


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("POST", {"data": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}),
        (
            "POST",
            {
                "content": "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
                "headers": {"Content-Type": "application/sparql-update"},
            },
        ),
        ("GET", {"params": {"query": "# sneaky\nPREFIX x: <urn:x>\nDROP ALL"}}),
        ("POST", {"data": {"query": "DELETE WHERE { ?s ?p ?o }"}}),
    ],
)
def test_updates_are_refused_and_change_nothing(
    base_url: str, sample_store: GraphStore, method: str, kwargs: dict[str, object]
) -> None:
    before = sample_store.quad_count()
    response = httpx.request(method, f"{base_url}/sparql", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 403
    assert "read-only" in response.text and "Update is refused" in response.text
    assert sample_store.quad_count() == before


def test_bad_requests_say_what_was_wrong(base_url: str) -> None:
    bad = httpx.get(f"{base_url}/sparql", params={"query": "SELECT ?x WHERE { ?x "})
    assert bad.status_code == 400 and "syntax error" in bad.text
    assert httpx.get(f"{base_url}/sparql").status_code == 400
    refused = httpx.get(
        f"{base_url}/sparql", params={"query": TRUSTS}, headers={"Accept": "image/png"}
    )
    assert refused.status_code == 406 and "application/sparql-results+json" in refused.text
    when = httpx.get(f"{base_url}/sparql", params={"query": TRUSTS, "known_at": "last week"})
    assert when.status_code == 400 and "ISO 8601" in when.text


def test_result_cap_stops_the_query_with_a_clear_error(sample_store: GraphStore) -> None:
    with serve(create_app(_settings(sparql_max_results=5), store=sample_store)) as url:
        over = httpx.get(f"{url}/sparql", params={"query": TRUSTS})
        assert over.status_code == 422
        assert "more than 5 solutions" in over.text and "LIMIT" in over.text
        under = httpx.get(f"{url}/sparql", params={"query": TRUSTS + " LIMIT 5"})
        assert len(under.json()["results"]["bindings"]) == 5


@pytest.mark.parametrize(
    "query",
    [
        # streams solutions: stopped between two of them
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        # one aggregate solution that takes seconds: answered at the deadline
        "SELECT (COUNT(*) AS ?n) WHERE { { SELECT ?a WHERE { ?a ?p ?o } LIMIT 3000 }"
        " { SELECT ?b WHERE { ?b ?q ?r } LIMIT 6000 } }",
    ],
)
def test_time_limit_stops_a_long_query_and_the_server_stays_responsive(
    sample_store: GraphStore, query: str
) -> None:
    settings = _settings(sparql_timeout_s=0.3, sparql_max_results=10**9)
    with (
        serve(create_app(settings, store=sample_store)) as url,
        httpx.Client(headers=bearer()) as client,
    ):
        started = time.monotonic()
        response = client.get(f"{url}/sparql", params={"query": query}, timeout=30)
        assert response.status_code == 503
        assert "stopped after 0.3 s" in response.text
        assert time.monotonic() - started < 5
        health = client.get(f"{url}/health", timeout=5)  # the event loop was never blocked
        assert health.status_code == 200
        assert not multiprocessing.active_children()  # the query's worker was stopped, not left


def test_known_at_and_named_graphs_read_the_graphs_as_known_then() -> None:
    store = GraphStore(None)
    s, p = URIRef("urn:nhskg:test:s"), URIRef("urn:nhskg:test:p")
    store.write_graph("urn:nhskg:test:g1", [(s, p, Literal("first"))])
    time.sleep(0.01)
    between = datetime.now(UTC)
    time.sleep(0.01)
    store.write_graph(
        "urn:nhskg:test:g2", [(s, p, Literal("second"))], retires=["urn:nhskg:test:g1"]
    )
    query = "SELECT ?o WHERE { <urn:nhskg:test:s> <urn:nhskg:test:p> ?o }"
    with serve(create_app(_settings(), store=store)) as url:

        def values(**params: str) -> list[str]:
            response = httpx.get(f"{url}/sparql", params={"query": query, **params})
            assert response.status_code == 200, response.text
            return [b["o"]["value"] for b in response.json()["results"]["bindings"]]

        assert values() == ["second"]
        assert values(known_at=between.isoformat()) == ["first"]
        assert values(known_at=(between - timedelta(days=1)).date().isoformat()) == []
        assert values(**{"default-graph-uri": "urn:nhskg:test:g1"}) == ["first"]
        graphs = httpx.get(
            f"{url}/sparql",
            params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s <urn:nhskg:test:p> ?o } }"},
        ).json()["results"]["bindings"]
        assert [b["g"]["value"] for b in graphs] == ["urn:nhskg:test:g2"]


def test_the_endpoint_needs_a_national_analyst(base_url: str) -> None:
    """Without a token, or with a regional scope, the whole graph is not readable."""
    anonymous = httpx.get(
        f"{base_url}/sparql", params={"query": TRUSTS}, headers={"Authorization": ""}
    )
    assert anonymous.status_code == 401, anonymous.text
    regional = httpx.get(
        f"{base_url}/sparql", params={"query": TRUSTS}, headers=bearer("analyst", ["region:Y58"])
    )
    assert regional.status_code == 403, regional.text
    assert "every organisation" in regional.json()["detail"]["message"]
