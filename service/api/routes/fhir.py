"""GET /fhir/Organization/{code}: a FHIR R4 Organization for an organisation or site."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from service.access.policy import AccessDenied, authenticate
from service.api.errors import error_responses
from service.fhir.organization import UnknownOrganisation, organization

router = APIRouter(tags=["fhir"])
FHIR_JSON = "application/fhir+json"


@router.get("/fhir/Organization/{code}", responses=error_responses(401, 403))
def read_organization(
    request: Request,
    code: str,
    on: Annotated[date | None, Query(description="As on this day (default today).")] = None,
) -> JSONResponse:
    access = authenticate(request)  # organisation-level facts, in scope: as GET /lookup
    try:
        access.require_organisation(code)
    except AccessDenied as exc:
        raise exc.http() from exc
    reference = request.app.state.reference
    try:
        resource = organization(code, reference.organisations, reference.lookup.asof, on)
    except UnknownOrganisation as exc:
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "not-found", "diagnostics": str(exc)}],
        }
        return JSONResponse(outcome, status_code=404, media_type=FHIR_JSON)
    return JSONResponse(resource, media_type=FHIR_JSON)
