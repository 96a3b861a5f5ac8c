"""A small store with real sites: the embedded sample plus the sites of the sample's trusts from
the real ODS etrust file (September 2018) and the NHS website hospital list (September 2018),
located in districts by the sample's boundaries. Builds in seconds, where the national store
takes minutes; the rows are the real files' rows for those trusts, unchanged."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from service.loader import load_file
from service.manifest import load_all
from service.rdf.store import GraphStore
from service.rdf.terms import ROOT, SAMPLE_DATA_DIR

ETRUST = "etrust-2018-09.csv.gz"
HOSPITALS = "hospitals-2018-09.csv"
SEPARATOR = "¬".encode("latin-1")
PARENT = 16  # ParentODSCode in the hospital list


def real_ods_dir() -> Path:
    """../shared/data/ods (two of its files are read, no national store is built: the tests
    using this are scheduled with the sample's, not after the national build; see
    tests/conftest.py); skips when the real data is not there."""
    found = ROOT.parent / "shared" / "data" / "ods"
    if not found.is_dir():
        pytest.skip(f"real ODS files not found at {found}")
    return found


def sample_trusts() -> set[str]:
    """The organisation codes the sample's COVID return reports."""
    path = SAMPLE_DATA_DIR / "returns" / "covid-hospital-activity-2020-08-13-long-sw-nw.csv"
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return {line.split(",")[3] for line in lines if line.count(",") >= 6}


def write_site_files(shared_ods: Path, target: Path, trusts: set[str]) -> None:
    """The etrust and hospital list rows of `trusts` (and their sites) into target/ods/, with
    target/boundaries the sample's (the site-locations mapping reads ../boundaries)."""
    (target / "ods").mkdir(parents=True, exist_ok=True)
    if not (target / "boundaries").exists():
        (target / "boundaries").symlink_to(SAMPLE_DATA_DIR / "boundaries")
    with (
        gzip.open(shared_ods / ETRUST, "rt", encoding="latin-1") as source,
        gzip.open(target / "ods" / ETRUST, "wt", encoding="latin-1") as kept,
    ):
        for line in source:
            if line[1:4] in trusts:
                kept.write(line)
    lines = (shared_ods / HOSPITALS).read_bytes().split(b"\r\n")
    rows = [line.split(SEPARATOR) for line in lines[1:]]
    keep = [
        line
        for line, cells in zip(lines[1:], rows, strict=True)
        if len(cells) > PARENT and cells[PARENT].decode("latin-1") in trusts
    ]
    (target / "ods" / HOSPITALS).write_bytes(b"\r\n".join([lines[0], *keep]) + b"\r\n")


def sample_with_sites(shared_ods: Path, folder: Path) -> GraphStore:
    """The sample store with the real sites of its trusts, in `folder`."""
    store = GraphStore(folder / "store")
    results = load_all(store, SAMPLE_DATA_DIR)
    assert all(r.ok for r in results), [r.report.text() for r in results if not r.ok]
    write_site_files(shared_ods, folder / "data", sample_trusts())
    for name, mapping in (
        (ETRUST, "ods-etrust"),
        (HOSPITALS, "nhs-hospitals-2018"),
        (HOSPITALS, "site-locations-2018"),
    ):
        result = load_file(store, folder / "data" / "ods" / name, mapping)
        assert result.ok, result.report.text()
    return store
