"""The `practices(in, asOf)` query: the practices in an area on a date, in the caller's scope."""

from __future__ import annotations

import datetime as dt

from strawberry.types import Info

from service.access.policy import AccessDenied, Need
from service.api.graphql.context import Context
from service.api.graphql.errors import UserError, denied
from service.api.graphql.practice_types import GPPractice, PracticeInArea, placer_of
from service.api.graphql.types import organisation_of
from service.geography.reference import code_of


def practices_in(
    info: Info, area: str, as_of: dt.date, type: str | None = None
) -> list[PracticeInArea]:
    """Organisation-level (a list of practices): needs an analyst's RECORDS; a scoped caller
    sees the practices in scope only (an ODS record stating the region or ICB)."""
    context = info.context
    assert isinstance(context, Context)
    try:
        context.access.require(Need.RECORDS)
    except AccessDenied as exc:
        raise denied(exc) from exc
    areas = context.reference.areas
    found = areas.find(area)
    if found is None:
        raise UserError(f"unknown area code {area!r}", "Give an ONS GSS code or an ODS code.")
    keys = areas.type_keys(found)
    if type is not None and type not in keys:
        raise UserError(
            f"{found.code} is not an area of type {type!r}", f"Its types: {', '.join(keys)}."
        )
    if type is None and len(keys) != 1:
        raise UserError(
            f"{found.code} is an area of {len(keys)} types", f"Say which: {', '.join(keys)}."
        )
    key = type or keys[0]
    placer = placer_of(info)
    orgs = context.reference.organisations
    answer = []
    for practice, share in placer.in_area(code_of(found.iri), key, as_of):
        record = orgs.find(practice.code)
        if record is None or not context.access.allows(practice.code):
            continue
        value = organisation_of(record, as_of)
        assert isinstance(value, GPPractice)
        answer.append(PracticeInArea(practice=value, share=round(share, 6)))
    return answer
