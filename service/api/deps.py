"""What a REST route or page needs from the app: the same per-request Context GraphQL uses, so
every roll-up goes through one path (service/api/graphql/numbers_resolvers.run_rollup).

Sign-in hook: `request_scope` is the one place a request's scope is decided for REST and pages.
Today every caller sees the national scope; authentication replaces this function (or sets
`request.state.scope`), and the public dashboard keeps working with no token."""

from __future__ import annotations

from fastapi import Request

from service.api.graphql.context import Context, Scope


def request_scope(request: Request) -> Scope:
    """The caller's scope: set by authentication on request.state when it runs, else national."""
    scope = getattr(request.state, "scope", None)
    return scope if isinstance(scope, Scope) else Scope()


def request_context(request: Request, *, public: bool = False) -> Context:
    """A Context like GraphQL's for this request. `public`: the public dashboard, which never
    asks for a sign-in (national scope; disclosure control applies here once it exists)."""
    state = request.app.state
    return Context(
        reference=state.reference,
        scope=Scope() if public else request_scope(request),
        max_page_size=state.settings.max_page_size,
        max_rollup_rows=state.settings.max_rollup_rows,
        numbers=state.numbers,
        successions=state.successions,
    )
