"""/sparql: the SPARQL 1.1 Protocol (query operation), read-only, GET and POST.

    curl -H 'Accept: application/sparql-results+json' \
         'http://127.0.0.1:8000/sparql?query=SELECT+*+WHERE+{?s+?p+?o}+LIMIT+3'

The dataset is the current graphs unless the request names one: `default-graph-uri` and
`named-graph-uri` (the protocol's parameters), or `known_at=2026-01-01T00:00:00Z` for the graphs
as known then. Answers are negotiated (Accept, or `format=json|xml|csv|tsv|turtle|...`).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from service.access.policy import AccessDenied, Need, authenticate
from service.api.errors import error_responses
from service.rdf.store import PREFIXES
from service.sparql import formats
from service.sparql.execute import Answer, GraphSet, Reply, SparqlEndpoint, read_only_message
from service.sparql.hidden import is_front_door

router = APIRouter(tags=["sparql"])

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"


def check_access(request: Request) -> bool:
    """The one place the endpoint asks the access policy (service/access/policy.py): a query
    may read any organisation's facts, so it needs a national scope with organisation-level
    rights. Returns whether the caller may also read the front door's graphs (requests,
    decisions, grants: an approver or admin); for anyone else they are not in the dataset
    (service/sparql/hidden.py)."""
    access = authenticate(request)
    try:
        access.require_national_records()
    except AccessDenied as exc:
        raise exc.http() from exc
    return access.may(Need.APPROVER)


def _param(name: str, description: str, *, required: bool = False) -> dict[str, object]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


PARAMETERS = [
    _param("query", "A SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE).", required=True),
    _param("known_at", "Read the graphs as known at this time (ISO 8601)."),
    _param("default-graph-uri", "A graph of the default graph (repeatable)."),
    _param("named-graph-uri", "A graph GRAPH can read (repeatable)."),
    _param("format", "json, xml, csv, tsv, turtle, ntriples, rdf or json-ld (else Accept)."),
]


@router.get(
    "/sparql",
    response_class=Response,
    openapi_extra={"parameters": PARAMETERS},
    responses=error_responses(401, 403),
)
async def sparql_get(request: Request) -> Response:
    """SPARQL 1.1 Protocol query (read-only; updates are refused with 403)."""
    params = {k: request.query_params.getlist(k) for k in request.query_params}
    return await _answer(request, params)


@router.post("/sparql", response_class=Response, responses=error_responses(401, 403))
async def sparql_post(request: Request) -> Response:
    """SPARQL 1.1 Protocol query by POST: a form (query=...) or an application/sparql-query
    body; graph parameters in the URL or the form."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    params = {k: request.query_params.getlist(k) for k in request.query_params}
    body = (await request.body()).decode("utf-8", errors="replace")
    if media == SPARQL_UPDATE:
        return _error(403, read_only_message())
    if media == SPARQL_QUERY:
        params["query"] = [body]
    elif media == FORM or not media:
        for key, values in parse_qs(body, keep_blank_values=True).items():
            params.setdefault(key, []).extend(values)
    else:
        return _error(415, f"POST a query as {FORM} (query=...) or as {SPARQL_QUERY}, not {media}")
    return await _answer(request, params)


async def _answer(request: Request, params: dict[str, list[str]]) -> Response:
    front_door = check_access(request)
    if params.get("update"):
        return _error(403, read_only_message())
    queries = params.get("query", [])
    if len(queries) != 1 or not queries[0].strip():
        return _error(400, "give exactly one SPARQL query: ?query=SELECT ... (GET or POST)")
    try:
        graphs = _graph_set(params)
    except ValueError as exc:
        return _error(400, str(exc))
    named = [g for g in (graphs.default or []) + (graphs.named or []) if is_front_door(g)]
    if named and not front_door:
        return _error(
            403,
            f"{named[0]} is a graph of the front door (access requests, decisions, grants): "
            "only an approver or admin token reads it; the register of approved grants is "
            "public at /register",
        )
    endpoint: SparqlEndpoint = request.app.state.sparql
    accept = request.headers.get("accept")
    wanted = next(iter(params.get("format") or params.get("output") or []), None)
    write = partial(_write, accept, wanted)
    reply = await endpoint.run(queries[0], graphs, write, front_door=front_door)
    return Response(
        reply.body,
        status_code=reply.status,
        media_type=reply.media_type,
        headers={"Vary": "Accept"},
    )


def _write(accept: str | None, wanted: str | None, answer: Answer) -> Reply:
    """The answer in the negotiated format (runs in the query's child process)."""
    try:
        media = formats.choose(answer.kind, accept, wanted)
        if answer.kind == "boolean":
            body = formats.write_boolean(media, answer.boolean)
        elif answer.kind == "solutions":
            body = formats.write_solutions(media, answer.variables, answer.rows)
        else:
            body = formats.write_graph(media, answer.triples, PREFIXES)
    except formats.NotAcceptable as exc:
        return Reply(406, "text/plain; charset=utf-8", f"{exc}\n".encode())
    charset = "" if media == formats.JSON_LD else "; charset=utf-8"
    return Reply(200, media + charset, body)


def _graph_set(params: dict[str, list[str]]) -> GraphSet:
    known = params.get("known_at", [])
    default, named = params.get("default-graph-uri"), params.get("named-graph-uri")
    if known:
        if default or named:
            raise ValueError("give known_at or default-graph-uri/named-graph-uri, not both")
        try:
            when = datetime.fromisoformat(known[0])
        except ValueError as exc:
            raise ValueError(
                f"known_at {known[0]!r} is not a time; expected ISO 8601, for example "
                "2026-01-01T00:00:00Z or 2026-01-01"
            ) from exc
        return GraphSet(known_at=when)
    return GraphSet(default=default or None, named=named or None)


def _error(status: int, message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=status)
