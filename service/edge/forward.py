"""Hand a request to the main process over its Unix socket and stream its answer back unchanged
(status, headers, cookies, body). The request body is at most MAX_BODY bytes (the edge refuses
larger ones first, as the main process would), so it is sent whole."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
from starlette.types import Receive, Scope, Send

from service.api.errors import BodyTooLarge, body_too_large, error_json

log = logging.getLogger(__name__)

# Headers that describe one hop, not the message (RFC 9110 7.6.1): never passed on.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)


class Forwarder:
    def __init__(self, socket_path: Path, timeout_seconds: float) -> None:
        self.client = httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=str(socket_path)),
            base_url="http://main",
            timeout=httpx.Timeout(timeout_seconds, connect=5.0),
            follow_redirects=False,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytearray()
        try:
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
        except BodyTooLarge:  # counted by SizeLimits, as the main process counts it
            await body_too_large()(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]
        target = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        request = self.client.build_request(
            scope["method"], target, headers=headers, content=bytes(body)
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            # While the app is being built (or stopping) its socket is absent: each such request
            # is answered 503, and uvicorn's access log shows it; no line of its own.
            log.info("the main process did not answer %s: %s", scope["path"][:80], exc)
            answer = error_json(
                503, "unavailable", "the server is starting or stopping; try again shortly"
            )
            await answer(scope, receive, send)
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP
                    ],
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()

    async def close(self) -> None:
        await self.client.aclose()
