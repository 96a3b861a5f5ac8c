"""The GraphQL edge: argument limits, and root fields run in the worker pools with a time budget.

Nested fields (names, parents, contributors) are cheap reads of what a root field returned and
stay on the event loop; every root field's resolver runs in a worker thread, engine work
(roll-ups, observations, steward work) in the engine pool, anything else in the reference pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo
from strawberry.extensions import SchemaExtension

from service.api.graphql.errors import UserError
from service.api.limits import CODE_ARGUMENTS, TooLong, check_arguments
from service.api.workers import BudgetExceeded, Workers

ROOT_TYPES = frozenset({"Query", "Mutation"})
ENGINE_FIELDS = frozenset(
    {
        "rollup",
        "observations",
        "stewardQueue",
        "organisations",
        "checkChangeSet",
        "applyChangeSet",
        "revertChangeSet",
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
        workers: Workers | None = getattr(info.context, "workers", None)
        if workers is None:
            return _next(root, info, *args, **kwargs)
        pool = workers.engine if info.field_name in ENGINE_FIELDS else workers.reference
        return _offloaded(pool.run, info.field_name, _next, root, info, *args, **kwargs)


async def _offloaded(run: Callable[..., Any], field: str, *call: Any, **kwargs: Any) -> Any:
    try:
        return await run(field, *call, **kwargs)
    except BudgetExceeded as exc:
        raise UserError(
            str(exc),
            "Ask for a shorter range, fewer areas or fewer fields.",
        ) from None
