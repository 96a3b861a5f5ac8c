"""/sparql keeps the front door (access requests, decisions, grants) from national analysts: by
the default graph, GRAPH ?g, FROM, FROM NAMED, SERVICE, the protocol's default-graph-uri and
named-graph-uri, known_at and the provenance graph; approvers and admins read it. Real uvicorn
server, real clients (httpx as curl, SPARQLWrapper), requests made through the real GraphQL
front door."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from SPARQLWrapper import JSON, SPARQLWrapper

from service.api.app import create_app
from service.config import Settings
from service.rdf.store import PROVENANCE_GRAPH, GraphStore
from service.rdf.terms import GRAPH
from tests.http_server import serve
from tests.support.auth import bearer

ANALYST = bearer("analyst", ["national"])
APPROVER = bearer("approver", ["national"], subject="ivy.approver@nhs.net")
ADMIN = bearer("admin", ["national"])
PURPOSE = "Front door secrecy test: winter bed modelling"
FRONT_DOOR = str(GRAPH["access/"])

REQUEST = """mutation($r: AccessRequestInput!) { requestAccess(request: $r) { id } }"""
DECIDE = """mutation($id: String!) { decideAccessRequest(id: $id, approve: true,
    conditions: "No onward sharing") { grant } }"""
# Every statement that names the front door or carries the request's purpose, in any graph.
MENTIONS = f"""SELECT (COUNT(*) AS ?n) WHERE {{
    {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }}
    FILTER(CONTAINS(STR(?s), "/access/") || CONTAINS(STR(?o), "/access/")
           || CONTAINS(STR(?o), "{PURPOSE}"))
}}"""


def _request(url: str, purpose: str = PURPOSE) -> str:
    variables = {
        "r": {
            "requestedBy": "ann.analyst@nhs.net",
            "organisation": "NHS England South West",
            "purpose": purpose,
            "legalBasis": "UKGDPR_6_1_E_9_2_I",
            "metrics": ["BedsOccupiedCovid"],
            "scope": ["region:Y58"],
            "endDate": "2099-03-31",
        }
    }
    body = httpx.post(f"{url}/graphql", json={"query": REQUEST, "variables": variables}).json()
    return str(body["data"]["requestAccess"]["id"])


@pytest.fixture(scope="module")
def server(sample_store: GraphStore) -> Iterator[dict[str, Any]]:
    store = sample_store.copy_in_memory()
    settings = Settings(store_path=None, numbers_path=None)  # type: ignore[arg-type]
    with serve(create_app(settings, store=store)) as url:
        asked = _request(url)
        decided = httpx.post(
            f"{url}/graphql", json={"query": DECIDE, "variables": {"id": asked}}, headers=APPROVER
        ).json()
        grant = decided["data"]["decideAccessRequest"]["grant"]
        graphs = [g for g in store.current_graphs() if g.startswith(FRONT_DOOR)]
        assert len(graphs) == 2, graphs  # the request; the decision (with its grant)
        yield {"url": url, "request": asked, "grant": grant, "graphs": graphs}


def _select(
    url: str, query: str, headers: dict[str, str], **params: Any
) -> tuple[int, list[dict[str, Any]] | str]:
    response = httpx.get(
        f"{url}/sparql",
        params={"query": query, **params},
        headers={**headers, "Accept": "application/sparql-results+json"},
        timeout=60,
    )
    if response.status_code != 200:
        return response.status_code, response.text
    return 200, response.json()["results"]["bindings"]


def _count(url: str, query: str, headers: dict[str, str], **params: Any) -> int:
    status, rows = _select(url, query, headers, **params)
    assert status == 200 and isinstance(rows, list), rows
    return int(rows[0]["n"]["value"])


def test_approvers_and_admins_read_the_front_door(server: dict[str, Any]) -> None:
    for who in (APPROVER, ADMIN):
        assert _count(server["url"], MENTIONS, who) > 0
        status, rows = _select(server["url"], "SELECT ?r WHERE { ?r a nhskg:AccessRequest }", who)
        assert status == 200 and isinstance(rows, list)
        assert any(r["r"]["value"].endswith(server["request"]) for r in rows)


def test_an_analyst_sees_nothing_of_it_in_any_graph(server: dict[str, Any]) -> None:
    url = server["url"]
    assert _count(url, MENTIONS, ANALYST) == 0
    for query in (
        "SELECT ?r WHERE { ?r a nhskg:AccessRequest }",
        "SELECT ?r WHERE { GRAPH ?g { ?r a nhskg:AccessGrant } }",
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?g), '/access/')) }",
        f"SELECT ?g WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?g prov:generatedAtTime ?t }} "
        "FILTER(CONTAINS(STR(?g), '/access/')) }",
    ):
        assert _select(url, query, ANALYST) == (200, []), query
    # The analyst still reads everything else (the endpoint is not simply closed).
    status, rows = _select(url, "SELECT ?t WHERE { ?t a nhskg:NHSTrust } LIMIT 3", ANALYST)
    assert status == 200 and isinstance(rows, list) and len(rows) == 3


def test_from_and_from_named_in_the_query_reach_nothing(server: dict[str, Any]) -> None:
    url = server["url"]
    names = "FILTER(CONTAINS(STR(?s), '/access/') || CONTAINS(STR(?o), '/access/'))"
    for graph in server["graphs"]:
        for query in (
            f"SELECT ?s ?p ?o FROM <{graph}> WHERE {{ ?s ?p ?o {names} }}",
            f"SELECT ?s ?p ?o FROM NAMED <{graph}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {names} }}",
            f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}",
        ):
            assert _select(url, query, ANALYST) == (200, []), query
            status, rows = _select(url, query, APPROVER)
            assert status == 200 and rows, query  # the same query does reach it for an approver


def test_protocol_dataset_parameters_naming_it_are_refused(server: dict[str, Any]) -> None:
    url, graph = server["url"], server["graphs"][0]
    query = "SELECT ?s ?p ?o WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    message = (
        f"{graph} is a graph of the front door (access requests, decisions, grants): only an "
        "approver or admin token reads it; the register of approved grants is public at "
        "/register\n"
    )
    for parameter in ("default-graph-uri", "named-graph-uri"):
        assert _select(url, query, ANALYST, **{parameter: graph}) == (403, message)
        both = {parameter: [PROVENANCE_GRAPH, graph]}
        assert _select(url, query, ANALYST, **both) == (403, message)
        status, rows = _select(url, query, APPROVER, **{parameter: graph})
        assert status == 200 and rows
    # By POST (form) as well as GET.
    response = httpx.post(
        f"{url}/sparql",
        data={"query": query, "named-graph-uri": graph},
        headers={**ANALYST, "Accept": "application/sparql-results+json"},
    )
    assert (response.status_code, response.text) == (403, message)


def test_the_provenance_graph_named_alone_or_known_at_hides_it(server: dict[str, Any]) -> None:
    url = server["url"]
    about = (
        "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } "
        "FILTER(CONTAINS(STR(?s), '/access/') || CONTAINS(STR(?o), '/access/')) }"
    )
    for params in (
        {"default-graph-uri": PROVENANCE_GRAPH},
        {"named-graph-uri": PROVENANCE_GRAPH},
        {"known_at": datetime.now(UTC).isoformat()},
    ):
        assert _count(url, about, ANALYST, **params) == 0, params
        assert _count(url, about, APPROVER, **params) > 0, params


def test_service_to_the_endpoint_itself_brings_nothing_back(server: dict[str, Any]) -> None:
    url = server["url"]
    query = f"SELECT ?r WHERE {{ SERVICE <{url}/sparql> {{ ?r a nhskg:AccessRequest }} }}"
    response = httpx.get(
        f"{url}/sparql",
        params={"query": query},
        headers={**ANALYST, "Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert server["request"] not in response.text and "/access/" not in response.text
    assert response.status_code != 200 or response.json()["results"]["bindings"] == []


def test_sparqlwrapper_as_an_analyst_and_a_request_made_while_serving(
    server: dict[str, Any],
) -> None:
    """A real SPARQL client; and the copy without the front door follows new writes."""
    url = server["url"]
    later = _request(url, purpose=PURPOSE + " (second)")
    client = SPARQLWrapper(f"{url}/sparql")
    client.setReturnFormat(JSON)
    client.setQuery("SELECT ?r ?purpose WHERE { ?r a nhskg:AccessRequest ; ?p ?purpose }")
    client.addCustomHttpHeader("Authorization", ANALYST["Authorization"])
    assert client.queryAndConvert()["results"]["bindings"] == []  # type: ignore[index]
    approver = SPARQLWrapper(f"{url}/sparql")
    approver.setReturnFormat(JSON)
    approver.setQuery("SELECT ?r WHERE { ?r a nhskg:AccessRequest }")
    approver.addCustomHttpHeader("Authorization", APPROVER["Authorization"])
    found = approver.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert {server["request"], later} <= {r["r"]["value"].rsplit("/", 1)[-1] for r in found}
    assert _count(url, MENTIONS, ANALYST) == 0
