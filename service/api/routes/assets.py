"""GET /assets/{name}: the front-end files the pages use, from the npm packages `make setup`
installs (node_modules/) and the service's own static folder, never from another host.

Only the files listed here are served. The NHS.UK stylesheet's @font-face rules (Frutiger, a
licensed font served by NHS England's own host) are removed: the pages fall back to Arial, the
design system's own fallback, instead of asking assets.nhs.uk for fonts."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response

from service.rdf.terms import ROOT

router = APIRouter(tags=["assets"], include_in_schema=False)

NODE_MODULES = ROOT / "node_modules"
STATIC = Path(__file__).resolve().parent.parent / "static"

# name served -> (folder, path inside it)
ASSETS: dict[str, tuple[Path, str]] = {
    "nhsuk.css": (NODE_MODULES, "nhsuk-frontend/dist/nhsuk.min.css"),
    "nhsuk.js": (NODE_MODULES, "nhsuk-frontend/dist/nhsuk.min.js"),
    "graphiql.css": (NODE_MODULES, "graphiql/graphiql.min.css"),
    "graphiql.js": (NODE_MODULES, "graphiql/graphiql.min.js"),
    "react.js": (NODE_MODULES, "react/umd/react.production.min.js"),
    "react-dom.js": (NODE_MODULES, "react-dom/umd/react-dom.production.min.js"),
    "swagger-ui.css": (NODE_MODULES, "swagger-ui-dist/swagger-ui.css"),
    "swagger-ui-bundle.js": (NODE_MODULES, "swagger-ui-dist/swagger-ui-bundle.js"),
    "favicon.svg": (STATIC, "favicon.svg"),
    "dashboard.css": (STATIC, "dashboard.css"),
    "deferred.js": (STATIC, "deferred.js"),
    "graphiql-start.js": (STATIC, "graphiql-start.js"),
    "signin.js": (STATIC, "signin.js"),
    "swagger-start.js": (STATIC, "swagger-start.js"),
}
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
FONT_FACE = re.compile(r"@font-face\{[^}]*\}")


class MissingAsset(LookupError):
    """An npm asset is not installed (npm ci has not run)."""


def asset_path(name: str) -> Path:
    folder, relative = ASSETS[name]
    path = folder / relative
    if not path.is_file():
        raise MissingAsset(
            f"{relative} is not installed: run `make setup` (it runs `npm ci`, Node 20 + npm)"
        )
    return path


@lru_cache(maxsize=32)
def asset_bytes(name: str) -> bytes:
    """The file as served (read once per process)."""
    data = asset_path(name).read_bytes()
    if name == "nhsuk.css":
        data = FONT_FACE.sub("", data.decode("utf-8")).encode("utf-8")
    return data


def missing_assets() -> list[str]:
    """The npm files not installed, for the pages to say so."""
    return [name for name, (folder, rel) in ASSETS.items() if not (folder / rel).is_file()]


@router.get("/assets/{name}")
def asset(name: str, request: Request) -> Response:
    if name not in ASSETS:
        raise HTTPException(404, detail={"status": "unknown_asset", "message": f"no asset {name}"})
    try:
        body = asset_bytes(name)
    except MissingAsset as exc:
        raise HTTPException(503, detail={"status": "missing_asset", "message": str(exc)}) from exc
    media = MEDIA_TYPES[Path(name).suffix]
    return Response(body, media_type=media, headers={"Cache-Control": "public, max-age=3600"})
