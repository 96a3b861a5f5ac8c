"""A FHIR R4 `Organization` for each organisation and site, as the ODS FHIR API users expect.

- `identifier`: the ODS code (organisation or site code system);
- `active`: open on the day asked (default today); `name`, and earlier names as `alias`;
- `type`: the ontology class (NHSTrust, Site, ...);
- `partOf`: for a site, the trust that operates it (after successions: the trust that carries
  the stated operator on), on the day asked or, for a closed site, on its last day;
- extensions where FHIR has no field: the active period (open and close dates), and each
  successor and predecessor with the event's type and effective date.

Built as plain JSON and checked against `fhir.resources` (R4B, whose Organization is R4's).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from service.rdf.terms import DEF
from service.reference.asof import AsOf
from service.reference.organisations import Organisation, OrganisationIndex
from service.reference.successions import Step

ODS_ORGANISATION = "https://fhir.nhs.uk/Id/ods-organization-code"
ODS_SITE = "https://fhir.nhs.uk/Id/ods-site-code"
EXTENSION = "https://w3id.org/nhskg/fhir/StructureDefinition/"
ACTIVE_PERIOD = EXTENSION + "active-period"
SUCCESSOR = EXTENSION + "successor"
PREDECESSOR = EXTENSION + "predecessor"
TYPE_SYSTEM = DEF.rstrip("#")


class UnknownOrganisation(LookupError):
    def __init__(self, code: str, near: list[str]) -> None:
        hint = f"; near matches: {', '.join(near)}" if near else ""
        super().__init__(f"{code} is not an organisation or site in the data{hint}")
        self.code = code
        self.near = near


def organization(
    code: str, organisations: OrganisationIndex, asof: AsOf, on: date | None = None
) -> dict[str, Any]:
    """The Organization resource of an ODS code (raises UnknownOrganisation)."""
    org = organisations.find(code)
    if org is None:
        raise UnknownOrganisation(code.strip().upper(), organisations.near_matches(code))
    day = on or date.today()
    site = org.type_iri.endswith("#Site")
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": org.code,
        "identifier": [
            {"use": "official", "system": ODS_SITE if site else ODS_ORGANISATION, "value": org.code}
        ],
        "active": org.open_on(day),
        "type": [{"coding": [{"system": TYPE_SYSTEM, "code": org.type_iri.rsplit("#", 1)[-1]}]}],
        "name": org.name,
    }
    aliases = sorted(org.names - {org.name})
    if aliases:
        resource["alias"] = aliases
    if site:
        parent = _operator(org, asof, day, organisations)
        if parent is not None:
            resource["partOf"] = parent
    extensions = _active_period(org)
    extensions += [
        _event(SUCCESSOR, s, s.resultings, organisations)
        for s in asof.successions.successor_events(org.code)
    ]
    extensions += [
        _event(PREDECESSOR, s, s.originals, organisations)
        for s in asof.successions.predecessors(org.code)
    ]
    if extensions:
        resource["extension"] = extensions
    return resource


def _reference(code: str, organisations: OrganisationIndex) -> dict[str, Any]:
    out: dict[str, Any] = {
        "reference": f"Organization/{code}",
        "identifier": {"system": ODS_ORGANISATION, "value": code},
    }
    other = organisations.find(code)
    if other is not None:
        out["display"] = other.name
    return out


def _operator(
    site: Organisation, asof: AsOf, day: date, organisations: OrganisationIndex
) -> dict[str, Any] | None:
    """The one trust operating the site on `day` (its last day if closed by then), or None when
    no statement reaches the day or a split left several operators and no source says which."""
    when = site.close_date if site.close_date and site.close_date < day else day
    on = asof.site_on(site.code, when)
    if on is None or len(on.operators) != 1:
        return None
    return _reference(on.operators[0], organisations)


def _active_period(org: Organisation) -> list[dict[str, Any]]:
    period = {}
    if org.open_date:
        period["start"] = org.open_date.isoformat()
    if org.close_date:
        period["end"] = org.close_date.isoformat()
    return [{"url": ACTIVE_PERIOD, "valuePeriod": period}] if period else []


def _event(
    url: str, step: Step, codes: tuple[str, ...], organisations: OrganisationIndex
) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {"url": "organization", "valueReference": _reference(code, organisations)} for code in codes
    ]
    parts.append({"url": "type", "valueCode": step.type})
    parts.append({"url": "effectiveDate", "valueDate": step.effective.isoformat()})
    parts.append({"url": "event", "valueUri": step.event})
    return {"url": url, "extension": parts}


def validate(resource: dict[str, Any]) -> Any:
    """The resource parsed by fhir.resources' R4B Organization model (raises on anything FHIR
    does not allow)."""
    from fhir.resources.R4B.organization import Organization

    return Organization.model_validate(resource)
