"""Every geography type over its whole life on the national data (issue 16): no day between a
type's first and last membership without one; districts reach an NHS England region on every day
from April 2019 (through the CCG of each vintage), and say why not before; University Hospitals
Dorset (R0D) is in the South West from its first day by every method that can place it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from service.geography.assign import Placer
from service.geography.coverage import type_lifetimes
from service.geography.methods import CATCHMENT, HEADQUARTERS, ODS_STATED, SITES

pytestmark = pytest.mark.national

SOUTH_WEST = "E40000006"
# The first day each type has memberships in the files held, and why not earlier.
FIRST_DAY = {
    "LAD": date(2016, 4, 1),  # LAD16 -> LRF16
    "LRF": date(2016, 4, 1),
    "UTLA": date(2016, 4, 1),  # the 2019 LAD -> UTLA lookup, clipped to code history
    "ONS_REGION": date(2018, 4, 1),  # LAD18 -> RGN18 is the earliest region lookup held
    "NHS_REGION": date(2017, 4, 1),  # NHSRLO17 -> NHSER17
    "NHS_LOCAL_OFFICE": date(2017, 4, 1),
    "SUB_ICB": date(2018, 4, 1),  # CCG18 -> local office
    "ICB": date(2019, 4, 1),  # CCG19 -> STP19
    "PCN": date(2020, 9, 1),  # the GP practice map, its one day
    "NATION": date(2016, 4, 1),  # England holds the LRFs from their first lookup (LAD16 -> LRF16)
}


def test_every_geography_type_has_memberships_on_every_day_of_its_life(
    geo_placer: Placer,
) -> None:
    lives = type_lifetimes(geo_placer.reference)
    assert set(FIRST_DAY) <= set(lives)
    for key, life in lives.items():
        assert life.gaps == [], (key, life.gaps)
        if key in FIRST_DAY:
            assert life.first == FIRST_DAY[key], key
    assert lives["NHS_LOCAL_OFFICE"].last == date(2019, 3, 31)
    assert lives["PCN"].last == date(2020, 9, 1)  # no other file states PCNs
    for key in ("LAD", "LRF", "NHS_REGION", "ICB", "SUB_ICB", "NATION"):
        assert lives[key].last is None, key  # still in use


def _months(first: date, last: date) -> list[date]:
    out, day = [], first
    while day <= last:
        out.append(day)
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return out


def test_every_english_district_reaches_an_nhs_region_from_april_2019(
    geo_placer: Placer,
) -> None:
    ref, rollup = geo_placer.reference, geo_placer.ctx.rollup
    districts = [a for a in ref.areas.values() if "LAD" in a.types and a.code.startswith("E")]
    for day in [*_months(date(2019, 4, 1), date(2026, 7, 1)), date(2022, 6, 30)]:
        in_use = [a for a in districts if any(m.holds_on(day) for m in ref.memberships[a.iri])]
        assert len(in_use) > 290, day
        for area in in_use:
            reached = rollup.resolve(area.iri, "NHS_REGION", day)
            assert sum(r.share for r in reached) == pytest.approx(1.0, abs=1e-5), (day, area)
    # April 2018 - March 2019: the CCGs and their regions are held, no district -> CCG18 lookup.
    area = next(a for a in districts if a.code == "E06000052")  # Cornwall
    assert rollup.resolve(area.iri, "NHS_REGION", date(2018, 10, 1)) == ()
    assert rollup.resolve(area.iri, "NHS_REGION", date(2019, 4, 1))[0].area.endswith(SOUTH_WEST)


def test_bassetlaw_moves_region_with_the_creation_of_icbs(geo_placer: Placer) -> None:
    """Bassetlaw CCG (02Q) was in South Yorkshire and Bassetlaw (North East and Yorkshire)
    until June 2022 and in Nottingham and Nottinghamshire (Midlands) from July 2022."""
    rollup = geo_placer.ctx.rollup
    bassetlaw = "https://w3id.org/nhskg/id/area/E38000008"
    before = rollup.resolve(bassetlaw, "NHS_REGION", date(2022, 6, 30))
    after = rollup.resolve(bassetlaw, "NHS_REGION", date(2022, 7, 1))
    assert [r.area.rsplit("/", 1)[-1] for r in before] == ["E40000009"]
    assert [r.area.rsplit("/", 1)[-1] for r in after] == ["E40000011"]


R0D_DAYS = [date(2020, 10, 1), date(2021, 3, 31), date(2021, 4, 1), date(2022, 6, 30)]
R0D_DAYS += [date(2022, 7, 1), date(2024, 1, 1), date(2026, 7, 1)]


@pytest.mark.parametrize("method", [SITES, HEADQUARTERS, CATCHMENT])
def test_r0d_is_in_the_south_west_from_its_first_day(geo_placer: Placer, method: str) -> None:
    for day in R0D_DAYS:
        for p in geo_placer.place_by(method, "R0D", "NHS_REGION", day):
            assert p.main_area == SOUTH_WEST, (method, day, p.shares, p.reason)
            assert p.evidence


def test_r0d_ods_stated_from_the_first_file_that_lists_it(geo_placer: Placer) -> None:
    first = min(s.vintage for s in geo_placer.reference.ods_records["R0D"])
    [before] = geo_placer.place_by(ODS_STATED, "R0D", "NHS_REGION", first - timedelta(days=1))
    assert not before.shares and "no ODS record" in str(before.reason)
    for day in [first, date(2026, 7, 1)]:
        [p] = geo_placer.place_by(ODS_STATED, "R0D", "NHS_REGION", day)
        assert p.main_area == SOUTH_WEST
