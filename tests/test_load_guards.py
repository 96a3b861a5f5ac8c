"""Loads that cannot lose data: an empty or header-only file, or one that would retire most of
what its source holds now, is refused (unless --replace-all) with the store unchanged. (The
graph and the numbers of a return replaced together across a SIGKILL: tests/test_load_crash.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.loader import load_file
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore

ETR = SAMPLE_DATA_DIR / "ods/etr-2026-07.csv"
LRF_NAMES = SAMPLE_DATA_DIR / "ons/256_LRF19_EW_NC.csv"
RETURN = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"
TRUSTS = "SELECT ?code WHERE { ?t a nhskg:NHSTrust ; nhskg:odsCode ?code } ORDER BY ?code"


def _same_name(tmp_path: Path, original: Path, text: str) -> Path:
    path = tmp_path / original.name  # same name: the same source slot as the original
    path.write_text(text)
    return path


@pytest.fixture
def store(sample_store: GraphStore) -> GraphStore:
    return sample_store.copy_in_memory()


@pytest.mark.parametrize("content", ["", "\n"], ids=["0-byte", "blank"])
def test_an_empty_reference_file_is_refused_and_retires_nothing(
    store: GraphStore, tmp_path: Path, content: str
) -> None:
    trusts, quads = store.select(TRUSTS), store.quad_count()
    result = load_file(store, _same_name(tmp_path, ETR, content), "ods-etr")
    assert result.status == "rejected"
    [finding] = result.report.findings
    assert finding.file == ETR.name and "no data rows" in finding.rule
    assert store.select(TRUSTS) == trusts and store.quad_count() == quads


def test_a_header_only_reference_file_is_refused(store: GraphStore, tmp_path: Path) -> None:
    header = LRF_NAMES.read_text().splitlines()[0] + "\n"
    result = load_file(store, _same_name(tmp_path, LRF_NAMES, header), "ons-lrf-names")
    assert result.status == "rejected" and "no data rows" in result.report.findings[0].rule


def test_a_truncated_reference_file_needs_replace_all(store: GraphStore, tmp_path: Path) -> None:
    lines = ETR.read_text().splitlines(keepends=True)
    truncated = _same_name(tmp_path, ETR, "".join(lines[:2]))
    trusts = store.select(TRUSTS)
    refused = load_file(store, truncated, "ods-etr")
    assert refused.status == "rejected"
    assert "--replace-all" in refused.report.findings[0].rule
    assert store.select(TRUSTS) == trusts
    assert load_file(store, truncated, "ods-etr", replace_all=True).status == "loaded"
    assert len(store.select(TRUSTS)) < len(trusts)


def test_a_header_only_return_deletes_no_values(store: GraphStore, tmp_path: Path) -> None:
    numbers = NumbersStore(None)
    assert load_return_file(store, numbers, RETURN).status == "loaded"
    held = numbers.value_count()
    header = RETURN.read_text().splitlines()[0] + "\n"
    result = load_return_file(store, numbers, _same_name(tmp_path, RETURN, header))
    assert result.status == "rejected" and "no values" in result.report.findings[0].rule
    assert numbers.value_count() == held


def test_a_truncated_return_needs_replace_all(store: GraphStore, tmp_path: Path) -> None:
    numbers = NumbersStore(None)
    assert load_return_file(store, numbers, RETURN).status == "loaded"
    held = numbers.value_count()
    lines = RETURN.read_text().splitlines(keepends=True)
    truncated = _same_name(tmp_path, RETURN, "".join(lines[:100]))
    refused = load_return_file(store, numbers, truncated)
    assert refused.status == "rejected" and "--replace-all" in refused.report.findings[0].rule
    assert numbers.value_count() == held
    loaded = load_return_file(store, numbers, truncated, replace_all=True)
    assert loaded.status == "loaded" and numbers.value_count() == loaded.values < held


def test_one_code_with_two_names_in_one_file_is_refused(store: GraphStore, tmp_path: Path) -> None:
    lines = ETR.read_text().splitlines(keepends=True)
    renamed = lines[0].replace("MANCHESTER UNIVERSITY", "MANCUNIAN UNIVERSITY", 1)
    assert renamed != lines[0]
    quads = store.quad_count()
    result = load_file(store, _same_name(tmp_path, ETR, "".join([*lines, renamed])), "ods-etr")
    assert result.status == "rejected"
    hits = [f for f in result.report.findings if "one name in a vintage" in f.rule]
    assert hits and all(f.file == ETR.name and f.row for f in hits), result.report.text()
    assert store.quad_count() == quads
