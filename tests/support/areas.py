"""A small geography for tests of values reported by area: two LADs in one LRF and one ONS
region, a third LAD in another LRF that joined a new LAD on 2020-04-01 (a merger: its one MSOA
moves to the new LAD), two MSOAs in the first LAD and one NHS region; and helpers writing slices
of the UKHSA files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from service.reference.placement import AREA, Area, Membership, Reference

TYPES = {
    "c:LAD": "LAD",
    "c:LRF": "LRF",
    "c:ONS_REGION": "ONS_REGION",
    "c:NHS_REGION": "NHS_REGION",
    "c:UTLA": "UTLA",
    "c:NATION": "NATION",
}


def _area(code: str, *types: str) -> Area:
    return Area(AREA + code, code, code, frozenset(types))


def _member(member: str, parent: str, start: date, end: date | None = None) -> Membership:
    return Membership(f"m/{member}/{parent}", AREA + member, AREA + parent, start, end, 1.0, "g")


def small_reference() -> Reference:
    start = date(2019, 4, 1)
    areas = [
        _area("E07000001", "LAD"),
        _area("E07000002", "LAD"),
        _area("E07000003", "LAD"),  # abolished: merged into E06000001 on 2020-04-01
        _area("E06000001", "LAD", "UTLA"),
        _area("E10000001", "UTLA"),
        _area("E48000001", "LRF"),
        _area("E48000002", "LRF"),
        _area("E12000001", "ONS_REGION"),
        _area("E40000001", "NHS_REGION"),
        _area("E02000001"),  # MSOAs: no API name
        _area("E02000002"),
        _area("E02000003"),  # in E07000003, then (the merger) in E06000001
        _area("E92000001", "NATION"),
    ]
    memberships = [
        _member("E07000001", "E48000001", start),
        _member("E07000002", "E48000001", start),
        _member("E07000003", "E48000002", start, date(2020, 3, 31)),
        _member("E07000001", "E10000001", start),
        _member("E07000002", "E10000001", start),
        _member("E06000001", "E48000002", start),
        _member("E07000001", "E12000001", start),
        _member("E07000002", "E12000001", start),
        _member("E06000001", "E12000001", start),
        _member("E07000001", "E40000001", start),
        _member("E07000002", "E40000001", start),
        _member("E06000001", "E40000001", start),
        _member("E02000001", "E07000001", start),
        _member("E02000002", "E07000001", start),
        _member("E02000003", "E07000003", start, date(2020, 3, 31)),
        _member("E02000003", "E06000001", date(2020, 4, 1)),
        # England holds the regions, LRFs and UTLAs (as the ONS names mappings state).
        *(_member(c, "E92000001", start) for c in ("E12000001", "E40000001", "E48000001")),
        *(_member(c, "E92000001", start) for c in ("E48000002", "E10000001", "E06000001")),
    ]
    ref = Reference()
    ref.area_types = dict(TYPES)
    ref.areas = {a.iri: a for a in areas}
    for m in memberships:
        ref.memberships.setdefault(m.member, []).append(m)
    return ref


CASES_HEAD = (
    "Area name,Area code,Area type,Specimen date,Daily lab-confirmed cases,"
    "Cumulative lab-confirmed cases,Cumulative lab-confirmed cases rate"
)


def cases_file(folder: Path, release: str, rows: list[tuple[str, str, str, str]]) -> Path:
    """A slice of the UKHSA cases file: (code, type, day, daily cases) per row."""
    path = folder / f"cases-ltla-utla-region-nation-release-{release}.csv"
    lines = [CASES_HEAD]
    lines += [f"{code},{code},{kind},{day},{cases},{cases},1.0" for code, kind, day, cases in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def msoa_file(folder: Path, release: str, rows: list[tuple[str, str, list[str]]]) -> Path:
    """A slice of the UKHSA MSOA file: (MSOA code, LAD code, counts of weeks 5, 6, 7)."""
    path = folder / f"cases-msoa-weekly-release-{release}.csv"
    lines = [
        "rgn19_cd,rgn19_nm,utla19_cd,utla19_nm,lad19_cd,lad19_nm,msoa11_cd,msoa11_hclnm,"
        "wk_05,wk_06,wk_07,latest_7_days"
    ]
    for code, lad, weeks in rows:
        lines.append(f"E12000001,R,E10000001,U,{lad},L,{code},{code} name,{','.join(weeks)},9")
    path.write_text("\n".join(lines) + "\n")
    return path
