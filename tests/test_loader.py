"""Loading through mappings: the happy path, idempotence, and rejection that changes nothing."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.loader import load_file
from service.rdf.store import GraphStore


def quads(store: GraphStore) -> set[str]:
    return {str(q) for q in store._store}


@pytest.fixture
def lrf_store(memory_store: GraphStore, sample_dir: Path) -> GraphStore:
    assert load_file(memory_store, sample_dir / "ons/256_LRF19_EW_NC.csv", "ons-lrf-names").ok
    return memory_store


def test_reloading_the_same_file_changes_nothing(lrf_store: GraphStore, sample_dir: Path) -> None:
    before = quads(lrf_store)
    result = load_file(lrf_store, sample_dir / "ons/256_LRF19_EW_NC.csv", "ons-lrf-names")
    assert result.status == "unchanged"
    assert quads(lrf_store) == before


def test_the_same_file_through_a_changed_mapping_is_loaded_again(
    lrf_store: GraphStore, sample_dir: Path, tmp_path: Path
) -> None:
    """ "unchanged" means the same file read by the same mapping: after a mapping changes, the
    file's graph is replaced (history kept), not skipped."""
    from service.loader import current_graphs, graph_key
    from service.mapping.spec import MAPPINGS_DIR, load_mapping

    changed = tmp_path / "ons-lrf-names.yaml"
    changed.write_text((MAPPINGS_DIR / "ons-lrf-names.yaml").read_text() + "\n# revised\n")
    source = sample_dir / "ons/256_LRF19_EW_NC.csv"
    key = graph_key(load_mapping("ons-lrf-names"), source, None)
    [before] = current_graphs(lrf_store, key)
    result = load_file(lrf_store, source, str(changed))
    assert result.status == "loaded", result.report.text()
    assert current_graphs(lrf_store, key) == [result.graph] != [before]
    assert load_file(lrf_store, source, str(changed)).status == "unchanged"


def test_load_records_provenance(lrf_store: GraphStore) -> None:
    rows = lrf_store.select("""
        SELECT ?file ?sha ?rows ?mapping WHERE {
          ?g a nhskg:LoadedGraph ; prov:wasGeneratedBy ?load .
          ?load nhskg:mapping ?mapping ; nhskg:rowCount ?rows ; prov:used ?src .
          ?src nhskg:fileName ?file ; nhskg:sha256 ?sha .
        }""")
    assert rows == [
        {
            "file": "256_LRF19_EW_NC.csv",
            "sha": rows[0]["sha"],
            "rows": 42,
            "mapping": "ons-lrf-names",
        }
    ]
    assert len(rows[0]["sha"]) == 64


def test_unknown_column_layout_is_rejected(lrf_store: GraphStore, tmp_path: Path) -> None:
    bad = tmp_path / "lrf.csv"
    bad.write_text("FID,CODE,NAME\n1,E48000001,Avon\n")
    before = quads(lrf_store)
    result = load_file(lrf_store, bad, "ons-lrf-names")
    assert result.status == "rejected"
    [finding] = result.report.findings
    assert (finding.file, finding.row) == ("lrf.csv", 1)
    assert "missing LRF19CD" in finding.rule
    assert quads(lrf_store) == before


def test_invalid_code_is_rejected_with_its_place(lrf_store: GraphStore, tmp_path: Path) -> None:
    bad = tmp_path / "lrf.csv"
    bad.write_text("FID,LRF19CD,LRF19NM\n1,E48000001,Avon\n2,X4800002,Nowhere\n")
    before = quads(lrf_store)
    result = load_file(lrf_store, bad, "ons-lrf-names")
    assert result.status == "rejected"
    assert [(f.row, f.column, f.value) for f in result.report.findings] == [
        (3, "LRF19CD", "X4800002"),
        (3, "LRF19CD", "X4800002"),
    ]
    assert all(f.shape and f.shape.endswith("Shape") for f in result.report.findings)
    assert quads(lrf_store) == before


def test_overlapping_membership_is_rejected(
    lrf_store: GraphStore, sample_dir: Path, tmp_path: Path
) -> None:
    assert load_file(lrf_store, sample_dir / "ons/132_LAD19_LRF19_EW_LU.csv", "ons-lad-lrf").ok
    # A second lookup that puts Birmingham in another LRF over the same period.
    bad = tmp_path / "lad_lrf_2.csv"
    bad.write_text("FID,LAD19CD,LAD19NM,LRF19CD,LRF19NM\n1,E08000025,Birmingham,E48000017,Kent\n")
    # The mapping reads the LAD code history next to its source file.
    shutil.copy(sample_dir / "ons/lookup_ltla_ltla.csv", tmp_path)
    before = quads(lrf_store)
    result = load_file(lrf_store, bad, "ons-lad-lrf", vintage="2019-12-01")
    assert result.status == "rejected"
    rules = {f.rule for f in result.report.findings}
    assert any("overlaps another" in r for r in rules), rules
    assert any(f.file == "lad_lrf_2.csv" and f.row == 2 for f in result.report.findings)
    assert quads(lrf_store) == before


def test_a_newer_file_replaces_the_old_graph_and_history_keeps_it(
    memory_store: GraphStore, tmp_path: Path
) -> None:
    names = "SELECT ?name WHERE { ?lrf a nhskg:LocalResilienceForum ; rdfs:label ?name }"
    v1 = tmp_path / "lrf.csv"
    v1.write_text("FID,LRF19CD,LRF19NM\n1,E48000001,Avon and Somerset\n")
    assert load_file(memory_store, v1, "ons-lrf-names").status == "loaded"
    first_known = datetime.now(UTC)
    v1.write_text("FID,LRF19CD,LRF19NM\n1,E48000001,Avon & Somerset\n")
    result = load_file(memory_store, v1, "ons-lrf-names")
    assert result.status == "loaded"
    assert memory_store.select(names) == [{"name": "Avon & Somerset"}]
    earlier = memory_store.known_at(first_known)
    assert memory_store.select(names, graphs=earlier) == [{"name": "Avon and Somerset"}]
    assert len(memory_store.retired_graphs()) == 1
