"""GET /lookup/{code}/{geographyType}: which areas an organisation is in, on a date, by a method."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from service.lookup import Lookup, LookupFailure
from service.rollup.model import DEFAULT_METHOD

router = APIRouter(tags=["lookup"])

STATUS_CODES = {
    "unknown_code": 404,
    "not_yet_open": 404,
    "unknown_area_type": 422,
    "unknown_method": 422,
}


def parse_day(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise HTTPException(
            422,
            detail={
                "status": "malformed_date",
                "message": f"asOf {value!r} is not a date; expected format YYYY-MM-DD "
                "(for example 2021-01-01)",
            },
        ) from exc


@router.get("/lookup/{code}/{geography_type}")
async def lookup(
    request: Request,
    code: str,
    geography_type: str,
    as_of: str | None = Query(default=None, alias="asOf", description="YYYY-MM-DD; default today"),
    method: str = Query(
        default=DEFAULT_METHOD.value, description="SITES, HEADQUARTERS, CATCHMENT, ODS_STATED"
    ),
) -> Response:
    """Primary area, all areas with shares, the method, and the organisation(s) the code
    resolved to on that date (with the succession events when the code was an old one)."""
    service: Lookup = request.app.state.reference.lookup  # refreshed after a change set
    day = parse_day(as_of)
    area_type = geography_type.upper()
    try:
        if service.is_quick(area_type):  # built timelines: no need for a worker thread
            answer = service.lookup(code, area_type, day, method)
        else:  # may work out timelines first (tens of milliseconds): off the event loop
            answer = await run_in_threadpool(service.lookup, code, area_type, day, method)
    except LookupFailure as exc:
        raise HTTPException(
            STATUS_CODES.get(exc.status, 400),
            detail={"status": exc.status, "message": exc.message, **exc.details},
        ) from exc
    # Serialised here, not by FastAPI's response model: the answer is plain JSON already, and
    # validating it again would cost more than the lookup (the apps call this a lot).
    return Response(answer.to_json(), media_type="application/json")
