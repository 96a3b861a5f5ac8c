"""The FastAPI application, built by create_app(settings): nothing is created at import time."""

from __future__ import annotations

from fastapi import FastAPI

from service import __version__
from service.api.graphql.schema import graphql_router
from service.api.routes import (
    assets,
    bulk_lookup,
    data,
    dumps,
    fhir,
    health,
    lookup,
    observations,
    pages,
    sparql,
    tooling,
)
from service.config import Settings
from service.reference import ReferenceData
from service.returns.codes import Successions, graph_successions
from service.returns.numbers import NumbersStore
from service.sparql.execute import Limits, SparqlEndpoint
from service.store import GraphStore, open_store


def create_app(
    settings: Settings | None = None,
    *,
    store: GraphStore | None = None,
    numbers: NumbersStore | None = None,
    successions: Successions | None = None,
) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="NHS knowledge graph",
        version=__version__,
        description="Organisations, geographies and roll-ups of the English health system.",
        docs_url=None,  # served by routes/tooling.py from local assets, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store or open_store(settings)
    app.state.reference = ReferenceData.build(app.state.store)
    app.state.lookup = app.state.reference.lookup  # as built at start; routes read the reference
    # The numbers store (reported values, org_area), from settings unless given; in memory (empty)
    # when settings name no file.
    numbers = numbers or NumbersStore(settings.numbers_path, read_only=settings.numbers_read_only)
    app.state.numbers = numbers
    # Who carries a code on, for restatement: the graph's unless given (the synthetic
    # benchmark's organisations are not in the graph: bench/graphql_synthetic.py).
    app.state.successions = successions or graph_successions(app.state.store)
    app.include_router(health.router)
    app.include_router(bulk_lookup.router)  # before /lookup/{code}/{type}
    app.include_router(lookup.router)
    app.include_router(observations.router)
    app.state.sparql = SparqlEndpoint(
        app.state.store,
        Limits(max_results=settings.sparql_max_results, timeout_s=settings.sparql_timeout_s),
    )
    app.include_router(sparql.router)
    app.include_router(dumps.router)
    app.include_router(fhir.router)
    app.include_router(data.router)
    app.include_router(assets.router)
    app.include_router(tooling.router)
    app.include_router(pages.router)
    app.include_router(
        graphql_router(
            app.state.reference,
            settings.max_page_size,
            numbers,
            app.state.successions,
            max_rollup_rows=settings.max_rollup_rows,
        ),
        prefix="/graphql",
    )
    return app
