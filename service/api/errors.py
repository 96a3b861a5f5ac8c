"""One shape for every REST error, as the OpenAPI contract documents it:

    {"detail": {"status": "unknown_code", "message": "...", ...details}}

`status` is a machine-readable kind, `message` says what was wrong and what to do; details
(near matches, the known values) depend on the kind. User errors are logged as one line, real
faults with their traceback; a request over the size limits is refused before it is read.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.limits import MAX_BODY, MAX_URL
from service.api.workers import BudgetExceeded

log = logging.getLogger("nhskg.api")


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    status: str
    message: str


class ErrorBody(BaseModel):
    detail: ErrorDetail


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: these status codes answer with an ErrorBody."""
    described = {
        401: "No bearer token, or one that does not verify: without a token only aggregate "
        "figures are shown (service/access/policy.py).",
        403: "The token's role or scope does not cover this.",
        404: "Unknown code, or nothing known for it.",
        413: "Request body too large.",
        414: "URL too long.",
        422: "A parameter is malformed, too long or not one of the known values.",
        503: "The request ran past its time budget and was stopped.",
    }
    return {c: {"model": ErrorBody, "description": described[c]} for c in codes}


def error_json(status_code: int, kind: str, message: str, **details: Any) -> JSONResponse:
    return JSONResponse(
        {"detail": {"status": kind, "message": message, **details}}, status_code=status_code
    )


def _where(location: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in location[1:]) or str(location[0])


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # FastAPI's own body repeats the input; a 1 MB parameter must not come back, nor be logged.
    problems = [f"{_where(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()]
    message = "; ".join(problems[:5]) or "invalid request"
    log.info("422 %s %s: %s", request.method, request.url.path[:80], message)
    return error_json(422, "invalid_parameter", message)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.detail, dict) and "status" in exc.detail and "message" in exc.detail:
        body = exc.detail
    else:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        body = {"status": kind, "message": str(exc.detail)}
    path = request.url.path[:80]
    log.info("%s %s %s: %s", exc.status_code, request.method, path, body["message"])
    return JSONResponse({"detail": body}, status_code=exc.status_code, headers=exc.headers)


async def _budget(request: Request, exc: Exception) -> JSONResponse:
    log.warning("503 %s %s: %s", request.method, request.url.path[:80], exc)
    return error_json(503, "time_budget_exceeded", f"{exc}; ask for less (a shorter range)")


async def _too_large(request: Request, exc: Exception) -> JSONResponse:
    log.info("413 %s %s: body too large", request.method, request.url.path[:80])
    return body_too_large()


def body_too_large() -> JSONResponse:
    message = f"the request body is too large: at most {MAX_BODY} bytes are accepted"
    return error_json(413, "body_too_large", message)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(BodyTooLarge, _too_large)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(BudgetExceeded, _budget)
    app.add_middleware(SizeLimits)


class SizeLimits:
    """Refuse a URL over MAX_URL bytes (414) or a body over MAX_BODY (413) before reading it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        url = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if url > MAX_URL:
            await _refuse(scope, receive, send, 414, "url_too_long", f"at most {MAX_URL} bytes")
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.isdigit() or int(value) > MAX_BODY):
                await _refuse(
                    scope, receive, send, 413, "body_too_large", f"at most {MAX_BODY} bytes"
                )
                return
        await self.app(scope, _counting(receive), send)


def _counting(receive: Receive) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > MAX_BODY:
            raise BodyTooLarge
        return message

    return counted


class BodyTooLarge(Exception):
    pass


async def _refuse(
    scope: Scope, receive: Receive, send: Send, code: int, kind: str, limit: str
) -> None:
    what = "the URL" if code == 414 else "the request body"
    response = error_json(code, kind, f"{what} is too large: {limit} are accepted")
    log.info("%s %s %s: %s too large", code, scope.get("method"), scope.get("path", "")[:80], what)
    await response(scope, receive, send)
