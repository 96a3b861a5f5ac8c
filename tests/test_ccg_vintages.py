"""The CCG vintages on the national data (issue 16): the CCGs in use on 1 September 2020 are the
135 of the September 2020 GP practice map; the April 2020 CCG mergers, derived by joining the
April 2019 and April 2020 LSOA lookups on the LSOA, are the ODS successions of 1 April 2020."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from service.geography.assign import Placer
from service.mapping.derive_blocks import block_counts, read_lookup

pytestmark = pytest.mark.national

MAP = "ods/gp-practice-map-2020-09.csv"


def test_ccgs_in_use_on_1_september_2020_are_those_of_the_practice_map(
    geo_placer: Placer, shared_data: Path
) -> None:
    ref = geo_placer.reference
    day = date(2020, 9, 1)
    in_use = {
        m.member.rsplit("/", 1)[-1]
        for ms in ref.memberships.values()
        for m in ms
        if m.holds_on(day) and "SUB_ICB" in ref.areas[m.member].types
    } | {
        m.parent.rsplit("/", 1)[-1]
        for ms in ref.memberships.values()
        for m in ms
        if m.holds_on(day) and "SUB_ICB" in ref.areas[m.parent].types
    }
    with (shared_data / MAP).open(encoding="utf-8-sig", newline="") as handle:
        mapped = {row["ONS_CCG_CODE"] for row in csv.DictReader(handle)}
    assert len(mapped) == 135
    assert in_use == mapped


def _ods_successions(path: Path, effective: str) -> set[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {(r[0], r[1]) for r in csv.reader(handle) if len(r) > 3 and r[3] == effective}


def test_april_2020_ccg_mergers_from_the_lsoa_lookups_are_the_ods_successions(
    shared_data: Path,
) -> None:
    ons = shared_data / "ons"
    ccg19 = read_lookup(ons / "217_LSOA11_CCG19_LAD19_EN_LU.csv", "LSOA11CD", "CCG19CDH")
    ccg20 = read_lookup(ons / "219_LSOA11_CCG20_LAD20_EN_LU.csv", "LSOA11CD", "CCG20CDH")
    counts = block_counts(ccg19.items(), ccg20)
    # The April 2019 CCGs' LSOAs lie in one April 2020 CCG each (mergers of whole CCGs), but
    # for a boundary change: 4 of Coastal West Sussex's (09G) 302 LSOAs went to Surrey Heartlands.
    split = {old: dict(parents) for old, parents in counts.items() if len(parents) > 1}
    assert split == {"09G": {"70F": 298, "92A": 4}}
    majority = {old: parents.most_common(1)[0][0] for old, parents in counts.items()}
    derived = {(old, new) for old, new in majority.items() if new != old}
    ods = _ods_successions(shared_data / "ods/succ-2026-04.csv", "20200401")
    ccg_codes = set(ccg19.values()) | set(ccg20.values())
    ods_ccg = {(a, b) for a, b in ods if a in ccg_codes and b in ccg_codes}
    assert len(derived) > 50
    assert derived == ods_ccg
