"""GP practices on the national data (issue 16).

- The September 2020 practice map: which CCG, STP and NHS region each of its practices is in on
  2020-09-01, through its commissioner and the area memberships, equals what the map states.
- ODS epraccur (April 2025): every open row is placed in an NHS region and an ICB on 2025-04-01,
  or listed with its reason, and every such reason is one the data bears out (a commissioner
  that is a Welsh health board or a national commissioning hub, or none); where placed, the
  region and ICB equal those the ODS record states.
- A day between the two sources' statements answers "no commissioning held", never an extended
  statement.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from service.geography.assign import Placer
from service.geography.practices import PracticePlacer
from service.rdf.store import GraphStore
from service.reference.practices import PracticeIndex

pytestmark = pytest.mark.national

DAY = date(2020, 9, 1)
EPRACCUR_DAY = date(2025, 4, 1)


@pytest.fixture(scope="module")
def practices(national_store: GraphStore, geo_placer: Placer) -> PracticePlacer:
    return PracticePlacer(PracticeIndex.build(national_store), geo_placer)


@pytest.fixture(scope="module")
def practice_map(shared_data: Path) -> list[dict[str, str]]:
    with (shared_data / "ods/gp-practice-map-2020-09.csv").open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def epraccur(shared_data: Path) -> list[list[str]]:
    with (shared_data / "ods/epraccur-2025-04.csv").open(encoding="utf-8") as f:
        return list(csv.reader(f))


def test_every_practice_is_in_the_ccg_stp_and_region_the_map_states(
    practices: PracticePlacer, practice_map: list[dict[str, str]]
) -> None:
    assert {r["PRACTICE_CODE"] for r in practice_map} <= set(practices.practices.by_code)
    wrong = []
    for row in practice_map:
        code = row["PRACTICE_CODE"]
        ccg = practices.areas(code, "SUB_ICB", DAY)
        stp = practices.areas(code, "ICB", DAY)
        region = practices.areas(code, "NHS_REGION", DAY)
        got = (ccg.shares, stp.shares, region.shares, ccg.pcn)
        want = (
            {row["ONS_CCG_CODE"]: 1.0},
            {row["ONS_STP_CODE"]: 1.0},
            {row["ONS_COMM_REGION_CODE"]: 1.0},
            row["PCN_CODE"] or None,
        )
        if got != want:
            wrong.append((code, got, want))
    assert wrong == []


def test_practice_counts_by_region_of_the_map_practices(
    practices: PracticePlacer, practice_map: list[dict[str, str]]
) -> None:
    counts: Counter[str] = Counter()
    for row in practice_map:
        for area, share in practices.areas(row["PRACTICE_CODE"], "NHS_REGION", DAY).shares.items():
            counts[area] += int(share)
    assert counts == Counter(r["ONS_COMM_REGION_CODE"] for r in practice_map)


def test_a_day_between_the_sources_is_not_held(
    practices: PracticePlacer, practice_map: list[dict[str, str]], epraccur: list[list[str]]
) -> None:
    mapped = {r["PRACTICE_CODE"] for r in practice_map}
    # A practice of the map that joined its epraccur commissioner in April 2021 (the CCG
    # mergers): nothing is stated for it from 2020-09-02 to 2021-03-31.
    code = next(r[0] for r in epraccur if r[0] in mapped and r[15] == "20210401")
    between = practices.areas(code, "NHS_REGION", date(2021, 1, 1))
    assert between.shares == {}
    assert f"no commissioning of {code} held on 2021-01-01" in str(between.reason)
    assert practices.areas(code, "NHS_REGION", date(2021, 4, 1)).shares


def test_every_open_epraccur_practice_is_in_a_region_and_an_icb_or_listed_with_the_reason(
    practices: PracticePlacer, epraccur: list[list[str]], geo_placer: Placer
) -> None:
    open_rows = [r for r in epraccur if r[12] == "A"]
    assert len(open_rows) > 12000
    unplaced: dict[str, list[str]] = defaultdict(list)  # reason kind -> codes
    stated_differs = []
    ods = {a.code: a.ods_code for a in geo_placer.reference.areas.values()}
    for row in open_rows:
        region = practices.areas(row[0], "NHS_REGION", EPRACCUR_DAY)
        icb = practices.areas(row[0], "ICB", EPRACCUR_DAY)
        if not (region.shares and icb.shares):
            assert region.reason and icb.reason, row[0]
            unplaced[str(icb.reason_kind or region.reason_kind)].append(row[0])
            continue
        assert len(region.shares) == len(icb.shares) == 1
        [region_area], [icb_area] = region.shares, icb.shares
        got = (ods.get(region_area), ods.get(icb_area))
        if got != (row[2], row[3]):
            stated_differs.append((row[0], got, (row[2], row[3])))
    assert stated_differs == []
    # The list with the reasons: only commissioners outside NHS England's areas, or none.
    by_code = {r[0]: r for r in open_rows}
    assert set(unplaced) <= {
        "commissioner not a CCG or sub-ICB location held",
        "no commissioning held on that date",
    }
    for code in unplaced["commissioner not a CCG or sub-ICB location held"]:
        row = by_code[code]
        assert row[3] == "Q99", row  # ODS states no English ICB for these either
    for code in unplaced["no commissioning held on that date"]:
        assert by_code[code][14] == "", by_code[code]  # sub-type Z: no commissioner
    # Placed: exactly the open rows whose ODS record states an English ICB.
    placed = len(open_rows) - sum(len(v) for v in unplaced.values())
    english = [r for r in open_rows if r[3] and r[3] != "Q99" and not r[3].startswith("YA")]
    assert placed == len(english) > 11000


def test_practices_per_lrf_through_exact_commissioners_only(practices: PracticePlacer) -> None:
    counts = practices.counts("LRF", EPRACCUR_DAY)
    assert counts and all(v == int(v) for v in counts.values())  # never a guessed fraction
    spanning = [
        p.code
        for p in practices.practices.by_code.values()
        if p.open_on(EPRACCUR_DAY)
        and "spans more than one LRF" in str(practices.areas(p.code, "LRF", EPRACCUR_DAY).reason)
    ]
    placed = sum(counts.values())
    assert placed > 0 and spanning  # both kinds exist nationally; the README gives the figures
