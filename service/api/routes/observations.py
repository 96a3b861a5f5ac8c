"""GET /observations/{code}.ttl: one organisation's reported values as RDF Data Cube observations
(Turtle), for SPARQL users; the same values as the GraphQL `observations` field."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from service.access.policy import AccessDenied, authenticate, log_answer
from service.returns.datacube import datacube_slice

router = APIRouter(tags=["observations"])


@router.get("/observations/{code}.ttl", response_class=Response)
def observations_turtle(
    request: Request,
    code: str,
    metric: Annotated[str | None, Query(description="Metric IRI (see GraphQL metrics).")] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    access = authenticate(request)
    try:
        access.require_organisation(code)
        access.require_metric(metric)
    except AccessDenied as exc:
        raise exc.http() from exc
    regions = access.value_regions(code)
    graph = datacube_slice(request.app.state.numbers, code, metric, start, end, regions)
    log_answer(request, access, f"observations {code}.ttl {metric} {start} {end}", len(graph))
    return Response(graph.serialize(format="turtle"), media_type="text/turtle")
