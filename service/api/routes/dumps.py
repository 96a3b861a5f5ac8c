"""GET /dump.nq, /dump.trig, /dump.jsonld: the whole graph with provenance (`?current=true`:
the current graphs alone); GET /context.jsonld: the JSON-LD context the JSON-LD dump uses."""

from __future__ import annotations

import os
import tempfile

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from starlette.background import BackgroundTask

from service.access.policy import AccessDenied, Need, authenticate
from service.api.errors import error_responses
from service.rdf.dumps import CONTEXT_PATH, FORMATS, context, write_dump

router = APIRouter(tags=["dumps"])


@router.get(
    CONTEXT_PATH,
    response_class=JSONResponse,
    responses={200: {"content": {"application/ld+json": {}}, "description": "The context."}},
)
def jsonld_context() -> JSONResponse:
    return JSONResponse(context(), media_type="application/ld+json")


def _route(fmt: str) -> None:
    _, media, suffix = FORMATS[fmt]

    @router.get(
        f"/dump{suffix}",
        response_class=FileResponse,
        name=f"dump_{fmt}",
        responses=error_responses(401, 403),
    )
    async def dump(
        request: Request,
        current: bool = Query(False, description="Only the current graphs (no retired ones)."),
    ) -> FileResponse:
        access = authenticate(request)  # the whole graph, history and front door included
        try:
            access.require(Need.ADMIN)
        except AccessDenied as exc:
            raise exc.http() from exc
        # Written to a temporary file off the event loop (the national graph: about 170 MB of
        # N-Quads in ten seconds), then streamed and removed.
        handle, path = tempfile.mkstemp(prefix="nhskg-dump-", suffix=suffix)
        with os.fdopen(handle, "wb") as out:
            await run_in_threadpool(
                write_dump, request.app.state.store, out, fmt, current_only=current
            )
        return FileResponse(
            path,
            media_type=media,
            filename=f"nhskg{'-current' if current else ''}{suffix}",
            background=BackgroundTask(os.remove, path),
        )


for _fmt in FORMATS:
    _route(_fmt)
