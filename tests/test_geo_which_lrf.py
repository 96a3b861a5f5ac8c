""" "Which LRF is this trust in", for every trust open on 2026-07-01, by SITES and by CATCHMENT
(real national data). The site list is from 2018, so a trust's sites include those of the
trusts that passed to it; the population of each method is the trusts the data can speak
about: those whose code (or a predecessor's) operates a site in the site data, and those whose
code (or a predecessor's) is in a catchment table. Every trust without an answer is listed with
the reason the lookup gives."""

from __future__ import annotations

from datetime import date

import pytest

from service.geography.lookup import Lookup

pytestmark = pytest.mark.national

ON = date(2026, 7, 1)
AT_LEAST = 0.95


@pytest.fixture(scope="module")
def lookup(national_lookup: Lookup) -> Lookup:
    return national_lookup


def _population(lookup: Lookup, method: str) -> list[str]:
    ctx = lookup.placer.ctx
    _, sites_by_operator = ctx.site_index()
    tables = lookup.placer.reference.catchments.values()
    out = []
    for trust in lookup.asof.trusts_open_on(ON):
        lineage = ctx.lineage(trust) or frozenset({trust})
        if method == "SITES":
            speaks = any(sites_by_operator.get(code) for code in lineage)
        else:
            speaks = any(code in table for table in tables for code in lineage)
        if speaks:
            out.append(trust)
    return out


@pytest.mark.parametrize("method", ["SITES", "CATCHMENT"])
def test_most_open_trusts_are_in_an_lrf(lookup: Lookup, method: str) -> None:
    population = _population(lookup, method)
    assert len(population) > 100, "the national data should speak about most trusts"
    exceptions: dict[str, str] = {}
    for trust in population:
        answer = lookup.lookup(trust, "LRF", ON, method)
        assert answer.method == method
        if not answer.areas:
            exceptions[trust] = answer.reason or "no reason given"
        else:
            assert answer.primary_area is not None and answer.primary_area["name"]
            assert 0 < answer.coverage <= 1 + 1e-6  # source shares are rounded
    listed = "\n".join(f"  {code}: {why}" for code, why in sorted(exceptions.items()))
    print(f"{method}: {len(population) - len(exceptions)} of {len(population)} trusts in an LRF")
    if listed:
        print(f"without an LRF by {method}:\n{listed}")
    assert all(exceptions.values()), "every exception needs a reason"
    placed = 1 - len(exceptions) / len(population)
    assert placed >= AT_LEAST, f"{placed:.1%} placed; without an LRF:\n{listed}"


def test_a_trust_placed_through_a_shared_postcode_says_so(lookup: Lookup) -> None:
    """Ambulance stations have no coordinates in the site lists; those sharing a postcode with a
    located hospital or headquarters count, and the evidence names the basis."""
    answer = lookup.lookup("RX7", "LRF", ON, "SITES")  # North West Ambulance Service
    # Its located sites share it whole (SITES renormalises over located sites).
    assert answer.areas and abs(answer.coverage - 1) < 1e-6
    inferred = [e for e in answer.evidence if "location_by_shared_postcode" in e]
    assert inferred and all(e["location_by_shared_postcode"]["postcode"] for e in inferred)
