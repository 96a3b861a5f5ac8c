"""GET /lookup/{code}/{geographyType}: which areas an organisation is in, on a date, by a method."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from service.access.policy import AccessDenied, authenticate, log_answer
from service.api.errors import error_responses
from service.api.limits import MAX_CODE, MAX_NAME
from service.api.workers import Workers
from service.geography.lookup import Lookup, LookupFailure
from service.geography.methods import METHODS
from service.reference import KnownAtError, ReferenceData
from service.rollup.model import DEFAULT_METHOD

router = APIRouter(tags=["lookup"])

STATUS_CODES = {
    "unknown_code": 404,
    "not_yet_open": 404,
    "unknown_area_type": 422,
    "unknown_method": 422,
}


def parse_day(value: str | None, name: str = "asOf") -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise HTTPException(
            422,
            detail={
                "status": "malformed_date",
                "message": f"{name} {value!r} is not a date; expected format YYYY-MM-DD "
                "(for example 2021-01-01)",
            },
        ) from exc


def known_reference(request: Request, value: str | None) -> ReferenceData:
    """The reference as known at the end of the day `asKnownAt` names (default: now); 422 for
    a malformed date or one before anything was loaded."""
    current: ReferenceData = request.app.state.reference  # refreshed after a change set
    if value is None:
        return current
    try:
        return current.known_at(parse_day(value, "asKnownAt"))
    except KnownAtError as exc:
        raise HTTPException(
            422, detail={"status": "before_first_load", "message": str(exc)}
        ) from exc


@router.get("/lookup/{code}/{geography_type}", responses=error_responses(401, 403, 404, 422, 503))
async def lookup(
    request: Request,
    code: Annotated[str, Path(max_length=MAX_CODE, description="ODS code, e.g. RD3")],
    geography_type: Annotated[str, Path(max_length=MAX_NAME, description="e.g. LRF")],
    as_of: Annotated[
        str | None,
        Query(alias="asOf", max_length=MAX_NAME, description="YYYY-MM-DD; default today"),
    ] = None,
    method: Annotated[
        str,
        Query(max_length=MAX_NAME, description=", ".join(METHODS)),
    ] = DEFAULT_METHOD.value,
    as_known_at: Annotated[
        str | None,
        Query(
            alias="asKnownAt",
            max_length=MAX_NAME,
            description="YYYY-MM-DD: the reference graph as known at the end of that day "
            "(default: as known now)",
        ),
    ] = None,
) -> Response:
    """Primary area, all areas with shares, the method, and the organisation(s) the code
    resolved to on that date (with the succession events when the code was an old one)."""
    access = authenticate(request)  # the one policy: organisation-level data, in scope
    try:
        access.require_organisation(code)
    except AccessDenied as exc:
        raise exc.http() from exc
    day = parse_day(as_of)
    workers: Workers = request.app.state.workers
    if as_known_at is None:
        reference: ReferenceData = request.app.state.reference
    else:  # a snapshot as known then may have to be built first: off the event loop
        reference = await workers.reference.run("lookup", known_reference, request, as_known_at)
    service: Lookup = reference.lookup
    area_type = geography_type.upper()
    try:
        if service.is_quick(area_type):  # built timelines: no need for a worker thread
            answer = service.lookup(code, area_type, day, method)
        else:  # may work out timelines first (tens of milliseconds): off the event loop
            answer = await workers.reference.run(
                "lookup", service.lookup, code, area_type, day, method
            )
    except LookupFailure as exc:
        raise HTTPException(
            STATUS_CODES.get(exc.status, 400),
            detail={"status": exc.status, "message": exc.message, **exc.details},
        ) from exc
    # Serialised here, not by FastAPI's response model: the answer is plain JSON already, and
    # validating it again would cost more than the lookup (the apps call this a lot).
    known = parse_day(as_known_at) if as_known_at else None
    if known is not None:
        answer = replace(answer, known_at=known)
    asked = f"lookup {code} {area_type} {day} {method}" + (f" known {known}" if known else "")
    log_answer(request, access, asked, 1)
    return Response(answer.to_json(), media_type="application/json")
