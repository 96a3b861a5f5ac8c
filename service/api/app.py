"""The FastAPI application, built by create_app(settings): nothing is created at import time."""

from __future__ import annotations

from fastapi import FastAPI

from service import __version__
from service.access.frontdoor import FrontDoor
from service.access.keys import ensure_local_key
from service.access.log import AccessLog
from service.access.policy import Authenticator, ScopeIndex
from service.access.retention import Retention
from service.access.tokens import TokenVerifier
from service.api.errors import install_error_handlers
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
    register,
    signin,
    sparql,
    tooling,
)
from service.api.workers import Workers
from service.config import Settings
from service.forecast.warm import warm_forecasting
from service.rdf.store import GraphStore, open_store
from service.reference import ReferenceData
from service.returns.codes import Successions, graph_successions
from service.returns.numbers import NumbersStore
from service.sparql.execute import Limits, SparqlEndpoint


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
    app.state.workers = Workers.create(
        settings.request_budget_seconds, settings.engine_threads, settings.steward_budget_seconds
    )
    install_error_handlers(app)
    app.add_exception_handler(pages.PageRefused, pages.refused_page)  # pages: HTML, not JSON
    app.state.store = store or open_store(settings)
    # The snapshot saved with the store when it is current (a start then takes seconds, not a
    # minute), else built and saved; refreshed in place after a steward change.
    app.state.reference = ReferenceData.current(app.state.store)
    app.state.lookup = app.state.reference.lookup  # as built at start; routes read the reference
    app.state.store.quad_count()  # counted now (a scan of every quad), not by the first /health
    # The numbers store (reported values, org_area), from settings unless given; in memory (empty)
    # when settings name no file.
    numbers = numbers or NumbersStore(settings.numbers_path, read_only=settings.numbers_read_only)
    app.state.numbers = numbers
    _access(app, settings)
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
    app.include_router(signin.router)
    app.include_router(register.router)
    app.include_router(
        graphql_router(
            app.state.reference,
            settings.max_page_size,
            numbers,
            app.state.successions,
            max_rollup_rows=settings.max_rollup_rows,
            workers=app.state.workers,
            front_door=app.state.front_door,
            access_log=app.state.access_log,
            settings=settings,
        ),
        prefix="/graphql",
        include_in_schema=False,  # GraphQL describes itself (introspection, schema.graphql)
    )
    warm_forecasting()
    return app


def _access(app: FastAPI, settings: Settings) -> None:
    """Identity, the front door, the scope index, retention and the access log
    (service/access/)."""
    verifier = None
    if settings.auth_mode != "off":
        if settings.auth_jwks is None:
            ensure_local_key(settings)  # the embedded default issuer
        verifier = TokenVerifier(settings)
    app.state.front_door = FrontDoor(app.state.store)
    app.state.scope_index = ScopeIndex(app.state.reference, app.state.numbers)
    # Datasets past their end of use are withdrawn now, and checked again each new day.
    app.state.retention = Retention(app.state.numbers)
    app.state.retention.check()
    app.state.authenticator = Authenticator(
        verifier, app.state.front_door, app.state.scope_index, app.state.retention
    )
    # Auth off keeps no log either: there is no identity to record (benchmarks only).
    log_path = settings.access_log_path
    app.state.access_log = AccessLog(log_path) if verifier is not None else None
