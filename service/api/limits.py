"""Bounds on what a request may carry, checked at the edge before any work is done.

Every string a caller gives has a length limit by what it is: an organisation or area code (ODS
and GSS codes are at most 9 characters), a name or key (metric, area type, method, a filter's
name part), or a steward's change-set document. A request body and a URL have limits too. So the
cost of refusing a hostile request never depends on its size beyond these bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass

MAX_CODE = 16  # ODS codes are 3-9 characters, GSS codes 9
MAX_NAME = 200  # metric keys and IRIs, area types, methods, cursors, filter text
MAX_DOCUMENT = 60_000  # a change set (YAML) sent to checkChangeSet / applyChangeSet
MAX_BODY = 64 * 1024  # a GraphQL request body, bytes
MAX_URL = 4 * 1024  # path and query string, bytes

# GraphQL and REST argument names that carry a code; anything else is a name, except documents.
CODE_ARGUMENTS = frozenset({"code", "org", "region", "icb"})
DOCUMENT_ARGUMENTS = frozenset({"change_set", "changeSet"})  # Python and GraphQL names


@dataclass(frozen=True)
class TooLong(ValueError):
    """A value longer than its limit; the message never repeats the value."""

    argument: str
    length: int
    limit: int

    def __str__(self) -> str:
        return (
            f"{self.argument} is {self.length:,} characters long; at most {self.limit} are accepted"
        )


def limit_for(argument: str) -> int:
    if argument in CODE_ARGUMENTS:
        return MAX_CODE
    if argument in DOCUMENT_ARGUMENTS:
        return MAX_DOCUMENT
    return MAX_NAME


def check_value(argument: str, value: object, depth: int = 0) -> None:
    """Raise TooLong for a string (or a string inside a list or an input object) over its limit."""
    if isinstance(value, str):
        limit = limit_for(argument)
        if len(value) > limit:
            raise TooLong(argument, len(value), limit)
    elif isinstance(value, list | tuple) and depth < 3:
        for item in value:
            check_value(argument, item, depth + 1)
    elif is_dataclass(value) and not isinstance(value, type) and depth < 3:  # an input object
        for item in fields(value):
            check_value(item.name, getattr(value, item.name), depth + 1)


def check_arguments(arguments: dict[str, object]) -> None:
    for name, value in arguments.items():
        check_value(name, value)
