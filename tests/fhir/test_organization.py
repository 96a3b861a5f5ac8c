"""FHIR R4 Organization view: over real HTTP on the sample, validated with fhir.resources; and
every open trust and site of the national data validates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.namespace import XSD

from service.api.app import create_app
from service.config import Settings
from service.fhir.organization import ODS_SITE, PREDECESSOR, SUCCESSOR, organization, validate
from service.rdf.store import GraphStore
from service.rdf.terms import GRAPH, ID
from service.rdf.vocab import NHSKG
from service.reference import ReferenceData
from service.reference.asof import AsOf
from service.reference.organisations import OrganisationIndex
from tests.http_server import serve
from tests.support.auth import sign_httpx

SITE = "RXX01"


@pytest.fixture(autouse=True)
def signed_in(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Organisation-level facts: a national analyst's requests."""
    return sign_httpx(monkeypatch, "analyst")


@pytest.fixture(scope="module")
def served(sample_store: GraphStore) -> Iterator[tuple[str, ReferenceData]]:
    """The sample (which has no sites) plus one site operated by the sample's first open trust,
    written as a load would write it."""
    store = sample_store.copy_in_memory()
    trust = next(
        iri
        for iri, o in sorted(OrganisationIndex.build(store).by_iri.items())
        if o.type_iri.endswith("#NHSTrust") and o.close_date is None
    )
    site, operation = ID[f"site/{SITE}"], ID[f"site-operation/{SITE}"]
    store.write_graph(
        str(GRAPH["test/fhir-site"]),
        [
            (site, RDF.type, NHSKG.Site),
            (site, NHSKG.odsCode, Literal(SITE)),
            (site, RDFS.label, Literal("Test Community Hospital")),
            (site, NHSKG.openDate, Literal("2001-04-01", datatype=XSD.date)),
            (operation, RDF.type, NHSKG.SiteOperation),
            (operation, NHSKG.operatedSite, site),
            (operation, NHSKG.operator, URIRef(trust)),
            (operation, NHSKG.validFrom, Literal("2001-04-01", datatype=XSD.date)),
        ],
    )
    app = create_app(Settings(store_path=None, numbers_path=None), store=store)
    with serve(app) as url:
        yield url, app.state.reference


def test_a_site_names_its_operating_trust(served: tuple[str, ReferenceData]) -> None:
    url, reference = served
    response = httpx.get(f"{url}/fhir/Organization/{SITE.lower()}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    resource = response.json()
    parsed = validate(resource)
    assert parsed.id == SITE and parsed.active is True
    assert resource["identifier"][0] == {"use": "official", "system": ODS_SITE, "value": SITE}
    operator = reference.lookup.asof.site_on(SITE, date.today())
    assert operator is not None and len(operator.operators) == 1
    assert resource["partOf"]["reference"] == f"Organization/{operator.operators[0]}"
    trust = reference.organisations.find(operator.operators[0])
    assert trust is not None and resource["partOf"]["display"] == trust.name


def test_a_merged_trust_lists_its_successor_and_the_successor_its_predecessor(
    served: tuple[str, ReferenceData],
) -> None:
    url, reference = served
    successions = reference.lookup.asof.successions
    closed = next(
        o
        for o in sorted(reference.organisations.by_code.values(), key=lambda o: o.code)
        if o.type_iri.endswith("#NHSTrust")
        and o.close_date is not None
        and successions.successor_events(o.code)
    )
    step = successions.successor_events(closed.code)[0]
    resource = httpx.get(f"{url}/fhir/Organization/{closed.code}").json()
    validate(resource)
    assert resource["active"] is False
    period = next(e for e in resource["extension"] if e["url"].endswith("active-period"))
    assert period["valuePeriod"]["end"] == closed.close_date.isoformat()  # type: ignore[union-attr]
    [successor] = [e for e in resource["extension"] if e["url"] == SUCCESSOR][:1]
    parts = {p["url"]: p for p in successor["extension"]}
    assert parts["type"]["valueCode"] == step.type
    assert parts["effectiveDate"]["valueDate"] == step.effective.isoformat()
    target = parts["organization"]["valueReference"]["reference"].removeprefix("Organization/")
    assert target in step.resultings
    back = httpx.get(f"{url}/fhir/Organization/{target}").json()
    validate(back)
    predecessors = [e for e in back["extension"] if e["url"] == PREDECESSOR]
    assert any(
        p["valueReference"]["reference"] == f"Organization/{closed.code}"
        for e in predecessors
        for p in e["extension"]
        if p["url"] == "organization"
    )


def test_an_unknown_code_is_a_404_operation_outcome(served: tuple[str, ReferenceData]) -> None:
    url, _ = served
    response = httpx.get(f"{url}/fhir/Organization/ZZZ99")
    assert response.status_code == 404
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "ZZZ99 is not an organisation or site" in outcome["issue"][0]["diagnostics"]


def test_an_invalid_resource_is_refused_by_the_validator() -> None:
    with pytest.raises(ValueError):
        validate({"resourceType": "Organization", "id": "X", "active": "sometimes"})


@pytest.mark.national
def test_every_open_trust_and_site_validates(national_store: GraphStore) -> None:
    organisations = OrganisationIndex.build(national_store)
    asof = AsOf(national_store)
    today = date.today()
    kinds = {"#NHSTrust": 0, "#Site": 0}
    with_parent = 0
    for org in organisations.by_code.values():
        kind = next((k for k in kinds if org.type_iri.endswith(k)), None)
        if kind is None or not org.open_on(today):
            continue
        resource = organization(org.code, organisations, asof, today)
        validate(resource)
        kinds[kind] += 1
        with_parent += "partOf" in resource
    assert kinds["#NHSTrust"] > 150 and kinds["#Site"] > 10_000, kinds
    assert with_parent > kinds["#Site"] * 0.9, (with_parent, kinds)
