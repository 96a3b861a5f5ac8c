"""GET /observations/{code}.ttl: one organisation's reported values as RDF Data Cube observations
(Turtle), for SPARQL users; the same values as the GraphQL `observations` field."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response

from service.access.policy import AccessDenied, authenticate, log_answer
from service.api.errors import error_responses
from service.api.limits import MAX_CODE, MAX_NAME
from service.api.workers import Workers
from service.reference import ReferenceData
from service.returns.datacube import datacube_slice

router = APIRouter(tags=["observations"])


@router.get(
    "/observations/{code}.ttl",
    response_class=Response,
    responses={
        200: {"content": {"text/turtle": {}}, "description": "Data Cube observations."},
        **error_responses(401, 403, 404, 422, 503),
    },
)
async def observations_turtle(
    request: Request,
    code: Annotated[str, Path(max_length=MAX_CODE, description="ODS code, e.g. RD3")],
    metric: Annotated[
        str | None, Query(max_length=MAX_NAME, description="Metric IRI (see GraphQL metrics).")
    ] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    as_known_at: Annotated[
        date | None, Query(alias="asKnownAt", description="As published on this date.")
    ] = None,
) -> Response:
    reference: ReferenceData = request.app.state.reference
    numbers = request.app.state.numbers.known_at(as_known_at)
    metric_iri = _metric(reference, metric)
    if start and end and start > end:
        raise HTTPException(
            422,
            detail={
                "status": "from_after_to",
                "message": f"from {start} is after to {end}; give from on or before to",
            },
        )
    code = code.strip().upper()
    if reference.organisations.find(code) is None and not _reported(numbers, code):
        near = reference.organisations.near_matches(code)
        raise HTTPException(
            404,
            detail={
                "status": "unknown_code",
                "message": "unknown organisation code; check the ODS code",
                "near_matches": near,
            },
        )
    access = authenticate(request)
    try:
        access.require_organisation(code)
        access.require_metric(metric)
        protection = access.records_protection(numbers.path)
    except AccessDenied as exc:
        raise exc.http() from exc
    regions = access.value_regions(code)
    workers: Workers = request.app.state.workers
    graph = await workers.engine.run(
        "observations",
        datacube_slice,
        numbers,
        code,
        metric_iri,
        start,
        end,
        regions,
        metrics=reference.metrics,
        protection=protection,
    )
    log_answer(request, access, f"observations {code}.ttl {metric} {start} {end}", len(graph))
    return Response(graph.serialize(format="turtle"), media_type="text/turtle")


def _metric(reference: ReferenceData, metric: str | None) -> str | None:
    if metric is None:
        return None
    term = reference.metrics.find(metric)
    if term is None:
        raise HTTPException(
            422,
            detail={
                "status": "unknown_metric",
                "message": "unknown metric; give a metric IRI or key of the metric scheme "
                "(GraphQL: metrics { key iri })",
                "known": list(reference.metrics.by_key)[:60],
            },
        )
    return term.iri


def _reported(numbers: object, code: str) -> bool:
    """Codes reported in a return but not in the reference (unregistered providers) have values."""
    reader = getattr(numbers, "reader", None)
    if reader is None:
        return False
    row = (
        reader()
        .execute(
            "SELECT 1 FROM reported_value WHERE org_code = ? OR reported_code = ? LIMIT 1",
            [code, code],
        )
        .fetchone()
    )
    return row is not None
