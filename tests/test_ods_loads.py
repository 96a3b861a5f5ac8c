"""ODS site and succession mappings on small fixture files: rejection with the report and an
unchanged store, and skips that are counted with their reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.loader import load_file
from service.rdf.store import GraphStore


def quads(store: GraphStore) -> set[str]:
    return {str(q) for q in store._store}


@pytest.fixture
def trust_store(memory_store: GraphStore, sample_dir: Path) -> GraphStore:
    """The sample trusts (South West and North West: RD3, RDZ, R0D, RW6, RM3, R0A...)."""
    assert load_file(memory_store, sample_dir / "ods/etr-2026-07.csv", "ods-etr").ok
    return memory_store


def test_successions_are_grouped_typed_and_skips_counted(
    trust_store: GraphStore, tmp_path: Path
) -> None:
    succ = tmp_path / "succ.csv"
    succ.write_text(
        '"RD3","R0D","","20201001","0"\n"RDZ","R0D","","20201001","0"\n'
        '"RW6","RM3","","20211001","0"\n"RW6","R0A","","20211001","0"\n'
        '"03A","X2C4Y","","20210401","0"\n"4NT23","4NT23","","20000401","0"\n'
    )
    result = load_file(trust_store, succ, "ods-succ")
    assert result.status == "loaded", result.report.text()
    assert sum(result.skipped.values()) == 2
    assert any("CCG" in reason for reason in result.skipped)
    assert any("succeeding itself" in reason for reason in result.skipped)
    rows = trust_store.select(
        """SELECT ?type (COUNT(DISTINCT ?o) AS ?n) WHERE {
             ?e a ?type ; org:originalOrganization ?o ; nhskg:typeBasis nhskg:InferredType .
             FILTER (?type IN (nhskg:Merger, nhskg:Split)) } GROUP BY ?type ORDER BY ?type"""
    )
    assert [(r["type"].rsplit("#")[-1], r["n"]) for r in rows] == [("Merger", 2), ("Split", 1)]
    notes = trust_store.select("SELECT ?note WHERE { ?load nhskg:skipNote ?note }")
    assert len(notes) == 2


def test_the_archived_file_names_the_same_event(trust_store: GraphStore, tmp_path: Path) -> None:
    current = tmp_path / "succ.csv"
    current.write_text('"RD3","R0D","","20201001","0"\n"RDZ","R0D","","20201001","0"\n')
    archived = tmp_path / "archived.csv"
    # RD3 closed 2020-09-30: the archived style dates the succession on that last day.
    archived.write_text("old_code,new_code,date\nRD3,R0D,2020-09-30\nRDZ,R0D,2020-10-01\n")
    assert load_file(trust_store, archived, "ods-succ-archived").ok
    assert load_file(trust_store, current, "ods-succ").ok
    rows = trust_store.select(
        """SELECT DISTINCT ?e ?d ?also WHERE {
             ?e nhskg:effectiveDate ?d OPTIONAL { ?e nhskg:alsoDatedOn ?also } }"""
    )
    assert len(rows) == 1
    assert str(rows[0]["d"]) == "2020-10-01" and str(rows[0]["also"]) == "2020-09-30"


def test_a_succession_cycle_is_rejected_and_nothing_is_written(
    trust_store: GraphStore, tmp_path: Path
) -> None:
    cycle = tmp_path / "succ-cycle.csv"
    cycle.write_text('"RD3","R0D","","20201001","0"\n"R0D","RD3","","20210101","0"\n')
    before = quads(trust_store)
    result = load_file(trust_store, cycle, "ods-succ")
    assert result.status == "rejected"
    assert any("cycle" in f.rule for f in result.report.findings)
    assert {f.file for f in result.report.findings} == {"succ-cycle.csv"}
    assert quads(trust_store) == before


def test_unknown_succession_layout_is_rejected(trust_store: GraphStore, tmp_path: Path) -> None:
    bad = tmp_path / "succ.csv"
    bad.write_text('"RD3","R0D","20201001"\n')
    before = quads(trust_store)
    result = load_file(trust_store, bad, "ods-succ")
    assert result.status == "rejected"
    [finding] = result.report.findings
    assert (finding.file, finding.row) == ("succ.csv", 1)
    assert "3 columns; this layout has 5" in finding.rule
    assert quads(trust_store) == before


HEADER = (
    "OrganisationID,OrganisationCode,OrganisationType,SubType,Sector,OrganisationStatus,"
    "IsPimsManaged,OrganisationName,Address1,Address2,Address3,City,County,Postcode,Latitude,"
    'Longitude,ParentODSCode,ParentName,Phone,Email,Website,"Fax,,,"\n'
)


def hospital(index: int, code: str, parent: str, name: str, lat: str = "50.72") -> str:
    return (
        f"{index},1,{code},Hospital,Hospital,NHS Sector,Visible,True,{name},,,,Poole,Dorset,"
        f'BH15 2JB,{lat},-1.97,{parent},Parent,,,,",,,"\n'
    )


def test_invalid_site_code_is_rejected_with_its_place(
    trust_store: GraphStore, tmp_path: Path
) -> None:
    bad = tmp_path / "hospitals-2023-06.csv"
    bad.write_text(HEADER + hospital(0, "RD304", "RD3", "Poole") + hospital(1, "RD3-4", "RD3", "X"))
    before = quads(trust_store)
    result = load_file(trust_store, bad, "nhs-hospitals-2023")
    assert result.status == "rejected"
    assert {(f.row, f.column, f.value) for f in result.report.findings} == {
        (3, "OrganisationCode", "RD3-4")
    }
    assert quads(trust_store) == before


def test_stale_parent_loads_as_stated_and_is_counted(
    trust_store: GraphStore, tmp_path: Path
) -> None:
    ok = tmp_path / "hospitals-2023-06.csv"
    ok.write_text(
        HEADER + hospital(0, "RD304", "RD3", "Poole") + hospital(1, "NDA07", "NDA", "Walton")
    )
    result = load_file(trust_store, ok, "nhs-hospitals-2023")
    assert result.status == "loaded", result.report.text()
    assert any("stale" in reason for reason in result.notes)
    assert any("independent-sector" in reason for reason in result.notes)
    [row] = trust_store.select(
        """SELECT ?from ?to WHERE { ?op nhskg:operatedSite/nhskg:odsCode "RD304" ;
             nhskg:operator/nhskg:odsCode "RD3" ; nhskg:validFrom ?from ; nhskg:validTo ?to }"""
    )
    assert str(row["from"]) == str(row["to"]) == "2023-06-01"


def test_out_of_range_latitude_is_rejected(trust_store: GraphStore, tmp_path: Path) -> None:
    bad = tmp_path / "hospitals-2023-06.csv"
    bad.write_text(HEADER + hospital(0, "RD304", "RD3", "Poole", lat="5072"))
    result = load_file(trust_store, bad, "nhs-hospitals-2023")
    assert [(f.row, f.column, f.value) for f in result.report.findings] == [(2, "Latitude", "5072")]


def test_row_count_is_of_source_rows_not_derived_ones(
    trust_store: GraphStore, tmp_path: Path
) -> None:
    succ = tmp_path / "succ.csv"
    succ.write_text('"RD3","R0D","","20201001","0"\n"RDZ","R0D","","20201001","0"\n')
    assert load_file(trust_store, succ, "ods-succ").rows == 2
