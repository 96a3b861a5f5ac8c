"""NATION is a geography type of the graph (nhskg:Nation): the ONS names mappings state England
and the memberships of the English LRFs, NHS England regions (and ONS regions, UTLAs) in it, so
every English area of the sample reaches England exactly once (share 1) and a Welsh one does
not. A membership that two files state (an NHS region in the 2019 and the 2022 files) is one
membership, never counted twice."""

from __future__ import annotations

from collections import Counter
from datetime import date

from service.geography.rollup import RollUp
from service.rdf.store import GraphStore
from service.reference import ReferenceData
from service.reference.areas import AreaIndex
from service.reference.placement import AREA, read_reference

ENGLAND = AREA + "E92000001"


def test_every_english_area_of_the_sample_reaches_england_once(sample_store: GraphStore) -> None:
    ref = read_reference(sample_store)
    assert ref.areas[ENGLAND].types == frozenset({"NATION"})
    rollup = RollUp(ref)
    kinds = ("LRF", "NHS_REGION", "LAD")
    areas = [a for a in ref.areas.values() if a.types & set(kinds)]
    assert {k for a in areas for k in a.types} >= set(kinds)
    for day in (date(2019, 6, 1), date(2020, 8, 1), date(2023, 1, 1)):
        for area in areas:
            reached = [(r.area, r.share) for r in rollup.resolve(area.iri, "NATION", day)]
            if not area.code.startswith("E"):
                assert reached == [], area.code
                continue
            if "LAD" in area.types and not any(
                m.holds_on(day) for m in ref.memberships.get(area.iri, [])
            ):
                continue  # a district the sample's LRF lookup does not hold on that day
            assert reached == [(ENGLAND, 1.0)], (area.code, day, reached)


def test_a_membership_two_files_state_is_one_membership(sample_store: GraphStore) -> None:
    ref = read_reference(sample_store)
    north_west = ref.memberships[AREA + "E40000010"]  # in the 2019 and the 2022 region files
    held = Counter(m.iri for m in north_west)
    assert held and max(held.values()) == 1
    assert [m.parent for m in north_west if m.parent == ENGLAND] == [ENGLAND]


def test_england_changes_no_geography_types_areas_on_any_date(
    national_reference: ReferenceData,
) -> None:
    """England holds every English region it ever had, with no end: that must not list a
    retired region (or LRF, UTLA) as in use. Each type's areas on each quarter day from 2016 are
    those of the same index without England's memberships."""
    areas = national_reference.areas
    assert areas.types["NATION"].contains_by_code
    held = areas.memberships()
    into_england = [m for m in held if m.parent == ENGLAND]
    assert len({m.member for m in into_england}) > 100  # regions, LRFs, UTLAs
    without = AreaIndex(
        list(areas.types.values()),
        [a for a in areas.by_iri.values() if a.iri != ENGLAND],
        [m for m in held if m.parent != ENGLAND],
    )
    days = [date(year, month, 1) for year in range(2016, 2027) for month in (1, 4, 7, 10)]
    for key in areas.types:
        if key == "NATION":
            continue
        for day in days:
            listed = [a.code for a in areas.of_type(key, day)]
            assert listed == [a.code for a in without.of_type(key, day)], (key, day)
    assert [a.code for a in areas.of_type("NATION", date(2020, 4, 1))] == ["E92000001"]
    assert areas.of_type("NATION", date(2015, 1, 1)) == []


def test_englands_members_on_a_date_are_the_regions_in_use_each_once(
    national_reference: ReferenceData,
) -> None:
    """England's children on a date are the areas of each type in use then, each once (a
    membership the 2019 and 2022 region files both state is one)."""
    areas = national_reference.areas
    england = areas.by_iri[ENGLAND]
    for day in (date(2019, 6, 1), date(2021, 1, 1), date(2023, 1, 1)):
        members = [
            a.code for a, _ in areas.children(england, day) if "NHS_REGION" in areas.type_keys(a)
        ]
        assert len(members) == len(set(members)), (day, members)
        assert sorted(members) == [a.code for a in areas.of_type("NHS_REGION", day)], day
        assert len(members) == 7, (day, members)
