"""Timelines (each organisation evaluated on its own change dates), lineages and locating sites
by a shared postcode, on a small hand-built reference (no national data)."""

from __future__ import annotations

from datetime import date

from service.geography.assign import Placer
from service.geography.carrying_on import SuccessionTable
from service.geography.methods import HEADQUARTERS, SITES
from service.geography.timeline import Timelines
from service.reference.placement import (
    Area,
    Membership,
    Organisation,
    Reference,
    SiteOperation,
    locate_by_postcode,
)


def _reference() -> Reference:
    """Two districts that move from LRF F1 to F2 on 2020-04-01 (L2 only); trust A runs site S1
    in L1, trust B runs S2 in L2 and merges into A on 2021-01-01."""
    ref = Reference(area_types={"LadCls": "LAD", "LrfCls": "LRF"})
    for code, kind in [("L1", "LAD"), ("L2", "LAD"), ("F1", "LRF"), ("F2", "LRF")]:
        ref.areas[f"a/{code}"] = Area(f"a/{code}", code, code, frozenset({kind}))
    start, move = date(2016, 1, 1), date(2020, 4, 1)
    ref.memberships["a/L1"] = [Membership("m1", "a/L1", "a/F1", start, None, 1.0, "g1")]
    ref.memberships["a/L2"] = [
        Membership("m2", "a/L2", "a/F1", start, date(2020, 3, 31), 1.0, "g1"),
        Membership("m3", "a/L2", "a/F2", move, None, 1.0, "g2"),
    ]
    ref.located_in = {"s/S1": [("a/L1", "g3")], "s/S2": [("a/L2", "g3")]}
    ref.headquarters = {"A": [("a/L1", "g4")]}
    ref.site_operations = [
        SiteOperation("s/S1", "A", date(2018, 1, 1), None),
        SiteOperation("s/S2", "B", date(2018, 1, 1), date(2020, 12, 31)),
    ]
    ref.organisations = {
        "A": Organisation("A", "A", date(2010, 1, 1), None),
        "B": Organisation("B", "B", date(2010, 1, 1), date(2020, 12, 31)),
    }
    return ref


def _timelines() -> Timelines:
    successions = SuccessionTable([("B", "A", date(2021, 1, 1))])
    return Timelines(Placer(_reference(), successions), methods=(SITES, HEADQUARTERS))


def test_lineage_and_succession_dates() -> None:
    table = SuccessionTable([("B", "A", date(2021, 1, 1)), ("C", "B", date(2019, 1, 1))])
    assert table.lineage("A") == frozenset({"A", "B", "C"})
    assert table.lineage("C") == frozenset({"C"})
    assert table.dates_of({"B", "C"}) == {date(2021, 1, 1), date(2019, 1, 1)}


def test_a_timeline_changes_only_when_the_organisations_facts_do() -> None:
    timelines = _timelines()
    timeline = timelines.get("A", "LRF")
    # 2018-01-01 its site opens; 2021-01-01 B's site passes to it (in L2, by then in F2).
    shares = [{p.method: p.shares for p in answer.placements}[SITES] for answer in timeline.answers]
    assert date(2021, 1, 1) in timeline.starts
    assert shares[-1] == {"F1": 0.5, "F2": 0.5}
    answer = timelines.answer("A", "LRF", date(2022, 6, 1))
    assert {p.method: p.shares for p in answer.placements}[SITES] == {"F1": 0.5, "F2": 0.5}
    # Every day agrees with placing afresh, including days between the change dates.
    fresh = Placer(_reference(), SuccessionTable([("B", "A", date(2021, 1, 1))]))
    for day in [date(2017, 5, 1), date(2019, 1, 1), date(2020, 6, 1), date(2023, 1, 1)]:
        got = {p.method: p.shares for p in timelines.answer("A", "LRF", day).placements}
        want = {
            p.method: p.shares
            for p in fresh.place("A", "LRF", day, (SITES, HEADQUARTERS)).placements
        }
        assert got == want, day


def test_a_closed_organisation_is_covered_only_while_open() -> None:
    timeline = _timelines().get("B", "LRF")
    assert timeline.last_day == date(2020, 12, 31)
    assert timeline.at(date(2020, 6, 1)) is not None
    assert timeline.at(date(2021, 6, 1)) is None  # after its close: worked out on the spot


def test_a_site_without_a_point_takes_the_district_of_its_postcode_when_unambiguous() -> None:
    ref = _reference()
    ref.site_operations += [
        SiteOperation("s/S3", "A", date(2018, 1, 1), None),
        SiteOperation("s/S4", "A", date(2018, 1, 1), None),
    ]
    postcodes = {
        "s/S1": {"AB1 2CD"},
        "s/S3": {"AB1 2CD"},
        "s/S2": {"ZZ9 9ZZ"},
        "s/S5": {"ZZ9 9ZZ"},
        "s/S4": {"ZZ9 9ZZ"},
    }
    ref.located_in["s/S5"] = [("a/L1", "g5")]  # shares S4's postcode, in another district
    locate_by_postcode(ref, postcodes)
    assert ref.located_in["s/S3"] == [("a/L1", "g3")]
    assert ref.location_basis["s/S3"] == {"postcode": "AB1 2CD", "shared_with": "S1"}
    assert "s/S4" not in ref.located_in  # its postcode is in L2 (S2) and L1 (S5): ambiguous
