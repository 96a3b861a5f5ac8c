"""The front page (/) and the three dashboards (/dashboards/strategic, operational, public), each
panel's CSV (/dashboards/{name}/{panel}.csv, the same figures the page shows) and simplified
boundaries (/api/v1/boundaries/{areaType}.geojson). Server-rendered HTML; every asset is local."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from service.access.policy import SESSION_COOKIE
from service.api.deps import request_context
from service.api.graphql.context import Context
from service.api.graphql.errors import UserError
from service.api.routes.assets import missing_assets
from service.dashboards import boundaries, examples, operational, strategic
from service.dashboards.view import DEFERRED, Choices, Panel, View, parse_choices, plain
from service.rdf.terms import ROOT
from service.reference.releases import releases
from service.rollup.engine import placed_method

router = APIRouter(tags=["pages"], include_in_schema=False)
templates = Jinja2Templates(directory=str(ROOT / "service" / "api" / "templates"))
templates.env.globals["plain"] = plain

DASHBOARDS = (
    ("/dashboards/strategic", "Strategic", "The national picture on a date and its trend, by "
     "region, ICB or LRF, as a map and small multiples, with who has not reported."),
    ("/dashboards/operational", "Operational", "For a region, an ICB or a trust: each trust's "
     "recent returns, missing returns, values restated or not placed, and why."),
    ("/dashboards/public", "Public information", "National and regional figures, open to "
     "everyone with no sign-in."),
)  # fmt: skip
# Links shown when another part of the service provides them.
OPTIONAL_LINKS = (("/sparql", "SPARQL endpoint"), ("/access", "Register of who has access"))


class PageRefused(Exception):
    """A page asked with a token the policy refuses (401: revoked or ended grant, expired or
    invalid token): answered as an HTML page with a link to sign in again, not the API's JSON."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def page_context(request: Request, *, public: bool = False) -> Context:
    """request_context for a page: a refused token is PageRefused (an HTML answer)."""
    try:
        return request_context(request, public=public)
    except HTTPException as exc:
        detail: dict[str, Any] = exc.detail if isinstance(exc.detail, dict) else {}
        if exc.status_code != 401:
            raise
        raise PageRefused(
            str(detail.get("message", exc.detail)), str(detail.get("hint", ""))
        ) from exc


async def refused_page(request: Request, exc: Exception) -> Response:
    """The page a refused token gets: what ended and why, and a link to sign in again (back to
    the same page). The browser's sign-in cookie, if that is what carried the token, is cleared:
    the next page is the public view, not the same refusal."""
    assert isinstance(exc, PageRefused)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    ended = any(word in exc.message for word in ("revoked", "expired", "ended"))
    page = {
        "title": "Your access has ended" if ended else "Your token was not accepted",
        "message": exc.message,
        "hint": exc.hint,
        "signin": "/signin?" + urlencode({"next": here}),
        "missing_assets": missing_assets(),
    }
    response = templates.TemplateResponse(request, "refused.html", page, status_code=401)
    if "authorization" not in request.headers and SESSION_COOKIE in request.cookies:
        response.delete_cookie(SESSION_COOKIE, path="/", samesite="strict", httponly=True)
    return response


def _routes(request: Request) -> set[str]:
    return {getattr(r, "path", "") for r in request.app.routes}


@router.get("/", response_class=HTMLResponse)
def front_page(request: Request) -> HTMLResponse:
    context = request_context(request, public=True)
    numbers = context.numbers
    held = examples.held_metrics(context)
    routes = _routes(request)
    page = {
        "title": "Home",
        "dashboards": DASHBOARDS,
        "publications": numbers.publications() if numbers else [],
        "placements": numbers.placements() if numbers else [],
        "metrics": held,
        "releases": releases(request.app.state.store),
        "examples": examples.graphql_examples(context, held),
        "data_example": examples.data_example(context, held),
        "extra_links": [(href, text) for href, text in OPTIONAL_LINKS if href in routes],
        "missing_assets": missing_assets(),
    }
    return templates.TemplateResponse(request, "index.html", page)


def placed_default(defaults: Choices, placed: list[tuple[str, str, int]]) -> Choices:
    """The dashboard's default method, or where the store has no placements by it for the
    default geography type (the embedded sample has no headquarters locations), the first
    method it has for that type: a first view shows figures, not an error."""
    method = placed_method(placed, defaults.by, defaults.method)
    return defaults if method == defaults.method else replace(defaults, method=method)


def _view(
    request: Request,
    name: str,
    *,
    only: str | None = None,
    defer: frozenset[str] = frozenset(),
) -> tuple[View, Context]:
    """The dashboard's view for the request's URL parameters; bad ones are the view's error.
    `only`: one panel (its CSV, or its own request); `defer`: panels the page draws later."""
    public = name == "public"
    context = page_context(request, public=public)
    defaults = {
        "strategic": strategic.DEFAULTS,
        "public": strategic.PUBLIC_DEFAULTS,
        "operational": operational.DEFAULTS,
    }[name]
    if "method" not in request.query_params and context.numbers is not None:
        defaults = placed_default(defaults, context.numbers.placements())
    try:
        choices = parse_choices(request.query_params, defaults)
    except UserError as exc:
        return View(name, f"{name.title()} dashboard", "", defaults, error=str(exc)), context
    data_dir = request.app.state.settings.data_dir
    if name == "operational":
        return operational.build(context, choices, only=only, defer=defer), context
    built = strategic.build(context, choices, data_dir, public=public, only=only, defer=defer)
    return built, context


@router.get("/dashboards/{name}", response_class=HTMLResponse)
def dashboard(request: Request, name: str) -> HTMLResponse:
    if name not in ("strategic", "operational", "public"):
        raise HTTPException(404, detail={"status": "unknown_dashboard", "message": name})
    view, context = _view(request, name, defer=DEFERRED)
    page = {
        "title": view.title,
        "view": view,
        "public": name == "public",
        "options": strategic.options(context),
        "query": _query(view.choices),
        "missing_assets": missing_assets(),
    }
    return templates.TemplateResponse(request, "dashboard.html", page)


def _query(choices: Choices) -> str:
    return choices.query()


@router.get("/dashboards/{name}/{panel}.csv")
def panel_csv(request: Request, name: str, panel: str) -> Response:
    """Exactly the figures of one panel of the view these parameters give."""
    if name not in ("strategic", "operational", "public"):
        raise HTTPException(404, detail={"status": "unknown_dashboard", "message": name})
    view, _ = _view(request, name, only=panel)
    if view.error:
        raise HTTPException(400, detail={"status": "bad_request", "message": view.error})
    found = next((p for p in view.panels if p.id == panel), None)
    if found is None:
        raise HTTPException(404, detail={"status": "unknown_panel", "message": panel})
    if found.error:
        raise HTTPException(400, detail={"status": "bad_request", "message": found.error})
    filename = f"{name}-{panel}.csv"
    return Response(
        found.csv(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/dashboards/{name}/{panel}.html", response_class=HTMLResponse)
def panel_html(request: Request, name: str, panel: str) -> HTMLResponse:
    """One panel the page draws after the rest (view.DEFERRED), as the HTML of its section, for
    the view these parameters give; an error is the panel's message, in words."""
    if name not in ("strategic", "operational", "public") or panel not in DEFERRED:
        raise HTTPException(404, detail={"status": "unknown_panel", "message": panel})
    view, _ = _view(request, name, only=panel)
    found = next((p for p in view.panels if p.id == panel), None)
    if found is None and not view.error:  # a dashboard without the panel (the public one)
        raise HTTPException(404, detail={"status": "unknown_panel", "message": panel})
    if found is None:  # the view's error (bad parameters, no sign-in), said in the panel
        found = Panel(panel, "Early warning", [], error=view.error)
    page = {"view": view, "panel": found, "query": _query(view.choices)}
    return templates.TemplateResponse(request, "panel.html", page)


@router.get("/api/v1/boundaries/{area_type}.geojson")
def boundaries_geojson(request: Request, area_type: str, asOf: str | None = None) -> Response:
    """The outlines of a geography type's areas (simplified, WGS84), as the maps draw them."""
    reference = request.app.state.reference
    try:
        day = dt.date.fromisoformat(asOf) if asOf else dt.date.today()
    except ValueError as exc:
        raise HTTPException(
            422, detail={"status": "malformed_date", "message": f"asOf {asOf!r}: use YYYY-MM-DD"}
        ) from exc
    key = area_type.upper()
    if key not in reference.areas.types:
        known = ", ".join(reference.areas.types)
        raise HTTPException(
            422, detail={"status": "unknown_area_type", "message": f"{key}: known {known}"}
        )
    found = boundaries.outlines(reference.areas, key, day, request.app.state.settings.data_dir)
    if found is None:
        raise HTTPException(
            404, detail={"status": "no_boundaries", "message": f"no boundary file draws {key}"}
        )
    names = {a.code: a.name for a in reference.areas.by_iri.values()}
    body: dict[str, Any] = boundaries.geojson(found, names)
    return Response(
        json.dumps(body),
        media_type="application/geo+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )
