"""The front door: access requests, approvers' decisions, grants and revocations, each written as
its own named graph (ODRL agreement, DPV purpose and legal basis, PROV-O decision) after SHACL
validation (shapes/access.ttl), exactly like any other load; nothing is overwritten.

`FrontDoor` keeps the grants in memory for the policy's per-request check, refreshed by its own
writes (a grant revoked through it stops its tokens at once)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from rdflib import RDF, RDFS, Literal, Namespace, URIRef
from rdflib.term import Node

from service.access.principal import Principal, Role, ScopeItem
from service.loader import validate_candidate
from service.mapping.spec import PROV
from service.rdf.store import GraphStore
from service.rdf.terms import GRAPH, ID
from service.rdf.vocab import NHSKG
from service.validation.report import ValidationReport
from service.validation.shacl import ontology_graph

DPV = Namespace("https://w3id.org/dpv#")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
Triple = tuple[Node, Node, Node]


class FrontDoorError(ValueError):
    """A request, decision or revocation that cannot be made as asked (the message says why)."""

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class LegalBasis:
    iri: str
    notation: str
    label: str


def legal_bases() -> dict[str, LegalBasis]:
    """The controlled list, from the ontology (nhskg:LegalBases), by notation."""
    graph = ontology_graph()
    found: dict[str, LegalBasis] = {}
    for concept in graph.subjects(SKOS.inScheme, NHSKG.LegalBases):
        notation = str(graph.value(concept, SKOS.notation))
        found[notation] = LegalBasis(str(concept), notation, str(graph.value(concept, RDFS.label)))
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class AccessRequest:
    requested_by: str
    organisation: str
    purpose: str
    legal_basis: str  # a notation of nhskg:LegalBases (UKGDPR_6_1_E_9_2_H ...)
    metrics: tuple[str, ...]
    scopes: tuple[str, ...]
    end_of_use: date
    role: str = "analyst"
    period_start: date | None = None
    period_end: date | None = None
    id: str = field(default_factory=lambda: f"req-{uuid.uuid4().hex[:10]}")


@dataclass
class Grant:
    id: str
    request: str
    requested_by: str
    organisation: str
    purpose: str
    legal_basis: str  # its label
    role: Role
    scopes: tuple[str, ...]
    metrics: tuple[str, ...]
    end_of_use: date
    approved_by: str
    approved_at: datetime
    conditions: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revocation_reason: str | None = None

    def status(self, today: date | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if (today or date.today()) > self.end_of_use:
            return "expired"
        return "active"


def grant_status(grants: dict[str, Grant], grant_id: str) -> str:
    """A grant's status today: active, expired, revoked, or unknown (never granted)."""
    grant = grants.get(grant_id)
    return "unknown" if grant is None else grant.status()


def _iri(kind: str, ident: str) -> URIRef:
    return URIRef(ID[f"access/{kind}/{ident}"])


def _graph(kind: str, ident: str) -> str:
    return str(GRAPH[f"access/{kind}/{ident}"])


class FrontDoor:
    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        # Called after every refresh (the lookup edge's publisher, service/edge/)
        self.listeners: list[Callable[[], None]] = []
        self.requests: dict[str, dict[str, Any]] = {}
        self.grants: dict[str, Grant] = {}
        self.refresh()

    # ------------------------------------------------------------ writes
    def submit(self, request: AccessRequest) -> str:
        bases = legal_bases()
        basis = bases.get(request.legal_basis.upper())
        if basis is None:
            raise FrontDoorError(
                f"unknown legal basis {request.legal_basis!r}; the controlled list: "
                + ", ".join(f"{b.notation} ({b.label})" for b in bases.values())
            )
        for scope in request.scopes:
            ScopeItem.parse(scope)  # a clear error before SHACL says the same in its words
        node = _iri("request", request.id)
        triples: list[Triple] = [
            (node, RDF.type, NHSKG.AccessRequest),
            (node, NHSKG.accessId, Literal(request.id)),
            (node, NHSKG.requestedBy, Literal(request.requested_by)),
            (node, NHSKG.requestingOrganisation, Literal(request.organisation)),
            (node, NHSKG.purposeText, Literal(request.purpose)),
            (node, DPV.hasLegalBasis, URIRef(basis.iri)),
            (node, NHSKG.requestedRole, Literal(request.role)),
            (node, NHSKG.endOfUse, Literal(request.end_of_use)),
            (node, PROV.generatedAtTime, Literal(datetime.now(UTC))),
        ]
        triples += [(node, NHSKG.geographyScope, Literal(s)) for s in request.scopes]
        triples += [(node, NHSKG.requestedMetric, Literal(m)) for m in request.metrics]
        if request.period_start:
            triples.append((node, NHSKG.periodStart, Literal(request.period_start)))
        if request.period_end:
            triples.append((node, NHSKG.periodEnd, Literal(request.period_end)))
        self._write(_graph("request", request.id), triples, f"access request {request.id}")
        return request.id

    def decide(
        self,
        request_id: str,
        approver: Principal,
        *,
        approve: bool,
        conditions: str | None = None,
        reason: str | None = None,
    ) -> Grant | None:
        """Approve (a grant, with the request's terms and these conditions) or refuse (with a
        reason). A request is decided once."""
        request = self.requests.get(request_id)
        if request is None:
            raise FrontDoorError(f"no access request {request_id!r}; see accessRequests")
        if request.get("decision"):
            raise FrontDoorError(f"access request {request_id} was already {request['decision']}")
        if not approve and not (reason and len(reason.strip()) >= 3):
            raise FrontDoorError("a refusal states its reason")
        now = datetime.now(UTC)
        decision = _iri("decision", request_id)
        triples: list[Triple] = [
            (decision, RDF.type, NHSKG.AccessDecision),
            (decision, PROV.used, _iri("request", request_id)),
            (decision, NHSKG.outcome, Literal("approved" if approve else "refused")),
            (decision, PROV.wasAssociatedWith, Literal(approver.subject)),
            (decision, PROV.startedAtTime, Literal(now)),
        ]
        if reason:
            triples.append((decision, NHSKG.reason, Literal(reason)))
        grant_id = None
        if approve:
            grant_id = f"grant-{uuid.uuid4().hex[:10]}"
            grant = _iri("grant", grant_id)
            triples += [
                (decision, PROV.generated, grant),
                (grant, RDF.type, NHSKG.AccessGrant),
                (grant, NHSKG.accessId, Literal(grant_id)),
                (grant, NHSKG.forRequest, _iri("request", request_id)),
                (grant, NHSKG.endOfUse, Literal(request["end_of_use"])),
                (grant, PROV.wasGeneratedBy, decision),
                (grant, ODRL.assignee, Literal(request["requested_by"])),
                (grant, ODRL.assigner, Literal(approver.subject)),
            ]
            if conditions:
                triples.append((grant, NHSKG.conditions, Literal(conditions)))
        self._write(_graph("decision", request_id), triples, f"decision on {request_id}")
        return self.grants[grant_id] if grant_id else None

    def revoke(self, grant_id: str, by: Principal, reason: str) -> Grant:
        grant = self.grants.get(grant_id)
        if grant is None:
            raise FrontDoorError(f"no grant {grant_id!r}; see the dissemination register")
        if grant.revoked_at is not None:
            raise FrontDoorError(f"grant {grant_id} was already revoked on {grant.revoked_at}")
        node = _iri("revocation", grant_id)
        triples: list[Triple] = [
            (node, RDF.type, NHSKG.AccessRevocation),
            (node, PROV.invalidated, _iri("grant", grant_id)),
            (node, PROV.wasAssociatedWith, Literal(by.subject)),
            (node, NHSKG.reason, Literal(reason)),
            (node, PROV.startedAtTime, Literal(datetime.now(UTC))),
        ]
        self._write(_graph("revocation", grant_id), triples, f"revocation of {grant_id}")
        return self.grants[grant_id]

    def _write(self, graph: str, triples: list[Triple], what: str) -> None:
        def locate(focus: Node, path: Node | None, value: Node | None) -> tuple[str, None, Any]:
            return (what, None, str(path).rsplit("#", 1)[-1] if path is not None else None)

        with self._lock, self.store.writing():
            if self.store.contains_graph(graph):
                raise FrontDoorError(f"{what} is already recorded")
            report = validate_candidate(self.store, triples, locate, exclude=set())
            if not report.conforms:
                rules = "; ".join(f.rule for f in report.findings)
                raise FrontDoorError(f"{what} breaks the rules: {rules}", report)
            self.store.write_graph(graph, triples)
        self.refresh()

    # ------------------------------------------------------------ reads
    def refresh(self) -> None:
        from service.access.frontdoor_read import read_front_door

        self.requests, self.grants = read_front_door(self.store)
        for listener in list(self.listeners):
            listener()

    def grant_status(self, grant_id: str) -> str:
        return grant_status(self.grants, grant_id)
