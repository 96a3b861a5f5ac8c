"""GP practices on the national data (issue 16): which CCG, STP and NHS region each practice of
the September 2020 practice map is in on 2020-09-01, through its commissioner and the area
memberships, equals what the map states, for every practice; practice counts by region; a day
the map does not cover says so rather than extend it."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from service.geography.assign import Placer
from service.rdf.store import GraphStore
from service.reference.practices import PracticeIndex

pytestmark = pytest.mark.national

DAY = date(2020, 9, 1)


@pytest.fixture(scope="module")
def practices(national_store: GraphStore) -> PracticeIndex:
    return PracticeIndex.build(national_store)


@pytest.fixture(scope="module")
def practice_map(shared_data: Path) -> list[dict[str, str]]:
    with (shared_data / "ods/gp-practice-map-2020-09.csv").open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def test_every_practice_is_in_the_ccg_stp_and_region_the_map_states(
    practices: PracticeIndex, practice_map: list[dict[str, str]], geo_placer: Placer
) -> None:
    assert len(practice_map) == len(practices.by_code) > 6000
    wrong = []
    for row in practice_map:
        code = row["PRACTICE_CODE"]
        ccg = practices.areas(geo_placer, code, "SUB_ICB", DAY)
        stp = practices.areas(geo_placer, code, "ICB", DAY)
        region = practices.areas(geo_placer, code, "NHS_REGION", DAY)
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


def test_practice_counts_by_region_and_a_day_not_held(
    practices: PracticeIndex, practice_map: list[dict[str, str]], geo_placer: Placer
) -> None:
    counts = practices.counts(geo_placer, "NHS_REGION", DAY)
    assert counts == dict(sorted(Counter(r["ONS_COMM_REGION_CODE"] for r in practice_map).items()))
    later = practices.areas(geo_placer, "A81001", "NHS_REGION", date(2021, 1, 1))
    assert later.shares == {} and "no commissioning of A81001 held on 2021-01-01" in str(
        later.reason
    )
