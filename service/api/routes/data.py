"""GET /api/v1/data: roll-up figures for download, in the convention of the UKHSA data dashboard's
API (areaType, metric, from, to, format), through the same checks, engine, limits and errors as
the GraphQL `rollup` field (numbers_resolvers.run_rollup).

    /api/v1/data?areaType=LRF&metric=BedsOccupiedCovid&from=2020-04-01&to=2020-04-30
                &method=SITES&restateTo=2026-04-01&format=csv

One row per area and period: area code and name, date, value and coverage (reported, expected,
the missing ODS codes). json also gives the unmapped total; csv and jsonl are rows only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from service.access.policy import Need
from service.api.deps import request_context
from service.api.errors import error_responses
from service.api.graphql.errors import Denied, UserError
from service.api.graphql.numbers_resolvers import run_rollup
from service.returns.synthetic import synthetic_notice
from service.rollup.model import (
    AS_REPORTED,
    DEFAULT_METHOD,
    Method,
    Restate,
    RollupResult,
    to_organisations_at,
)
from service.rollup.records import FORMATS, area_of, encode, records

router = APIRouter(tags=["data"])


def parse_date(name: str, value: str | None) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise HTTPException(
            422,
            detail={
                "status": "malformed_date",
                "message": f"{name} {value!r} is not a date; expected YYYY-MM-DD "
                "(for example 2020-04-15)",
            },
        ) from exc


def parse_method(value: str) -> Method:
    try:
        return Method(value.upper())
    except ValueError as exc:
        known = ", ".join(m.value for m in Method)
        raise HTTPException(
            400,
            detail={
                "status": "bad_request",
                "message": f"unknown method {value!r}. Known: {known}",
            },
        ) from exc


def bad_request(exc: UserError) -> HTTPException:
    """400 with the GraphQL field's message; a refusal by the access policy keeps its 401/403."""
    if isinstance(exc, Denied):
        status = "unauthorised" if exc.status == 401 else "forbidden"
        return HTTPException(exc.status, detail={"status": status, "message": str(exc)})
    return HTTPException(400, detail={"status": "bad_request", "message": str(exc)})


def head_of(
    result: RollupResult, metric_key: str, count: int, name_organisations: bool
) -> dict[str, Any]:
    summary = result.unmapped_summary
    return {
        "metric": metric_key,
        "areaType": result.area_type,
        "method": result.method.value,
        "kind": result.kind,
        "restatedTo": result.restate.at.isoformat() if result.restate.at else None,
        "count": count,
        "protection": result.protection,
        "unmapped": {
            "total": summary.total,
            "count": summary.count,
            "organisations": summary.organisations if name_organisations else [],
        },
    }


@router.get("/api/v1/data", responses=error_responses(401, 403))
def data(
    request: Request,
    area_type: Annotated[str, Query(alias="areaType", description="LRF, ICB, NHS_REGION...")],
    metric: Annotated[str, Query(description="A metric key (GraphQL metrics { key }).")],
    start: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD")] = None,
    date: Annotated[str | None, Query(description="One day, instead of from and to.")] = None,
    method: Annotated[
        str, Query(description=", ".join(m.value for m in Method))
    ] = DEFAULT_METHOD.value,
    restate_to: Annotated[
        str | None,
        Query(alias="restateTo", description="Restate to the organisations of this date."),
    ] = None,
    series: Annotated[bool, Query(description="A flow as one row per day.")] = False,
    fmt: Annotated[str, Query(alias="format", description="csv, json or jsonl")] = "json",
) -> StreamingResponse:
    """Rows of a roll-up, streamed. Errors are the GraphQL field's, as 400 with a message."""
    if fmt not in FORMATS:
        raise HTTPException(
            400,
            detail={
                "status": "bad_request",
                "message": f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}",
            },
        )
    day, first, last = (parse_date(n, v) for n, v in (("date", date), ("from", start), ("to", end)))
    at = parse_date("restateTo", restate_to)
    restate: Restate = to_organisations_at(at) if at else AS_REPORTED
    context = request_context(request)
    try:
        result, term = run_rollup(
            context, metric, area_type, day, first, last, restate, parse_method(method), series,
            detail=False,
        )  # fmt: skip
    except UserError as exc:
        raise bad_request(exc) from exc
    # Who did not report, or is not placed, names organisations: not for the public role.
    named = context.access.may(Need.RECORDS)
    rows = records(result, term.key, area_of(context.reference.areas), name_organisations=named)
    head = head_of(result, term.key, len(result.rows), named)
    headers = {}
    parts = [p for p in (term.numerator, term.denominator) if p] or [term.iri]
    notice = synthetic_notice(context.numbers, parts) if context.numbers is not None else None
    if notice:  # generated values (Supply Chain 360): said in the head and in a header
        head["syntheticNotice"] = notice
        headers["X-NHSKG-Synthetic"] = "true"
    if fmt == "csv":
        span = f"{day}" if day else f"{first}_{last}"
        filename = f"{'SYNTHETIC_' if notice else ''}{term.key}_{result.area_type}_{span}.csv"
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    body = encode(fmt, rows, head)
    return StreamingResponse(body, media_type=FORMATS[fmt], headers=headers)
