"""Errors a caller can act on. Anything else is masked as an internal error."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import GraphQLError

if TYPE_CHECKING:
    from service.access.policy import AccessDenied


class UserError(Exception):
    """Bad input: the message says what was wrong and the hint what would be right."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(f"{message}. {hint}".strip() if hint else message)
        self.hint = hint


class Denied(UserError):
    """The caller's role or scope does not allow this (service/access/policy.py decided)."""

    def __init__(self, status: int, message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.status = status
        self.extensions = {"code": "UNAUTHENTICATED" if status == 401 else "FORBIDDEN"}


def denied(exc: AccessDenied) -> Denied:
    prefix = "not signed in" if exc.status == 401 else "forbidden"
    return Denied(exc.status, f"{prefix}: {exc.message}", exc.hint)


def should_mask(error: GraphQLError) -> bool:
    """Mask exceptions raised inside resolvers unless they are user errors; errors of the query
    itself (syntax, validation, depth and cost limits) are shown as they are."""
    original = error.original_error
    return original is not None and not isinstance(original, UserError)
