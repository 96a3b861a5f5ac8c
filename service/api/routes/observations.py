"""GET /observations/{code}.ttl: one organisation's reported values as RDF Data Cube observations
(Turtle), for SPARQL users; the same values as the GraphQL `observations` field."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from service.returns.datacube import datacube_slice

router = APIRouter(tags=["observations"])


@router.get("/observations/{code}.ttl", response_class=Response)
def observations_turtle(
    request: Request,
    code: str,
    metric: Annotated[str | None, Query(description="Metric IRI (see GraphQL metrics).")] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    as_known_at: Annotated[
        date | None, Query(alias="asKnownAt", description="As published on this date.")
    ] = None,
) -> Response:
    numbers = request.app.state.numbers.known_at(as_known_at)
    graph = datacube_slice(
        numbers, code, metric, start, end, metrics=request.app.state.reference.metrics
    )
    return Response(graph.serialize(format="turtle"), media_type="text/turtle")
