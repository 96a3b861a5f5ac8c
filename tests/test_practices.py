"""GP practices on the national data (issue 16).

- The September 2020 practice map: which CCG, STP and NHS region each of its practices is in on
  2020-09-01, through its commissioner and the area memberships, equals what the map states.
- ODS epraccur (April 2025): every open row is placed in an NHS region and an ICB on 2025-04-01,
  or listed with its reason, and every such reason is one the data bears out (a commissioner
  that is a Welsh health board or a national commissioning hub, or none); where placed, the
  region and ICB equal those the ODS record states.
- Between the two sources: a practice whose map CCG merged into its epraccur commissioner
  (an ODS succession on the day it joined) is in the map's CCG until the merger, stated as
  carried; one that moved on a day no file states answers "no commissioning held".
- Primary care networks: each map practice in its PCN on the map's day, each PCN in the CCGs of
  its practices, and PCN no roll-up target.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from service.geography.assign import Placer
from service.geography.lookup import Lookup
from service.geography.practices import PracticePlacer
from service.rdf.store import GraphStore
from service.rdf.terms import ID
from service.reference.practices import PracticeIndex
from service.reference.vocabulary import rollup_area_types

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


def test_a_day_between_the_sources_is_not_held_when_the_practice_moved(
    practices: PracticePlacer, practice_map: list[dict[str, str]], epraccur: list[list[str]]
) -> None:
    mapped = {r["PRACTICE_CODE"]: r["CCG_CODE"] for r in practice_map}
    # A practice of the map that moved from Vale of York (03Q, still open) to North Yorkshire
    # (42D) on 2024-04-01: no file says when it left 03Q, so nothing is stated in between.
    code = next(
        r[0]
        for r in epraccur
        if mapped.get(r[0]) == "03Q" and (r[14], r[15]) == ("42D", "20240401")
    )
    between = practices.areas(code, "NHS_REGION", date(2021, 1, 1))
    assert between.shares == {}
    assert f"no commissioning of {code} held on 2021-01-01" in str(between.reason)
    assert practices.areas(code, "NHS_REGION", date(2024, 4, 1)).shares


def test_a_practice_whose_ccg_merged_is_in_the_map_ccg_until_the_merger(
    practices: PracticePlacer,
    practice_map: list[dict[str, str]],
    epraccur: list[list[str]],
    shared_data: Path,
) -> None:
    """Between the map's day and the April 2021 mergers the map's CCG is carried, and only
    where the ODS successions make epraccur's commissioner its successor on the join day."""
    with (shared_data / "ods/succ-2026-04.csv").open(encoding="utf-8") as f:
        successions = {(r[0], r[1], r[3]) for r in csv.reader(f)}
    by_code = {r[0]: r for r in epraccur}
    merged, moved = [], []
    for row in practice_map:
        ods = by_code[row["PRACTICE_CODE"]]
        if ods[14] == row["CCG_CODE"]:
            continue
        key = (row["CCG_CODE"], ods[14], ods[15])
        (merged if key in successions else moved).append((row, ods))
    assert len(merged) > 1000 and moved  # the April 2021 mergers; and practices that moved
    day = date(2021, 1, 1)
    wrong = []
    for row, ods in merged:
        code = row["PRACTICE_CODE"]
        ccg, stp = practices.areas(code, "SUB_ICB", day), practices.areas(code, "ICB", day)
        region = practices.areas(code, "NHS_REGION", day)
        got = (ccg.commissioner, ccg.shares, stp.shares, region.shares, ccg.source, ccg.pcn)
        want = (
            row["CCG_CODE"],
            {row["ONS_CCG_CODE"]: 1.0},
            {row["ONS_STP_CODE"]: 1.0},
            {row["ONS_COMM_REGION_CODE"]: 1.0},
            "ods-practice-map-carried",
            None,  # the PCN is not carried
        )
        if got != want:
            wrong.append((code, got, want))
        assert f"merged into {ods[14]} on 2021-04-01" in str(ccg.statement)
        # The day before the merger is carried; the merger day is epraccur's own statement.
        assert practices.areas(code, "SUB_ICB", date(2021, 3, 31)).commissioner == row["CCG_CODE"]
        assert practices.areas(code, "SUB_ICB", date(2021, 4, 1)).commissioner == ods[14]
        # Nothing is carried backwards from the map's day.
        assert practices.areas(code, "SUB_ICB", date(2020, 8, 31)).shares == {}
    assert wrong == []
    for row, _ in moved:
        assert practices.areas(row["PRACTICE_CODE"], "SUB_ICB", day).shares == {}


def test_every_map_practice_is_in_its_pcn_on_the_map_day_and_no_other(
    practices: PracticePlacer, practice_map: list[dict[str, str]]
) -> None:
    wrong, in_none = [], []
    for row in practice_map:
        code, pcn = row["PRACTICE_CODE"], row["PCN_CODE"]
        got = practices.areas(code, "PCN", DAY)
        if pcn == "U":  # the map's code for a practice in no PCN
            in_none.append(code)
            assert got.shares == {} and "which is no area held" in str(got.reason)
        elif got.shares != {pcn: 1.0} or got.basis != "practice map PCN":
            wrong.append((code, got.shares, pcn))
    assert wrong == [] and in_none
    # Another day: no PCN is stated (the map is the only source), and the answer says so.
    later = practices.areas(practice_map[0]["PRACTICE_CODE"], "PCN", date(2021, 1, 1))
    assert later.shares == {} and "only the September 2020 GP practice map" in str(later.reason)


def test_pcns_lie_in_the_ccgs_of_their_practices_on_the_map_day(
    geo_placer: Placer, practice_map: list[dict[str, str]]
) -> None:
    ref = geo_placer.reference
    rollup = geo_placer.ctx.rollup
    practices_by_pcn: dict[str, Counter[str]] = defaultdict(Counter)
    for row in practice_map:
        if row["PCN_CODE"] != "U":
            practices_by_pcn[row["PCN_CODE"]][row["ONS_CCG_CODE"]] += 1
    pcns = {a.code for a in ref.areas.values() if "PCN" in a.types}
    assert pcns == set(practices_by_pcn)
    for pcn, ccgs in practices_by_pcn.items():
        reached = {
            r.area.rsplit("/", 1)[-1]: r.share
            for r in rollup.resolve(f"{ID}area/{pcn}", "SUB_ICB", DAY)
        }
        total = sum(ccgs.values())
        assert reached == pytest.approx({c: n / total for c, n in ccgs.items()}, abs=1e-6), pcn
        assert rollup.resolve(f"{ID}area/{pcn}", "SUB_ICB", date(2020, 9, 2)) == ()
    # PCNs are made of practices, not land: no roll-up target of trust returns.
    assert "PCN" in ref.api_names() and "PCN" not in rollup_area_types()


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


def test_the_lookup_states_the_carried_commissioner_and_the_pcn(national_lookup: Lookup) -> None:
    """Through the lookup the CLI, REST and GraphQL share: B85001 (North Kirklees 03J on the
    map, X2C4Y from 2021-04-01) on 2021-01-01, and A81001's PCN on the map's day only."""
    carried = national_lookup.lookup("B85001", "SUB_ICB", date(2021, 1, 1), "HEADQUARTERS")
    assert (carried.status, carried.method) == ("practice", "COMMISSIONER")
    [evidence] = carried.evidence
    assert (evidence["commissioner"], evidence["source"]) == ("03J", "ods-practice-map-carried")
    assert "03J merged into X2C4Y on 2021-04-01" in evidence["statement"]
    assert [a["code"] for a in carried.areas] == ["E38000121"]  # the map's ONS code for 03J
    pcn = national_lookup.lookup("A81001", "PCN", DAY, "HEADQUARTERS")
    assert [(a["code"], a["share"]) for a in pcn.areas] == [("U89141", 1.0)]
    later = national_lookup.lookup("A81001", "PCN", date(2021, 1, 1), "HEADQUARTERS")
    assert later.areas == [] and "only the September 2020 GP practice map" in str(later.reason)
