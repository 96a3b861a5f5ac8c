"""The policy's scopes on the embedded sample: ICB, organisation (with its sites) and several
scope items at once; the roles' needs; the roll-up scope the engine is given."""

from __future__ import annotations

import pytest

from service.access.policy import AccessDenied, Need
from service.rdf.store import GraphStore
from service.reference import ReferenceData
from tests.support.auth import access


@pytest.fixture(scope="module")
def reference(sample_store: GraphStore) -> ReferenceData:
    return ReferenceData.build(sample_store)


def _stated(reference: ReferenceData, code: str) -> set[str | None]:
    return {r.health_geography_code for r in reference.organisations.by_code[code].records}


def test_an_icb_scope_covers_the_organisations_ods_places_in_it(reference: ReferenceData) -> None:
    icb = access("analyst", ["icb:QYG"], reference)
    inside = [c for c in reference.organisations.codes if icb.allows(c)]
    stated = {c for c in reference.organisations.codes if "QYG" in _stated(reference, c)}
    assert "RBL" in stated and len(stated) > 10
    assert set(inside) == stated | {c for c in inside if c[:3] in stated}  # and their sites
    assert not icb.allows("RD3")  # Poole: South West
    with pytest.raises(AccessDenied) as refused:
        icb.require_organisation("RD3")
    assert (refused.value.status, refused.value.message) == (
        403,
        "RD3 is outside your scope (icb:QYG)",
    )


def test_scope_items_add_up_and_an_organisation_brings_its_sites(reference: ReferenceData) -> None:
    both = access("analyst", ["org:RD3", "region:Y62"], reference)
    sites = [c for c in reference.organisations.codes if c.startswith("RD3") and c != "RD3"]
    assert both.allows("RD3") and both.allows("rbl") and not both.allows("RDZ")
    assert all(both.allows(s) for s in sites)
    scope = both.rollup_scope()
    assert scope.kind == "organisations" and {"RD3", "RBL"} <= scope.codes
    assert access("analyst", ["national"], reference).rollup_scope().kind == "national"


def test_each_role_has_its_needs(reference: ReferenceData) -> None:
    for role, allowed in {
        "analyst": {Need.AGGREGATES, Need.RECORDS},
        "steward": {Need.AGGREGATES, Need.RECORDS, Need.STEWARD},
        "approver": {Need.AGGREGATES, Need.RECORDS, Need.APPROVER},
        "admin": set(Need),
    }.items():
        who = access(role, ["national"], reference)
        for need in Need:
            if need in allowed:
                who.require(need)
            else:
                with pytest.raises(AccessDenied) as refused:
                    who.require(need)
                assert refused.value.status == 403
