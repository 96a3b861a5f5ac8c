"""The organisation -> area table the roll-up engine joins (national_store, LRF only)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest

from service.geography.assign import Placer
from service.geography.table import materialise
from service.store import GraphStore

pytestmark = pytest.mark.national

# Materialising every trust nationally takes minutes since site operations arrived (a known cost,
# noted on the issue); the table's properties are checked on trusts that exercise each method:
# mergers (R0D), a split (RW6 and its successors), catchment-table trusts and a conflicting one.
TRUSTS = ["R0D", "RD3", "RDZ", "RW6", "RM3", "R0A", "RDE", "RJ1", "RRK", "RTH"]


@pytest.fixture(scope="module")
def table(
    national_store: GraphStore, geo_placer: Placer, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("org-area") / "org_area.duckdb"
    written = materialise(
        national_store, path, area_types=["LRF"], placer=geo_placer, organisations=TRUSTS
    )
    assert written and written > 0
    return path


def _rows(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            """SELECT method, source, area_type, org_code, area_code, share, valid_from,
                      valid_to, coverage, evidence FROM org_area"""
        ).fetchall()
    finally:
        con.close()


def test_table_is_rebuilt_only_when_reference_graphs_change(
    national_store: GraphStore, table: Path
) -> None:
    assert materialise(national_store, table, area_types=["LRF"], organisations=TRUSTS) is None


def test_every_method_has_rows_with_evidence(table: Path) -> None:
    rows = _rows(table)
    # ODS_STATED gives NHS regions and ICBs, which do not lie in LRFs: no LRF rows.
    assert {r[0] for r in rows} == {"SITES", "HEADQUARTERS", "CATCHMENT"}
    assert {r[2] for r in rows} == {"LRF"}
    assert all(r[9] and r[9] != "[]" for r in rows)


def test_periods_of_one_placement_do_not_overlap_and_shares_sum_to_coverage(table: Path) -> None:
    by_answer: dict[tuple, list[tuple]] = defaultdict(list)
    for r in _rows(table):
        by_answer[r[:4]].append(r)
    for rows in by_answer.values():
        starts = sorted({r[6] for r in rows})
        for start in starts:
            live = [r for r in rows if r[6] <= start and (r[7] is None or start <= r[7])]
            areas = [r[4] for r in live]
            assert len(areas) == len(set(areas)), ("overlapping periods", live[0][:4], start)
            assert sum(r[5] for r in live) == pytest.approx(live[0][8], abs=1e-4)
            assert live[0][8] <= 1.0 + 1e-6


def test_headquarters_rows_agree_with_the_placer(geo_placer: Placer, table: Path) -> None:
    placer = geo_placer
    on = date(2026, 7, 1)
    for r in _rows(table):
        if r[0] == "HEADQUARTERS" and r[6] <= on and (r[7] is None or on <= r[7]):
            [p] = placer.place_by("HEADQUARTERS", r[3], "LRF", on)
            assert p.shares == {r[4]: pytest.approx(r[5])}
