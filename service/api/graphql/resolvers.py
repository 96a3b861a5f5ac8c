"""Query resolvers: thin functions over the reference indexes, with user errors that say why."""

from __future__ import annotations

import base64
import datetime as dt

from strawberry.types import Info

from service.access.policy import AccessDenied, Need
from service.api.graphql.context import Context
from service.api.graphql.errors import UserError, denied
from service.api.graphql.lookup_types import LookupResult
from service.api.graphql.types import (
    GeographicArea,
    GeographyType,
    Organisation,
    OrganisationConnection,
    OrganisationEdge,
    OrganisationFilter,
    PageInfo,
    organisation_of,
)
from service.geography.lookup import LookupFailure
from service.reference import KnownAtError, ReferenceData
from service.reference.areas import Area
from service.reference.organisations import Organisation as OrganisationRecord


def _context(info: Info) -> Context:
    context = info.context
    assert isinstance(context, Context)
    return context


def _area_value(context: Context, area: Area, as_known_at: dt.date | None = None) -> GeographicArea:
    if as_known_at is None:
        return GeographicArea.of(area, context.reference.areas)
    reference = known_reference(context, as_known_at)
    return GeographicArea.of(area, reference.areas, source=reference, known_at=as_known_at)


def geography_types(info: Info) -> list[GeographyType]:
    return [GeographyType.of(t) for t in _context(info).reference.areas.types.values()]


def geography(info: Info, code: str, as_known_at: dt.date | None = None) -> GeographicArea:
    context = _context(info)
    area = known_reference(context, as_known_at).areas.find(code)
    if area is None:
        raise UserError(
            f"unknown area code {code!r}",
            "Give an ONS GSS code (E48000017) or an NHS ODS code (Y56, QOP).",
        )
    return _area_value(context, area, as_known_at)


def require_area_type(context: Context, key: str) -> str:
    types = context.reference.areas.types
    if key not in types:
        raise UserError(
            f"unknown geography type {key!r}",
            f"Known types: {', '.join(types)} (query geographyTypes).",
        )
    return key


def geographies(
    info: Info, type: str, as_of: dt.date | None = None, as_known_at: dt.date | None = None
) -> list[GeographicArea]:
    context = _context(info)
    key = require_area_type(context, type)
    areas = known_reference(context, as_known_at).areas
    return [_area_value(context, a, as_known_at) for a in areas.of_type(key, as_of)]


def known_reference(
    context: Context, as_known_at: dt.date | None, *, earliest_held: bool = False
) -> ReferenceData:
    """The reference as known at the end of a date (None: the current one); `earliest_held`
    (roll-ups, whose asKnownAt is a release date): as first loaded, for a date before that."""
    try:
        return context.reference.known_at(as_known_at, earliest_held=earliest_held)
    except KnownAtError as exc:
        raise UserError(str(exc), "Ask as known at a date on or after the first load.") from exc


def organisation(
    info: Info, code: str, as_of: dt.date | None = None, as_known_at: dt.date | None = None
) -> Organisation:
    context = _context(info)
    try:
        context.access.require_organisation(code)
    except AccessDenied as exc:
        raise denied(exc) from exc
    reference = known_reference(context, as_known_at)  # after the policy: it may build one
    orgs = reference.organisations
    record = orgs.find(code)
    if record is None:
        near = orgs.near_matches(code)
        hint = f"Near matches: {', '.join(near)}." if near else "Check the ODS code."
        raise UserError(f"unknown organisation code {code!r}", hint)
    if as_of is not None:
        status, message, _ = reference.lookup.carried_on_by(record.code, as_of)
        if status == "not_yet_open":
            raise UserError(message, "Ask for a date on or after the organisation opened.")
    return organisation_of(record, as_of, reference, as_known_at)


def _matches(record: OrganisationRecord, f: OrganisationFilter | None) -> bool:
    if f is None:
        return True
    day = f.open_on or dt.date.today()
    stated = record.record_on(day)
    checks = [
        f.type is None or record.type_iri.endswith("#" + f.type),
        f.open_on is None or record.open_on(f.open_on),
        f.name_contains is None or f.name_contains.lower() in record.name.lower(),
        f.region is None or (stated is not None and stated.region_code == f.region),
        f.icb is None or (stated is not None and stated.health_geography_code == f.icb),
    ]
    return all(checks)


def _cursor(code: str) -> str:
    return base64.urlsafe_b64encode(f"org:{code}".encode()).decode()


def _after(cursor: str) -> str:
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError("malformed cursor", "Pass an endCursor from a previous page.") from exc
    if not decoded.startswith("org:"):
        raise UserError("malformed cursor", "Pass an endCursor from a previous page.")
    return decoded[4:]


def organisations(
    info: Info,
    filter: OrganisationFilter | None = None,
    first: int = 50,
    after: str | None = None,
    as_known_at: dt.date | None = None,
) -> OrganisationConnection:
    context = _context(info)
    try:
        context.access.require(Need.RECORDS)
    except AccessDenied as exc:
        raise denied(exc) from exc
    if not 0 < first <= context.max_page_size:
        raise UserError(
            f"first must be between 1 and {context.max_page_size}, not {first}",
            "Page through larger sets with `after`.",
        )
    reference = known_reference(context, as_known_at)
    index = reference.organisations
    start = _after(after) if after else ""
    selected = [
        index.by_code[c]
        for c in index.codes
        if context.access.allows(c) and _matches(index.by_code[c], filter)
    ]
    page = [r for r in selected if r.code > start][: first + 1]
    edges = [
        OrganisationEdge(
            cursor=_cursor(r.code), node=organisation_of(r, None, reference, as_known_at)
        )
        for r in page[:first]
    ]
    return OrganisationConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(page) > first, end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=len(selected),
        known_at=as_known_at,
    )


def lookup(
    info: Info,
    code: str,
    geography_type: str,
    as_of: dt.date | None,
    method: str,
    as_known_at: dt.date | None = None,
) -> LookupResult:
    context = _context(info)
    try:
        context.access.require_organisation(code)
    except AccessDenied as exc:
        raise denied(exc) from exc
    reference = known_reference(context, as_known_at)
    try:
        answer = reference.lookup.lookup(
            code, geography_type.upper(), as_of or dt.date.today(), method
        )
    except LookupFailure as exc:
        known = exc.details.get("known") or exc.details.get("near_matches")
        hint = f"Known or near: {', '.join(known)}." if known else ""
        raise UserError(exc.message, hint) from exc
    return LookupResult.of(answer, as_known_at)
