"""GET /health: the service is up and its store answers."""

from __future__ import annotations

from fastapi import APIRouter, Request

from service import __version__

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> dict[str, object]:
    store = request.app.state.store
    lookup = request.app.state.reference.lookup
    return {
        "status": "ok",
        "version": __version__,
        "quads": store.quad_count(),
        # The geography types whose lookups are worked out in advance (nhskg serve warms
        # them all after it starts, one by one).
        "warmLookups": sorted(lookup.warmed),
    }
