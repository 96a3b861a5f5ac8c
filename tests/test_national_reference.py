"""Real facts from the national reference files in ../shared/data."""

from __future__ import annotations

import pytest

from service.rdf.store import GraphStore

pytestmark = pytest.mark.national


def test_england_and_wales_have_42_lrfs(national_store: GraphStore) -> None:
    [row] = national_store.select(
        "SELECT (COUNT(DISTINCT ?lrf) AS ?n) WHERE { ?lrf a nhskg:LocalResilienceForum }"
    )
    assert row["n"] == 42


def test_birmingham_is_in_the_west_midlands_lrf(national_store: GraphStore) -> None:
    rows = national_store.select(
        # DISTINCT: the 2016, 2018 and 2019 lookups each state it, for consecutive periods.
        """SELECT DISTINCT ?name WHERE {
             ?m nhskg:memberArea ?lad ; nhskg:parentArea ?lrf .
             ?lad nhskg:gssCode "E08000025" . ?lrf a nhskg:LocalResilienceForum ; rdfs:label ?name .
           }"""
    )
    assert [r["name"] for r in rows] == ["West Midlands"]


def test_the_2016_trust_file_is_rejected_for_its_undated_rows(
    national_store: GraphStore, shared_data
) -> None:
    from service.loader import load_file

    before = national_store.quad_count()
    result = load_file(national_store, shared_data / "ods/etr-2016-01.csv", "ods-etr", dry_run=True)
    assert result.status == "rejected"
    assert {f.row for f in result.report.findings} == {240, 241}
    assert all("before this organisation opened" in f.rule for f in result.report.findings)
    assert national_store.quad_count() == before


def test_every_organisation_has_one_name_in_the_read_model(national_reference) -> None:  # type: ignore[no-untyped-def]
    """The placement facts (the steward queue's labels) and the organisation index name each
    organisation alike: the newest ODS record's name, whatever order the store returns rows
    in (trusts renamed between vintages have several names in the graph)."""
    placed = national_reference.lookup.placer.reference.organisations
    index = national_reference.organisations
    renamed = [o for o in index.by_code.values() if len(o.names) > 1 and o.code in placed]
    assert len(renamed) > 10
    differ = {
        code: (org.label, index.find(code).name)
        for code, org in placed.items()
        if index.find(code) is not None and org.label != index.find(code).name
    }
    assert differ == {}
