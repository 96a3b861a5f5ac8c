"""Reads the front door's records (requests, decisions, grants, revocations) from the graph."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from service.access.principal import Role
from service.rdf.store import GraphStore
from service.rdf.terms import GRAPH, ONTOLOGY_GRAPH

if TYPE_CHECKING:
    from service.access.frontdoor import Grant

RECORDS = """
SELECT ?node ?kind ?p ?o WHERE {
    VALUES ?kind { nhskg:AccessRequest nhskg:AccessDecision nhskg:AccessRevocation }
    ?node a ?kind ; ?p ?o .
}"""
LABELS = "SELECT ?basis ?label WHERE { ?basis a nhskg:LegalBasis ; rdfs:label ?label }"
MULTI = {"geographyScope", "requestedMetric"}


def _name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def access_graphs(store: GraphStore) -> list[str]:
    """The front door's current graphs (one per request, decision, revocation). A query over
    them alone never needs the in-memory copy of every current graph that a query of the whole
    current state makes while a graph is retired (10 s of a national server's start)."""
    prefix = str(GRAPH["access/"])
    return [g for g in store.current_graphs() if g.startswith(prefix)]


def _records(store: GraphStore, graphs: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """kind -> node -> property local name -> value (a list for the many-valued ones)."""
    out: dict[str, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
    for row in store.select(RECORDS, graphs=graphs):
        record = out[_name(row["kind"])][row["node"]]
        name, value = _name(row["p"]), row["o"]
        if name in MULTI:
            record.setdefault(name, []).append(str(value))
        else:
            record[name] = value
    return out


def read_front_door(store: GraphStore) -> tuple[dict[str, dict[str, Any]], dict[str, Grant]]:
    from service.access.frontdoor import Grant

    graphs = access_graphs(store)
    records = _records(store, graphs)
    labels = {
        row["basis"]: str(row["label"])
        for row in store.select(LABELS, graphs=[str(ONTOLOGY_GRAPH)])
    }
    requests: dict[str, dict[str, Any]] = {}
    by_node: dict[str, dict[str, Any]] = {}
    for node, r in records["AccessRequest"].items():
        request: dict[str, Any] = {
            "id": str(r["accessId"]),
            "requested_by": str(r["requestedBy"]),
            "organisation": str(r["requestingOrganisation"]),
            "purpose": str(r["purposeText"]),
            "legal_basis": labels.get(str(r.get("hasLegalBasis")), str(r.get("hasLegalBasis"))),
            "role": str(r["requestedRole"]),
            "scopes": tuple(sorted(r.get("geographyScope", []))),
            "metrics": tuple(sorted(r.get("requestedMetric", []))),
            "end_of_use": _day(r["endOfUse"]),
            "period_start": _day(r.get("periodStart")),
            "period_end": _day(r.get("periodEnd")),
            "submitted_at": r.get("generatedAtTime"),
            "decision": None,
            "decided_by": None,
            "reason": None,
            "grant": None,
        }
        requests[request["id"]] = request
        by_node[node] = request
    grants: dict[str, Grant] = {}
    grant_nodes: dict[str, str] = {}
    for d in records["AccessDecision"].values():
        decided = by_node.get(str(d["used"]))
        if decided is None:
            continue
        request = decided
        request["decision"] = str(d["outcome"])
        request["decided_by"] = str(d["wasAssociatedWith"])
        request["reason"] = str(d["reason"]) if "reason" in d else None
        if "generated" in d:
            grant_id = _name(str(d["generated"]))
            request["grant"] = grant_id
            grant_nodes[str(d["generated"])] = grant_id
            grants[grant_id] = Grant(
                id=grant_id,
                request=request["id"],
                requested_by=request["requested_by"],
                organisation=request["organisation"],
                purpose=request["purpose"],
                legal_basis=request["legal_basis"],
                role=Role(request["role"]),
                scopes=request["scopes"],
                metrics=request["metrics"],
                end_of_use=request["end_of_use"],
                approved_by=request["decided_by"],
                approved_at=_time(d["startedAtTime"]),
                period_start=request["period_start"],
                period_end=request["period_end"],
            )
    conditions = store.select(
        "SELECT ?g ?c WHERE { ?g a nhskg:AccessGrant ; nhskg:conditions ?c }", graphs=graphs
    )
    for row in conditions:
        conditioned = grant_nodes.get(str(row["g"]))
        if conditioned:
            grants[conditioned].conditions = str(row["c"])
    for r in records["AccessRevocation"].values():
        revoked = grant_nodes.get(str(r["invalidated"]))
        if revoked:
            grant_id = revoked
            grants[grant_id].revoked_at = _time(r["startedAtTime"])
            grants[grant_id].revoked_by = str(r["wasAssociatedWith"])
            grants[grant_id].revocation_reason = str(r.get("reason", ""))
    return requests, grants


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
