"""Errors a caller can act on. Anything else is masked as an internal error."""

from __future__ import annotations

from graphql import GraphQLError


class UserError(Exception):
    """Bad input: the message says what was wrong and the hint what would be right."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(f"{message}. {hint}".strip() if hint else message)
        self.hint = hint


def should_mask(error: GraphQLError) -> bool:
    """Mask exceptions raised inside resolvers unless they are user errors; errors of the query
    itself (syntax, validation, depth and cost limits) are shown as they are."""
    original = error.original_error
    return original is not None and not isinstance(original, UserError)
