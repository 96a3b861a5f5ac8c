"""THE access policy: every read and write path asks here, and nowhere else decides.

- `authenticate(request)`: the caller's Principal from the bearer token (public with none); a
  token that does not verify, or whose grant was revoked or has ended, is a 401.
- `Access`: one per request; `require(Need.X)` refuses a role that lacks X (403),
  `allows(code)` / `require_organisation(code)` say whether an organisation is in the caller's
  geography scope, `rollup_scope()` is the roll-up engine's scope for the caller, `may_see(key)`
  whether a metric is granted.
- `access_dependency(need)`: the same as a FastAPI dependency, for any route
  (`access: Access = Depends(access_dependency(Need.RECORDS))`).

Scope: an organisation is in region Yxx when any of its ODS records states that region or its
returns state it (for providers the ODS files do not hold); in icb:Qxx when an ODS record
states that ICB (health geography); org:CODE covers the code and its sites (codes that start
with it). A national scope, or the admin role, covers everything.

Values reported by area follow the same scope: a region or ICB scope covers the areas the graph
places in that region or ICB (the area placements, area_area: an LTLA, an ICS/STP, the region
itself), never the nation's or another region's; an organisation scope covers no area."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from fastapi import HTTPException, Request

from service.access.disclosure import (
    DisclosureError,
    Protection,
    RecordsProtection,
    protection_for,
    records_protection,
)
from service.access.principal import PUBLIC, Principal, Role, ScopeItem
from service.access.retention import Retention
from service.access.tokens import InvalidToken, TokenVerifier
from service.reference import ReferenceData
from service.returns.numbers import NumbersStore
from service.rollup.model import NATIONAL, Scope


class Need(StrEnum):
    AGGREGATES = "aggregates"  # area figures, metrics, geographies: anyone
    RECORDS = "records"  # organisation-level values and facts: contributors, observations, lookups
    STEWARD = "steward"  # change sets, the steward queue
    APPROVER = "approver"  # decide access requests, revoke grants, read the access log
    ADMIN = "admin"


ROLE_NEEDS: dict[Role, frozenset[Need]] = {
    Role.PUBLIC: frozenset({Need.AGGREGATES}),
    Role.ANALYST: frozenset({Need.AGGREGATES, Need.RECORDS}),
    Role.STEWARD: frozenset({Need.AGGREGATES, Need.RECORDS, Need.STEWARD}),
    Role.APPROVER: frozenset({Need.AGGREGATES, Need.RECORDS, Need.APPROVER}),
    Role.ADMIN: frozenset(Need),
}
NEED_TEXT = {
    Need.AGGREGATES: "anyone",
    Need.RECORDS: "an analyst, steward, approver or admin token",
    Need.STEWARD: "a steward or admin token",
    Need.APPROVER: "an approver or admin token",
    Need.ADMIN: "an admin token",
}


class AccessDenied(Exception):
    """401 (no valid identity) or 403 (an identity without the right); the message says which."""

    def __init__(self, status: int, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint

    def http(self) -> HTTPException:
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if self.status == 401 else {}
        detail = {"status": "unauthorised" if self.status == 401 else "forbidden"}
        detail |= {"message": self.message, "hint": self.hint}
        return HTTPException(self.status, detail=detail, headers=headers)


@dataclass(frozen=True)
class ResolvedScope:
    """A principal's scope as organisation codes; `stated` are organisations with no region in
    any ODS record (independent-sector providers report under one code in several regions):
    their values are in scope when the region their return states is in `regions`."""

    codes: frozenset[str]
    regions: frozenset[str] = frozenset()
    stated: frozenset[str] = frozenset()


class ScopeIndex:
    """Region / ICB code -> the organisation codes in it, from the reference snapshot, and the
    regions the returns state for organisations the ODS files place in none; rebuilt when the
    snapshot is refreshed."""

    def __init__(self, reference: ReferenceData, numbers: NumbersStore | None) -> None:
        self.reference = reference
        self.numbers = numbers
        self._built_for: Any = None
        self._lock = threading.Lock()
        self.by_region: dict[str, set[str]] = {}
        self.by_icb: dict[str, set[str]] = {}
        self.stated_regions: dict[str, set[str]] = {}
        self.codes: list[str] = []
        self._resolved: dict[tuple[ScopeItem, ...], ResolvedScope] = {}
        self._placements: int | None = None

    def _placed_areas(self) -> int | None:
        """A count that moves whenever the area placements are written (a load of values by
        area changes them, and with them which areas a scope covers): no query per request."""
        return None if self.numbers is None else self.numbers.placement_writes()

    def areas_in(self, code: str) -> set[str]:
        """The codes of the areas reporting values that the graph places in the area whose ODS
        (or GSS) code is `code` (a region Yxx, an ICB Qxx), by the area's own geography types."""
        area = self.reference.areas.find(code)
        if area is None or self.numbers is None:
            return set()
        rows = self.numbers.con.cursor().execute(
            "SELECT DISTINCT org_code FROM area_area WHERE area_code = ? "
            "AND list_contains(?, area_type)",
            [area.code, self.reference.areas.type_keys(area)],
        )
        return {str(r[0]) for r in rows.fetchall()}

    def _current(self) -> None:
        placements = self._placed_areas()
        if placements != self._placements:
            with self._lock:
                self._resolved, self._placements = {}, placements
        organisations = self.reference.organisations
        if self._built_for is organisations:
            return
        with self._lock:
            if self._built_for is organisations:
                return
            regions: dict[str, set[str]] = defaultdict(set)
            icbs: dict[str, set[str]] = defaultdict(set)
            for code, record in organisations.by_code.items():
                for r in record.records:
                    if r.region_code:
                        regions[r.region_code].add(code)
                    if r.health_geography_code:
                        icbs[r.health_geography_code].add(code)
            placed = {c for members in regions.values() for c in members}
            codes = set(organisations.by_code)
            stated: dict[str, set[str]] = defaultdict(set)
            if self.numbers is not None:
                rows = self.numbers.con.cursor().execute(
                    "SELECT DISTINCT org_code, region_code FROM reporter WHERE area_type IS NULL"
                )
                for code, region in rows.fetchall():
                    codes.add(code)
                    if code not in placed and region:
                        stated[code].add(region)
            self.by_region, self.by_icb = dict(regions), dict(icbs)
            self.stated_regions = dict(stated)
            self.codes = sorted(codes)
            self._resolved = {}
            self._built_for = organisations

    def resolve(self, scopes: tuple[ScopeItem, ...]) -> ResolvedScope:
        self._current()
        found = self._resolved.get(scopes)
        if found is not None:
            return found
        codes: set[str] = set()
        regions = {item.code for item in scopes if item.kind == "region" and item.code}
        for item in scopes:
            code = item.code or ""
            if item.kind == "region":
                codes |= self.by_region.get(code, set()) | self.areas_in(code)
            elif item.kind == "icb":
                codes |= self.by_icb.get(code, set()) | self.areas_in(code)
            elif item.kind == "organisation":
                codes |= {c for c in self.codes if c.startswith(code)} | {code}
        # Sites of an organisation in scope are in scope with it.
        parents = set(codes)
        codes |= {c for c in self.codes if len(c) > 3 and c[:3] in parents}
        stated = {c for c, rs in self.stated_regions.items() if rs & regions and c not in codes}
        resolved = ResolvedScope(frozenset(codes), frozenset(regions), frozenset(stated))
        self._resolved[scopes] = resolved
        return resolved


@dataclass
class Access:
    """What one request may see; made by `authenticate`, handed to every resolver and route."""

    principal: Principal
    index: ScopeIndex | None = None
    _scope: ResolvedScope | None = field(default=None, init=False)

    @property
    def national(self) -> bool:
        return self.principal.national

    def may(self, need: Need) -> bool:
        return need in ROLE_NEEDS[self.principal.role]

    def require(self, need: Need) -> None:
        if self.may(need):
            return
        if self.principal.role is Role.PUBLIC:
            raise AccessDenied(
                401,
                f"this needs {NEED_TEXT[need]}; without a token only aggregate figures are shown",
                "Send Authorization: Bearer TOKEN (nhskg token issue, or a grant's token).",
            )
        raise AccessDenied(
            403,
            f"the {self.principal.role.value} role cannot do this: it needs {NEED_TEXT[need]}",
            "Ask an approver for a grant with that role (accessRequest).",
        )

    def require_organisation_level(self) -> None:
        """Fields that name organisations (contributors, unmapped values, missing codes)."""
        self.require(Need.RECORDS)

    def scope(self) -> ResolvedScope | None:
        """The organisations in scope; None for national (and for the public role, which sees
        national aggregates only)."""
        if self.national or self.principal.role is Role.PUBLIC:
            return None
        if self._scope is None:
            assert self.index is not None, "a scoped principal needs the scope index"
            self._scope = self.index.resolve(self.principal.scopes)
        return self._scope

    def allows(self, code: str) -> bool:
        """Whether any of the organisation's data is in scope (see value_regions for which)."""
        scope = self.scope()
        code = code.upper()
        return scope is None or code in scope.codes or code in scope.stated

    def value_regions(self, code: str) -> list[str] | None:
        """None: every value of `code` is in scope; else only values whose return states one of
        these regions (an organisation no ODS record places in a region)."""
        scope = self.scope()
        if scope is None or code.upper() in scope.codes:
            return None
        return sorted(scope.regions)

    def require_national_records(self) -> None:
        """Reads that span every organisation (the SPARQL endpoint): RECORDS with a national
        scope, since the graph cannot be cut to a region's organisations query by query."""
        self.require(Need.RECORDS)
        if not self.national:
            raise AccessDenied(
                403,
                f"this reads every organisation's data; your scope is {self.principal.scope_text}",
                "Ask an approver for a national grant, or use GraphQL, which answers in scope.",
            )

    def require_organisation(self, code: str) -> None:
        """Organisation-level data of `code`: needs RECORDS and the code in scope."""
        self.require(Need.RECORDS)
        if not self.allows(code):
            raise AccessDenied(
                403,
                f"{code.upper()} is outside your scope ({self.principal.scope_text})",
                "Ask an approver for a grant that covers it.",
            )

    def rollup_scope(self) -> Scope:
        scope = self.scope()
        if scope is None:
            return NATIONAL
        return Scope("organisations", codes=scope.codes, regions=scope.regions, stated=scope.stated)

    def narrowed_to(self, code: str) -> Access:
        """The same caller, seeing one organisation only (a trust's own page)."""
        principal = Principal(
            self.principal.subject,
            Role.ANALYST,
            (ScopeItem("organisation", code.upper()),),
            self.principal.purpose,
            self.principal.metrics,
            self.principal.grant,
        )
        return Access(principal, self.index)

    def protection(self, metric_iri: str, numbers_path: Path | None) -> Protection | None:
        """The disclosure control this caller's figures of a metric get (the metric's policy in
        the ontology, service/access/disclosure.py), None for open data or a national grant the
        policy does not list. A protected metric that cannot be protected is refused (403)."""
        try:
            return protection_for(self.principal, metric_iri, numbers_path)
        except DisclosureError as exc:
            raise AccessDenied(
                403, str(exc), "The store's operator must fix the disclosure control first."
            ) from exc

    def records_protection(self, numbers_path: Path | None) -> RecordsProtection:
        """The disclosure control this caller's reads of records (observations, one by one)
        get: the same perturbation as the roll-ups, for every metric whose policy protects the
        caller (service/access/disclosure.py). Refused (403) when it cannot be applied."""
        try:
            return records_protection(self.principal, numbers_path)
        except DisclosureError as exc:
            raise AccessDenied(
                403, str(exc), "The store's operator must fix the disclosure control first."
            ) from exc

    def require_metric(self, metric: str | None, open_to_public: bool = True) -> None:
        """A metric (key or IRI) the grant covers; None (every metric) only for a grant of all.
        `open_to_public` False (the ontology's nhskg:openToPublic, e.g. supplies): not even
        aggregates for the public role."""
        if not open_to_public:
            self.require(Need.RECORDS)
        granted = self.principal.metrics
        if not granted or "*" in granted:
            return
        key = None if metric is None else metric.rsplit("#", 1)[-1]
        if key not in granted:
            asked = "every metric" if key is None else key
            raise AccessDenied(
                403,
                f"your grant covers {', '.join(granted)}, not {asked}",
                "Name one of the granted metrics, or ask an approver for a wider grant.",
            )


class GrantBook(Protocol):
    """Who knows the grants: the front door, or the lookup edge's published copy."""

    def grant_status(self, grant_id: str) -> str: ...


class Authenticator:
    """Turns a request's bearer token into an Access: the token verified, its grant checked."""

    def __init__(
        self,
        verifier: TokenVerifier | None,
        front_door: GrantBook | None,
        index: ScopeIndex | None,
        retention: Retention | None = None,
    ) -> None:
        self.verifier, self.front_door, self.index = verifier, front_door, index
        self.retention = retention

    def principal(self, authorization: str | None) -> Principal:
        if self.verifier is None:  # auth off (benchmarks only): a national admin
            return Principal("auth-off", Role.ADMIN, (ScopeItem("national"),))
        if not authorization:
            return PUBLIC
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AccessDenied(401, "the Authorization header is not 'Bearer TOKEN'")
        try:
            principal = self.verifier.verify(token.strip())
        except InvalidToken as exc:
            raise AccessDenied(401, str(exc), "Get a new token.") from exc
        if principal.grant is not None:
            status = (
                "unknown"
                if self.front_door is None
                else self.front_door.grant_status(principal.grant)
            )
            if status != "active":
                raise AccessDenied(
                    401, f"the token's grant {principal.grant} is {status}", "Ask for a new grant."
                )
        return principal

    def access(self, authorization: str | None) -> Access:
        if self.retention is not None:  # once a day: withdraw datasets past their end of use
            self.retention.check()
        return Access(self.principal(authorization), self.index)


# The signed-in token of a browser (POST /signin sets it: service/api/routes/signin.py).
SESSION_COOKIE = "nhskg_session"
COOKIE_METHODS = ("GET", "HEAD")


def credentials(request: Request) -> str | None:
    """The request's Authorization header; without one, for a read (GET, HEAD) only, the
    token of the browser's sign-in cookie. A write (GraphQL mutations, POST) never rides on the
    cookie, so a page elsewhere cannot make a signed-in browser change anything (and the
    cookie is SameSite=Strict besides)."""
    header = request.headers.get("authorization")
    if header or request.method not in COOKIE_METHODS:
        return header
    token = request.cookies.get(SESSION_COOKIE)
    return f"Bearer {token}" if token else None


def authenticate(request: Request) -> Access:
    """The caller's Access (FastAPI: app.state.authenticator set by create_app)."""
    authenticator: Authenticator = request.app.state.authenticator
    try:
        access = authenticator.access(credentials(request))
    except AccessDenied as exc:
        raise exc.http() from exc
    request.state.access = access
    return access


def log_answer(request: Request, access: Access, asked: str, rows: int, status: int = 200) -> None:
    """Record an answered query in the access log (app.state.access_log), if the app keeps one."""
    log = getattr(request.app.state, "access_log", None)
    if log is not None:
        p = access.principal
        log.append(
            identity=p.subject,
            role=p.role.value,
            grant=p.grant,
            asked=asked,
            rows=rows,
            status=status,
        )


def access_dependency(need: Need) -> Callable[[Request], Access]:
    """A FastAPI dependency: the caller's Access, refused (401/403) unless it has `need`."""

    def dependency(request: Request) -> Access:
        access = authenticate(request)
        try:
            access.require(need)
        except AccessDenied as exc:
            raise exc.http() from exc
        return access

    return dependency
