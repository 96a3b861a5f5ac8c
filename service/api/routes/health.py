"""GET /health: the service is up and its store answers."""

from __future__ import annotations

from fastapi import APIRouter, Request

from service import __version__

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> dict[str, object]:
    """Answered on the event loop (so at once, whatever the workers are doing), unless the
    store's quads must be counted again after a write (a scan: in a worker)."""
    store = request.app.state.store
    lookup = request.app.state.reference.lookup
    quads = (
        store.quad_count()
        if store.quads_counted
        else await request.app.state.workers.reference.run("health", store.quad_count)
    )
    return {
        "status": "ok",
        "version": __version__,
        "quads": quads,
        # The geography types whose lookups are worked out in advance (nhskg serve warms
        # them all after it starts, one by one).
        "warmLookups": sorted(lookup.warmed),
        "lookupTypes": sorted(lookup.area_types()),
    }
