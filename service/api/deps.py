"""What a REST route or page needs from the app: the same per-request Context GraphQL uses, so
every roll-up goes through one path (service/api/graphql/numbers_resolvers.run_rollup), and the
caller's access from the one policy (service/access/policy.py): the bearer token's role and
scope, public without one. The public dashboard never asks for a sign-in: it acts as public."""

from __future__ import annotations

from fastapi import Request

from service.access.policy import Access, authenticate
from service.access.principal import PUBLIC
from service.api.graphql.context import Context


def request_access(request: Request, *, public: bool = False) -> Access:
    """The caller's Access (401 for a token that does not verify); `public`: the public role."""
    return Access(PUBLIC) if public else authenticate(request)


def request_context(request: Request, *, public: bool = False) -> Context:
    """A Context like GraphQL's for this request. `public`: the public dashboard (aggregates
    only; disclosure control applies here once it exists)."""
    state = request.app.state
    return Context(
        reference=state.reference,
        access=request_access(request, public=public),
        max_page_size=state.settings.max_page_size,
        max_rollup_rows=state.settings.max_rollup_rows,
        numbers=state.numbers,
        successions=state.successions,
        front_door=getattr(state, "front_door", None),
        access_log=getattr(state, "access_log", None),
        settings=state.settings,
    )
