"""Areas and memberships loaded from the real ONS lookups (national_store)."""

from __future__ import annotations

import csv
import itertools
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from service.geography.assign import Placer
from service.geography.lad_history import read_history
from service.rdf.store import GraphStore
from service.reference.placement import Membership

pytestmark = pytest.mark.national

LRF_OF = """SELECT DISTINCT ?code ?lrf ?from ?to WHERE {
  ?m nhskg:memberArea ?lad ; nhskg:parentArea ?p ; nhskg:validFrom ?from .
  ?lad nhskg:gssCode ?code . ?p a nhskg:LocalResilienceForum ; nhskg:gssCode ?lrf .
  OPTIONAL { ?m nhskg:validTo ?to } }"""


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_districts_created_since_2019_are_in_their_predecessors_lrf_from_april_2019(
    national_store: GraphStore, shared_data: Path
) -> None:
    history = read_history(shared_data / "ons/lookup_ltla_ltla.csv")
    lrf19 = {
        r["LAD19CD"]: r["LRF19CD"] for r in _csv(shared_data / "ons/132_LAD19_LRF19_EW_LU.csv")
    }
    created = {
        code: start
        for code, start in history.created.items()
        if start and start > date(2019, 4, 1) and code.startswith("E")
    }
    assert {"E06000060", "E06000061", "E06000063", "E06000065", "E06000066"} <= set(created)
    for code in created:
        predecessors = {p for p in lrf19 if code in history.descendants(p)}
        # The README's claim: every post-2019 merger stayed inside one LRF.
        assert len({lrf19[p] for p in predecessors}) == 1, (code, predecessors)
        rows = national_store.select(LRF_OF, code=code)
        # From the lookup's first day, not the district's creation (backcast): sites are
        # located with 2024 boundaries, and the district's ground lay in that LRF all along.
        assert [(r["lrf"], r["from"], r["to"]) for r in rows] == [
            (lrf19[next(iter(predecessors))], date(2019, 4, 1), None)
        ]


def test_abolished_districts_leave_their_lrf_when_their_code_ends(
    national_store: GraphStore,
) -> None:
    rows = national_store.select(LRF_OF, code="E07000004")  # Aylesbury Vale
    assert max(r["to"] for r in rows) == date(2020, 3, 31)


def test_no_area_is_wholly_in_two_areas_of_one_kind_on_any_date(geo_placer: Placer) -> None:
    ref = geo_placer.reference
    full: dict[tuple[str, str], list[Membership]] = {}
    for memberships in ref.memberships.values():
        for m in memberships:
            for kind in ref.areas[m.parent].types if m.share >= 1 else ():
                full.setdefault((m.member, kind), []).append(m)
    assert len(full) > 7_000  # every MSOA in a LAD, every LAD in an LRF, a region, ...
    for spans in full.values():
        spans.sort(key=lambda m: m.start)
        for a, b in itertools.pairwise(spans):
            overlap = a.end is None or b.start <= a.end
            assert not (overlap and a.parent != b.parent), (a, b)


def test_straddling_districts_have_icb_shares_summing_to_one(
    national_store: GraphStore, shared_data: Path
) -> None:
    rows = national_store.select(
        """SELECT DISTINCT ?lad ?icb ?share WHERE {
             ?m nhskg:memberArea ?a ; nhskg:parentArea ?p ; nhskg:share ?share ;
                nhskg:validFrom "2022-07-01"^^xsd:date .
             ?p a nhskg:IntegratedCareSystemArea ; nhskg:gssCode ?icb .
             ?a a nhskg:LocalAuthorityDistrict ; nhskg:gssCode ?lad }"""
    )
    by_lad: dict[str, dict[str, float]] = {}
    for r in rows:
        by_lad.setdefault(r["lad"], {})[r["icb"]] = float(r["share"])
    straddlers = {lad: s for lad, s in by_lad.items() if len(s) > 1}
    assert straddlers, "the 2022 lookup has districts in two ICBs"
    for shares in by_lad.values():
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9)
    # The shares are the fractions of the district's LSOAs, counted here from the file itself.
    lad, shares = sorted(straddlers.items())[0]
    lsoas = _csv(shared_data / "ons/lookup_lsoa11_sicbl22_icb22_ltla22.csv")
    counts = Counter(r["icb22_code"] for r in lsoas if r["ltla22_code"] == lad)
    total = sum(counts.values())
    assert shares == pytest.approx({icb: n / total for icb, n in counts.items()}, abs=1e-6)


def test_every_2024_district_has_an_ons_region_an_lrf_and_an_icb(
    geo_placer: Placer, shared_data: Path
) -> None:
    lads = {r["ltla24_code"] for r in _csv(shared_data / "ons/lookup_ltla24_region24.csv")}
    on = date(2025, 1, 1)
    ref = geo_placer.reference
    held: dict[str, set[str]] = {}
    for memberships in ref.memberships.values():
        for m in memberships:
            if m.holds_on(on):
                for kind in ref.areas[m.parent].types:
                    held.setdefault(kind, set()).add(ref.areas[m.member].code)
    assert lads - held["ONS_REGION"] == set()
    assert lads - held["LRF"] == set()
    assert lads - held["ICB"] == set()


def test_icb_regions_and_sub_icb_locations_from_the_2022_lookup(national_store: GraphStore) -> None:
    [row] = national_store.select(
        """SELECT (COUNT(DISTINCT ?loc) AS ?locs) (COUNT(DISTINCT ?icb) AS ?icbs)
                  (COUNT(DISTINCT ?reg) AS ?regs) WHERE {
             ?m1 nhskg:memberArea ?loc ; nhskg:parentArea ?icb ;
                 nhskg:validFrom "2022-07-01"^^xsd:date .
             ?loc a nhskg:SubICBLocationArea .
             ?m2 nhskg:memberArea ?icb ; nhskg:parentArea ?reg ;
                 nhskg:validFrom "2022-07-01"^^xsd:date . ?reg a nhskg:NHSEnglandRegion }"""
    )
    assert (row["locs"], row["icbs"], row["regs"]) == (106, 42, 7)
