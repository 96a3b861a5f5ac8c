"""The organisation -> area table the roll-up engine joins (national_store, LRF only)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest

from service.geography.assign import Placer
from service.geography.millionths import rounded
from service.geography.table import materialise
from service.rdf.store import GraphStore

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


# --- the full national table: every organisation, every method, every area type ------------


@pytest.fixture(scope="module")
def national_table(
    national_store: GraphStore, geo_placer: Placer, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("org-area-national") / "org_area.duckdb"
    written = materialise(national_store, path, placer=geo_placer)
    assert written and written > 0
    return path


def test_the_national_table_covers_every_type_and_method(
    geo_placer: Placer, national_table: Path
) -> None:
    con = duckdb.connect(str(national_table), read_only=True)
    try:
        found = con.execute("SELECT DISTINCT area_type, method FROM org_area").fetchall()
        placed = {r[0] for r in con.execute("SELECT DISTINCT org_code FROM org_area").fetchall()}
    finally:
        con.close()
    types = {t for t, _ in found}
    # Every type the methods can reach (no method places a trust in a Sub-ICB location).
    assert {"LAD", "UTLA", "LRF", "ICB", "NHS_REGION", "ONS_REGION"} <= types
    assert types <= set(geo_placer.reference.api_names())
    # The national roll-ups by LRF, ICB and NHS region need sites, catchments and HQs there.
    for area_type in ("LRF", "ICB", "NHS_REGION"):
        assert {m for t, m in found if t == area_type} >= {"SITES", "CATCHMENT", "HEADQUARTERS"}
    open_trusts = [o.code for o in geo_placer.reference.organisations.values() if o.closed is None]
    missing = sorted(set(open_trusts) - placed)
    assert len(missing) <= len(open_trusts) // 20, missing


def test_national_shares_sum_to_coverage_on_every_start_without_overlaps(
    national_table: Path,
) -> None:
    con = duckdb.connect(str(national_table), read_only=True)
    try:
        bad = con.execute(
            """WITH starts AS (SELECT DISTINCT method, source, area_type, org_code, valid_from AS d
                               FROM org_area)
               SELECT s.method, s.source, s.area_type, s.org_code, s.d, sum(a.share) AS total,
                      min(a.coverage) AS low, max(a.coverage) AS high, count(*) AS n,
                      count(DISTINCT a.area_code) AS areas
               FROM starts s JOIN org_area a USING (method, source, area_type, org_code)
               WHERE a.valid_from <= s.d AND (a.valid_to IS NULL OR s.d <= a.valid_to)
               GROUP BY ALL
               HAVING abs(total - low) > 1e-4 OR high - low > 1e-9 OR n <> areas
                   OR high > 1 + 1e-6"""
        ).fetchall()
        groups = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT method, source, area_type, org_code "
            "FROM org_area)"
        ).fetchone()
    finally:
        con.close()
    assert groups and groups[0] > 1000
    assert bad == [], bad[:5]


def test_national_table_agrees_with_placing_afresh_on_any_day(
    geo_placer: Placer, national_table: Path
) -> None:
    """The table evaluates each organisation only on its own change dates; a placer with empty
    caches, asked about days between them, must give the same shares."""
    fresh = Placer(geo_placer.reference, geo_placer.ctx.carrying_on)
    con = duckdb.connect(str(national_table), read_only=True)
    days = [date(2018, 5, 17), date(2020, 11, 3), date(2023, 2, 14), date(2026, 7, 1)]
    orgs = sorted(geo_placer.reference.organisations)[::4]
    checked = 0
    try:
        for day in days:
            rows = con.execute(
                """SELECT method, source, area_type, org_code, area_code, share FROM org_area
                   WHERE valid_from <= ? AND (valid_to IS NULL OR ? <= valid_to)""",
                [day, day],
            ).fetchall()
            table: dict[tuple[str, str, str, str], dict[str, float]] = defaultdict(dict)
            for method, source, area_type, org, area, share in rows:
                table[(method, source, area_type, org)][area] = share
            for org in orgs:
                if not geo_placer.reference.organisations[org].open_on(day):
                    continue
                for area_type in ("LRF", "ICB", "LAD"):
                    for p in fresh.place(org, area_type, day).placements:
                        got = table.get((p.method, p.source or "", area_type, org), {})
                        want = rounded(p.shares)  # as every writer of the table rounds them
                        where = (org, area_type, day, p.method)
                        assert got == pytest.approx(want, abs=1e-12), where
                        checked += 1
    finally:
        con.close()
    assert checked > 500
