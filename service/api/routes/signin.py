"""Sign in with a token, for people using the pages and GraphiQL in a browser.

The dashboards are drawn on the server, so the token must reach the server with the page's own
request (a navigation cannot carry an Authorization header): POST /signin checks the token with
the one verifier and sets it as a cookie, HttpOnly (no script reads it), SameSite=Strict (no
other site's page sends it), Secure when the service is reached over HTTPS, expiring with the
token (at most SESSION_HOURS). The policy accepts the cookie for reads only (GET, HEAD:
service/access/policy.credentials); writes need the Authorization header. GraphiQL sends the
header itself: the sign-in page also keeps the token in the tab's sessionStorage (gone when the
tab closes), from which GraphiQL's fetcher sends `Authorization: Bearer ...` with each request.
POST /signout clears both.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

import jwt
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.access.policy import SESSION_COOKIE, AccessDenied, Authenticator
from service.access.principal import Principal
from service.api.routes.pages import templates

router = APIRouter(tags=["pages"], include_in_schema=False)

SESSION_HOURS = 12
MAX_FORM = 16_384


def signed_in(request: Request) -> Principal | None:
    """Who the browser's cookie signs in (None: nobody, or a token no longer valid)."""
    token = request.cookies.get(SESSION_COOKIE)
    authenticator: Authenticator | None = getattr(request.app.state, "authenticator", None)
    if not token or authenticator is None or authenticator.verifier is None:
        return None
    try:
        return authenticator.principal(f"Bearer {token}")
    except AccessDenied:
        return None


def _next(target: str | None) -> str:
    """A page of this service to return to: a local path only (never another host)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _page(
    request: Request, error: str = "", status: int = 200, back: str | None = None
) -> Response:
    page = {
        "title": "Sign in",
        "error": error,
        "next": _next(back or request.query_params.get("next")),
        "who": None if error else signed_in(request),
    }
    return templates.TemplateResponse(request, "signin.html", page, status_code=status)


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request) -> Response:
    return _page(request)


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    """The form's token (application/x-www-form-urlencoded: token, next), read with the
    standard library (no multipart parser is needed for one text field)."""
    body = await request.body()
    if len(body) > MAX_FORM:
        return _page(request, f"the form is larger than {MAX_FORM:,} bytes: is that a token?", 413)
    form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    token, next = form.get("token", [""])[0], form.get("next", ["/"])[0]
    return _signin(request, token, next)


def _signin(request: Request, token: str, next: str) -> Response:
    token = token.strip()
    authenticator: Authenticator = request.app.state.authenticator
    if authenticator.verifier is None:
        return _page(request, "sign-in is off: this service runs without access control", 400)
    if not token:
        return _page(request, "paste a token (nhskg token issue, or a grant's token)", 400, next)
    try:
        principal = authenticator.principal(f"Bearer {token}")
    except AccessDenied as exc:
        return _page(request, f"this token cannot sign in: {exc.message}", 401, next)
    expires = float(jwt.decode(token, options={"verify_signature": False})["exp"])
    max_age = int(min(expires - time.time(), SESSION_HOURS * 3600))
    response = RedirectResponse(_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.headers["X-Signed-In"] = f"{principal.subject} ({principal.role.value})"
    return response


@router.post("/signout")
def signout(request: Request) -> Response:
    response = RedirectResponse("/signin?signed-out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", samesite="strict", httponly=True)
    return response


templates.env.globals["signed_in"] = signed_in  # the header of every page says who
