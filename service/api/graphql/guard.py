"""The GraphQL edge: argument limits, and execution in the worker pools with a time budget.

A whole GraphQL request executes in a worker thread, on an event loop of its own
(GuardedSchema), so neither a roll-up's engine work nor the shaping of its thousands of
contributors runs on the server's event loop: a lookup or /health never waits behind it. A
request naming an engine field (roll-ups, observations, steward work) goes to the engine pool,
any other to the reference pool. Without pools (a schema run directly, in tests) root fields run
where they are called.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from service.access.policy import Need
from service.api.graphql.errors import LoggedSchema, UserError
from service.api.limits import CODE_ARGUMENTS, TooLong, check_arguments
from service.api.workers import BudgetExceeded, Workers

ROOT_TYPES = frozenset({"Query", "Mutation"})
# A steward's change set: the steward budget (Settings.steward_budget_seconds), not the request's.
STEWARD_FIELDS = frozenset({"checkChangeSet", "applyChangeSet", "revertChangeSet"})
ENGINE_FIELDS = STEWARD_FIELDS | frozenset(
    {
        "rollup",
        "supplyStock",
        "observations",
        "stewardQueue",
        "organisations",
        "practices",  # a scan of every practice (seconds nationally), as organisations
    }
)


class EdgeGuard(SchemaExtension):
    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if info.parent_type.name not in ROOT_TYPES:
            return _next(root, info, *args, **kwargs)
        try:
            check_arguments(kwargs)
        except TooLong as exc:
            hint = "Codes are ODS or GSS codes (RD3, E48000017)."
            raise UserError(str(exc), hint if exc.argument in CODE_ARGUMENTS else "") from None
        return _next(root, info, *args, **kwargs)


ENGINE_WORDS = re.compile("|".join(sorted(ENGINE_FIELDS)))
STEWARD_WORDS = re.compile("|".join(sorted(STEWARD_FIELDS)))


class GuardedSchema(LoggedSchema):
    """Executes each request in a worker pool, on an event loop of the worker's own."""

    async def execute(self, query: str | None, *args: Any, **kwargs: Any) -> ExecutionResult:
        context = kwargs.get("context_value") or (args[1] if len(args) > 1 else None)
        workers: Workers | None = getattr(context, "workers", None)
        if workers is None:
            return await super().execute(query, *args, **kwargs)
        engine = query is not None and ENGINE_WORDS.search(query) is not None
        pool = workers.engine if engine else workers.reference
        # Only a steward's token earns the longer budget (anyone can write the words).
        access = getattr(context, "access", None)
        steward = (
            query is not None
            and STEWARD_WORDS.search(query) is not None
            and access is not None
            and access.may(Need.STEWARD)
        )
        run = super().execute
        try:
            return await pool.run(
                "the GraphQL request",
                lambda: asyncio.run(run(query, *args, **kwargs)),
                budget=workers.steward_budget if steward else None,
            )
        except BudgetExceeded as exc:
            error = GraphQLError(f"{exc}. Ask for a shorter range, fewer areas or fewer fields.")
            return ExecutionResult(data=None, errors=[error])
