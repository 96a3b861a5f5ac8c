"""Errors a caller can act on. Anything else is masked as an internal error."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import strawberry
from graphql import GraphQLError
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

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
    itself (syntax, validation, depth and cost limits, a variable that is not of its type, such
    as a Date that is not a date) are shown as they are."""
    original = error.original_error
    if isinstance(original, StrawberryInputCoercionError):
        return False
    return original is not None and not isinstance(original, UserError)


log = logging.getLogger("nhskg.graphql")


class LoggedSchema(strawberry.Schema):
    """A schema that logs a caller's mistake as one line and a traceback only for real faults
    (strawberry logs every error with its traceback: 30 lines per unknown code)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if should_mask(error):
                StrawberryLogger.error(error, execution_context)
            else:
                log.info("GraphQL user error: %s", " ".join(error.message.split())[:300])
