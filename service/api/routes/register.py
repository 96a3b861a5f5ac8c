"""The dissemination register: every approved grant (organisation, purpose, legal basis, data,
scope, dates, status), public, as CSV, JSON and a page."""

from __future__ import annotations

import csv
import html
import io
import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from service.access.frontdoor import FrontDoor, Grant

router = APIRouter(tags=["register"])

COLUMNS = [
    "grant",
    "organisation",
    "purpose",
    "legal_basis",
    "role",
    "scope",
    "metrics",
    "period_start",
    "period_end",
    "approved_on",
    "end_of_use",
    "status",
    "conditions",
    "revoked_on",
]


def register_rows(front_door: FrontDoor, today: date | None = None) -> list[dict[str, Any]]:
    def row(g: Grant) -> dict[str, Any]:
        return {
            "grant": g.id,
            "organisation": g.organisation,
            "purpose": g.purpose,
            "legal_basis": g.legal_basis,
            "role": g.role.value,
            "scope": " ".join(g.scopes),
            "metrics": " ".join(g.metrics),
            "period_start": g.period_start.isoformat() if g.period_start else None,
            "period_end": g.period_end.isoformat() if g.period_end else None,
            "approved_on": g.approved_at.date().isoformat(),
            "end_of_use": g.end_of_use.isoformat(),
            "status": g.status(today),
            "conditions": g.conditions,
            "revoked_on": g.revoked_at.date().isoformat() if g.revoked_at else None,
        }

    grants = sorted(front_door.grants.values(), key=lambda g: (g.approved_at, g.id))
    return [row(g) for g in grants]


@router.get("/register.json")
def register_json(request: Request) -> Response:
    rows = register_rows(request.app.state.front_door)
    return Response(json.dumps({"grants": rows}, indent=1), media_type="application/json")


@router.get(
    "/register.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "Every approved grant."}},
)
def register_csv(request: Request) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(register_rows(request.app.state.front_door))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


@router.get("/register", response_class=HTMLResponse)
def register_page(request: Request) -> HTMLResponse:
    rows = register_rows(request.app.state.front_door)
    head = "".join(f"<th scope=col>{html.escape(c.replace('_', ' '))}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r[c] or ''))}</td>" for c in COLUMNS) + "</tr>"
        for r in rows
    )
    page = f"""<!doctype html><html lang=en><head><meta charset=utf-8>
<title>Dissemination register</title>
<style>body{{font-family:Arial,sans-serif;margin:2rem}}table{{border-collapse:collapse}}
td,th{{border:1px solid #b1b4b6;padding:.3rem .5rem;text-align:left;vertical-align:top}}</style>
</head><body><h1>Dissemination register</h1>
<p>Every grant of access to this service's data: who (organisation), why (purpose and legal
basis), what (role, geography scope, metrics), and until when. {len(rows)} grants.
Also as <a href="register.csv">CSV</a> and <a href="register.json">JSON</a>.</p>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></body></html>"""
    return HTMLResponse(page)
