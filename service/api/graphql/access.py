"""The front door over GraphQL: request access, decide, issue a grant's tokens, revoke; the
register of grants; the access log (approvers). Every field asks service/access/policy.py."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from service.access.frontdoor import AccessRequest, FrontDoor, FrontDoorError, legal_bases
from service.access.grant_tokens import token_for_grant
from service.access.policy import AccessDenied, Need
from service.access.principal import ScopeSyntaxError
from service.api.graphql.errors import UserError, denied
from service.api.routes.register import register_rows


def _need(info: Info, need: Need) -> None:
    try:
        info.context.access.require(need)
    except AccessDenied as exc:
        raise denied(exc) from exc


def _door(info: Info) -> FrontDoor:
    door = info.context.front_door
    if door is None:
        raise UserError("this service has no front door configured")
    return door


@strawberry.type(description="A legal basis of the controlled list (nhskg:LegalBases, DPV).")
class LegalBasis:
    notation: str
    label: str
    iri: str


@strawberry.type(description="Who is asking, as the service sees the request's token.")
class Me:
    subject: str
    role: str
    scope: str
    grant: str | None
    purpose: str | None


@strawberry.input(description="An access request (nhskg:AccessRequest).")
class AccessRequestInput:
    requested_by: str = strawberry.field(description="Who asks (e-mail address).")
    organisation: str = strawberry.field(description="The organisation they act for.")
    purpose: str
    legal_basis: str = strawberry.field(description="A notation of legalBases.")
    metrics: list[str] = strawberry.field(description="Metric keys (see metrics), or *.")
    scope: list[str] = strawberry.field(description="national, region:Y58, icb:QSL, org:R0D.")
    end_date: dt.date = strawberry.field(description="Last day of use.")
    role: str = "analyst"
    period_from: dt.date | None = None
    period_to: dt.date | None = None


@strawberry.type(description="An access request and its decision, if made.")
class AccessRequestView:
    id: str
    requested_by: str
    organisation: str
    purpose: str
    legal_basis: str
    role: str
    scope: list[str]
    metrics: list[str]
    end_date: dt.date
    decision: str | None
    decided_by: str | None
    reason: str | None
    grant: str | None

    @classmethod
    def of(cls, r: dict[str, Any]) -> AccessRequestView:
        return cls(
            id=r["id"], requested_by=r["requested_by"], organisation=r["organisation"],
            purpose=r["purpose"], legal_basis=r["legal_basis"], role=r["role"],
            scope=list(r["scopes"]), metrics=list(r["metrics"]), end_date=r["end_of_use"],
            decision=r["decision"], decided_by=r["decided_by"], reason=r["reason"],
            grant=r["grant"],
        )  # fmt: skip


@strawberry.type(description="Entries of the access log, newest last, and the chain's check.")
class AccessLogPage:
    entries: list[JSON]
    chain_intact: bool
    chain_message: str


def access_request_field(info: Info, request: AccessRequestInput) -> AccessRequestView:
    door = _door(info)
    try:
        ident = door.submit(
            AccessRequest(
                requested_by=request.requested_by,
                organisation=request.organisation,
                purpose=request.purpose,
                legal_basis=request.legal_basis,
                metrics=tuple(request.metrics),
                scopes=tuple(request.scope),
                end_of_use=request.end_date,
                role=request.role,
                period_start=request.period_from,
                period_end=request.period_to,
            )
        )
    except (FrontDoorError, ScopeSyntaxError) as exc:
        raise UserError(str(exc), "See legalBases and the scope forms.") from exc
    return AccessRequestView.of(door.requests[ident])


@strawberry.type
class AccessQuery:
    @strawberry.field(description="Who the service takes you to be (from your token).")
    def me(self, info: Info) -> Me:
        p = info.context.access.principal
        return Me(
            subject=p.subject, role=p.role.value, scope=p.scope_text, grant=p.grant,
            purpose=p.purpose,
        )  # fmt: skip

    @strawberry.field(description="The legal bases an access request may state.")
    def legal_bases(self) -> list[LegalBasis]:
        return [LegalBasis(notation=b.notation, label=b.label, iri=b.iri) for b in
                legal_bases().values()]  # fmt: skip

    @strawberry.field(description="Access requests (approvers): all, or of one decision.")
    def access_requests(self, info: Info, pending_only: bool = False) -> list[AccessRequestView]:
        _need(info, Need.APPROVER)
        rows = _door(info).requests.values()
        return [AccessRequestView.of(r) for r in rows if not (pending_only and r["decision"])]

    @strawberry.field(description="The dissemination register: every grant (public).")
    def register(self, info: Info) -> list[JSON]:
        return [cast(JSON, row) for row in register_rows(_door(info))]

    @strawberry.field(description="The access log (approvers): who asked what, when.")
    def access_log(
        self, info: Info, identity: str | None = None, grant: str | None = None, last: int = 100
    ) -> AccessLogPage:
        _need(info, Need.APPROVER)
        log = info.context.access_log
        if log is None:
            raise UserError("this service keeps no access log")
        check = log.verify()
        entries = log.entries(identity=identity, grant=grant, last=max(1, min(last, 1000)))
        return AccessLogPage(
            entries=[cast(JSON, e) for e in entries],
            chain_intact=check.ok,
            chain_message=check.message,
        )


@strawberry.type
class AccessMutation:
    @strawberry.mutation(description="Ask for access (anyone): reviewed by an approver.")
    def request_access(self, info: Info, request: AccessRequestInput) -> AccessRequestView:
        return access_request_field(info, request)

    @strawberry.mutation(
        description="Approve (with conditions: a grant) or refuse (with a reason) a request."
    )
    def decide_access_request(
        self,
        info: Info,
        id: str,
        approve: bool,
        conditions: str | None = None,
        reason: str | None = None,
    ) -> AccessRequestView:
        _need(info, Need.APPROVER)
        door = _door(info)
        try:
            door.decide(
                id, info.context.access.principal, approve=approve, conditions=conditions,
                reason=reason,
            )  # fmt: skip
        except FrontDoorError as exc:
            raise UserError(str(exc)) from exc
        return AccessRequestView.of(door.requests[id])

    @strawberry.mutation(description="A bearer token for an active grant (approvers).")
    def issue_grant_token(self, info: Info, grant: str, days: float = 30) -> str:
        _need(info, Need.APPROVER)
        try:
            return token_for_grant(info.context.settings, _door(info), grant, days)
        except FrontDoorError as exc:
            raise UserError(str(exc)) from exc

    @strawberry.mutation(description="Revoke a grant: its tokens stop working at once.")
    def revoke_grant(self, info: Info, grant: str, reason: str) -> str:
        _need(info, Need.APPROVER)
        try:
            revoked = _door(info).revoke(grant, info.context.access.principal, reason)
        except FrontDoorError as exc:
            raise UserError(str(exc)) from exc
        return revoked.status()
