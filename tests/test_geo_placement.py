"""Which areas is a trust in, by method, on the real data (national_store)."""

from __future__ import annotations

import copy
import csv
from datetime import date
from pathlib import Path

import pytest

from service.geography.assign import Placer, UnknownAreaType
from service.geography.carrying_on import SuccessionTable
from service.geography.methods import CATCHMENT, HEADQUARTERS, ODS_STATED, SITES
from service.geography.reference import SiteOperation
from service.rdf.terms import ID

pytestmark = pytest.mark.national

ON = date(2026, 7, 1)


@pytest.fixture(scope="module")
def placer(geo_placer: Placer) -> Placer:
    return geo_placer


def _open_trusts(placer: Placer) -> list[str]:
    return sorted(c for c, o in placer.reference.organisations.items() if o.open_on(ON))


def _in_catchment_tables(placer: Placer, code: str) -> bool:
    return any(
        code in placer.ctx.carrying_on(t, ON)
        for rows in placer.reference.catchments.values()
        for t in rows
    )


def test_area_types_come_from_the_ontology(placer: Placer) -> None:
    assert {"LAD", "LRF", "ICB", "NHS_REGION", "ONS_REGION", "UTLA", "SUB_ICB"} <= set(
        placer.reference.api_names()
    )
    with pytest.raises(UnknownAreaType, match="known types"):
        placer.place("RJ1", "COUNTY_OF_NOWHERE", ON)


def test_which_lrf_is_each_open_trust_in_by_headquarters_and_catchment(placer: Placer) -> None:
    trusts = [c for c in _open_trusts(placer) if _in_catchment_tables(placer, c)]
    assert len(trusts) > 100
    missing: dict[str, dict[str, str | None]] = {}
    for method in (HEADQUARTERS, CATCHMENT):
        placed = 0
        for code in trusts:
            placements = placer.place_by(method, code, "LRF", ON)
            if any(p.shares for p in placements):
                placed += 1
            else:
                missing.setdefault(code, {})[method] = "; ".join(str(p.reason) for p in placements)
        assert placed / len(trusts) >= 0.95, (method, placed, len(trusts), missing)
    for reasons in missing.values():  # every trust left out says why
        assert all(reasons.values())


def test_catchment_shares_sum_to_the_covered_fraction(placer: Placer) -> None:
    for code in _open_trusts(placer)[:40]:
        for p in placer.place_by(CATCHMENT, code, "LRF", ON):
            assert sum(p.shares.values()) == pytest.approx(p.coverage)
            assert p.coverage <= 1.0 + 1e-6  # shares are rounded to nine places
            if p.shares:
                assert p.evidence[0]["catchment_table"] == p.source


def test_headquarters_answer_names_its_district_and_graph(placer: Placer) -> None:
    answer = placer.place("RRK", "LRF", ON, methods=[HEADQUARTERS])  # Birmingham hospitals
    [p] = answer.placements
    assert p.method == HEADQUARTERS and list(p.shares.values()) == [1.0]
    assert p.evidence[0]["area"].startswith("E0")
    assert "trust-hq-location" in p.evidence[0]["headquarters_graph"]


def test_trusts_whose_methods_disagree_are_reported_as_conflicts(placer: Placer) -> None:
    conflicted = []
    for code in _open_trusts(placer):
        answer = placer.place(code, "LRF", ON, methods=[HEADQUARTERS, CATCHMENT])
        mains = {p.main_area for p in answer.placements if p.main_area}
        assert (answer.conflicts is not None) == (len(mains) > 1)
        if answer.conflicts:
            conflicted.append(answer)
    assert conflicted, "some trust's headquarters lies outside the LRF most of its patients are in"
    first = conflicted[0].as_dict()
    assert len(set(first["conflicts"].values())) > 1


def test_ods_stated_region_resolves_to_the_area_with_that_ods_code(placer: Placer) -> None:
    record = placer.reference.ods_records["RRK"][-1]
    [p] = placer.place_by(ODS_STATED, "RRK", "NHS_REGION", ON)
    [area] = p.shares
    assert placer.reference.areas[str(ID[f"area/{area}"])].ods_code == record.region_code
    assert p.evidence[0]["ods_record"] == record.iri


def test_sites_follow_successions(geo_placer: Placer, shared_data: Path) -> None:
    """Poole Hospital (RD304) is listed under RD3 in 2018; after the 2020-10-01 merger it counts
    for R0D. Site operations are built here from the 2018 hospital list (the ODS site mapping
    lives elsewhere); locations are the loaded ones."""
    ref = copy.copy(geo_placer.reference)  # a shallow copy: its site operations are replaced
    with (shared_data / "ods/hospitals-2018-09.csv").open(encoding="latin-1", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\xac"))
    ref.site_operations = [
        SiteOperation(
            str(ID[f"org/{r['OrganisationCode']}"]), r["ParentODSCode"], date(2018, 9, 1), None
        )
        for r in rows
        if r["ParentODSCode"] in {"RD3", "RDZ", "R0D"}
    ]
    succession = SuccessionTable(
        [("RD3", "R0D", date(2020, 10, 1)), ("RDZ", "R0D", date(2020, 10, 1))]
    )
    placer = Placer(ref, succession)
    [before] = placer.place_by(SITES, "R0D", "LAD", date(2020, 9, 30))
    [after] = placer.place_by(SITES, "R0D", "LAD", date(2021, 1, 1))
    assert not before.shares and before.reason
    assert after.shares and sum(after.shares.values()) == pytest.approx(after.coverage)
    assert "RD304" in {e["site"] for e in after.evidence}
    assert {e["listed_operator"] for e in after.evidence} <= {"RD3", "RDZ"}
