"""POST /lookup/bulk: many codes in one request, as JSON or as a CSV of codes (answered in CSV).

    curl -X POST 'http://127.0.0.1:8000/lookup/bulk?geographyType=LRF&asOf=2021-01-01' \
         -H 'Content-Type: text/csv' --data-binary @codes.csv
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from service.access.policy import AccessDenied, authenticate
from service.api.errors import error_responses
from service.api.routes.lookup import known_reference, parse_day
from service.geography.lookup_bulk import BulkInputError, check_size, read_csv, run, to_csv, to_json
from service.geography.lookup_bulk import Request as CodeRequest
from service.rollup.model import DEFAULT_METHOD

router = APIRouter(tags=["lookup"])


@router.post("/lookup/bulk", responses=error_responses(401, 403, 422))
async def bulk_lookup(
    request: Request,
    geography_type: str | None = Query(default=None, alias="geographyType"),
    as_of: str | None = Query(default=None, alias="asOf", description="YYYY-MM-DD; default today"),
    method: str | None = Query(
        default=None, description="HEADQUARTERS (default), SITES, CATCHMENT, ODS_STATED"
    ),
    as_known_at: str | None = Query(
        default=None,
        alias="asKnownAt",
        description="YYYY-MM-DD: the reference graph as known at the end of that day",
    ),
) -> Response:
    """JSON `{"codes": [...], "geographyType": "LRF", "asOf": "2021-01-01", "method": "SITES",
    "asKnownAt": "2021-06-01"}` answers `{"count", "answers": [...]}` (each as GET /lookup
    answers, or the code's error); a `text/csv` body (a `code` column, optionally `asOf` per
    row) answers CSV, one row a code."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = (await request.body()).decode("utf-8", errors="replace")
    as_csv = media == "text/csv"
    try:
        if as_csv:
            day = parse_day(as_of)
            requests = read_csv(body, day)
        else:
            payload = _json(body)
            geography_type = _text(payload, "geographyType", geography_type, "LRF")
            method = _text(payload, "method", method, "SITES")
            as_known_at = _text(payload, "asKnownAt", as_known_at, "2021-06-01")
            day = parse_day(_text(payload, "asOf", as_of, "2021-01-01"))
            codes = payload.get("codes")
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                raise BulkInputError('send {"codes": ["R0A", ...], "geographyType": "LRF"}')
            requests = [CodeRequest(c, day) for c in codes if c.strip()]
        if not geography_type:
            raise BulkInputError("give geographyType (for example LRF, ICB, NHS_REGION)")
        check_size(requests)
        access = authenticate(request)  # each code as GET /lookup/{code} would check it
        try:
            for asked in requests:
                access.require_organisation(asked.code)
        except AccessDenied as exc:
            raise exc.http() from exc
        # as GET /lookup/{code} reads it: a snapshot as known then may have to be built first
        reference = await run_in_threadpool(known_reference, request, as_known_at)
        results = await run_in_threadpool(
            run,
            reference.lookup,
            requests,
            geography_type.upper(),
            method or DEFAULT_METHOD.value,
            parse_day(as_known_at, "asKnownAt") if as_known_at else None,
        )
    except BulkInputError as exc:
        raise HTTPException(
            422, detail={"status": "bad_bulk_request", "message": str(exc)}
        ) from exc
    wants_csv = as_csv or "text/csv" in request.headers.get("accept", "")
    if wants_csv:
        return Response(to_csv(results), media_type="text/csv; charset=utf-8")
    return Response(to_json(results), media_type="application/json")


def _text(payload: dict[str, Any], name: str, given: str | None, example: str) -> str | None:
    """A text field of the JSON body (the query parameter of that name wins)."""
    value = given if given is not None else payload.get(name)
    if value is not None and not isinstance(value, str):
        raise BulkInputError(f'{name} must be text, for example "{example}"; got {value!r}')
    return value


def _json(body: str) -> dict[str, Any]:
    try:
        payload = json.loads(body or "{}")
    except json.JSONDecodeError as exc:
        raise BulkInputError(f"the body is not JSON ({exc.msg}); or send text/csv") from exc
    if not isinstance(payload, dict):
        raise BulkInputError('send a JSON object: {"codes": [...], "geographyType": "LRF"}')
    return payload
