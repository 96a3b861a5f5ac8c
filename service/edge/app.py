"""The edge's ASGI app: lookups it can answer itself (the main process's lookup route, over its
published snapshot), everything else handed to the main process unchanged.

A lookup is answered here when it is `GET /lookup/{code}/{type}`, asks about the reference as
known now (no `asKnownAt`: a snapshot as known then is built by the main process), the edge has
loaded the latest publication, and the type's timelines are built. The answer is the main
process's route's own (same code, same policy: token, grant, scope, access log), marked
`X-NHSKG-Answered-By: edge`. Anything else, including a lookup the edge cannot answer yet, goes
to the main process, which always can."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.access.log import AccessLog
from service.access.tokens import TokenVerifier
from service.api.errors import install_error_handlers
from service.api.routes import lookup
from service.api.workers import Workers
from service.config import Settings
from service.edge.forward import Forwarder
from service.edge.view import EdgeView
from service.returns.numbers import NumbersStore

LOOKUP = re.compile(r"^/lookup/[^/]+/(?P<type>[^/]+)$")
ANSWERED_HERE = (b"x-nhskg-answered-by", b"edge")
# The main process has its budgets to answer; the edge waits the longest and a little more.
FORWARD_SLACK_SECONDS = 30.0


def answerable(scope: Scope, view: EdgeView) -> bool:
    """Whether this process can answer the request exactly as the main process would."""
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    found = LOOKUP.match(scope["path"])
    if found is None:
        return False
    query = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    if "asKnownAt" in query:  # even blank: the main process says what is wrong with it
        return False
    loaded = view.current()
    return loaded is not None and loaded.reference.lookup.is_quick(found["type"].upper())


class EdgeDispatch:
    def __init__(self, app: ASGIApp, view: EdgeView, forwarder: Forwarder) -> None:
        self.app, self.view, self.forwarder = app, view, forwarder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
        elif answerable(scope, self.view):

            async def marked(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message["headers"], ANSWERED_HERE]}
                await send(message)

            await self.app(scope, receive, marked)
        else:
            await self.forwarder(scope, receive, send)


def create_edge_app(
    settings: Settings,
    state_path: Path,
    socket_path: Path,
    numbers: NumbersStore,
    verifier: TokenVerifier | None,
) -> tuple[FastAPI, EdgeView]:
    """The edge app and its view (which fills the app's state as it loads publications: the
    reference and the authenticator the lookup route reads)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.workers = Workers.create(
        settings.request_budget_seconds, settings.engine_threads, settings.steward_budget_seconds
    )
    app.state.access_log = AccessLog(settings.access_log_path) if verifier is not None else None
    assert settings.store_path is not None, "the edge reads the snapshot saved with the store"
    view = EdgeView(state_path, settings.store_path, numbers, verifier, app.state)
    longest = max(settings.request_budget_seconds, settings.steward_budget_seconds)
    forwarder = Forwarder(socket_path, longest + FORWARD_SLACK_SECONDS)
    app.include_router(lookup.router)
    app.add_middleware(EdgeDispatch, view=view, forwarder=forwarder)
    install_error_handlers(app)  # the size limits outermost: forwarded requests are checked too
    return app, view
