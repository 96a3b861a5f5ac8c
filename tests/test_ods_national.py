"""The ODS site and succession files as loaded into the national store: nothing dropped silently."""

from __future__ import annotations

import csv
import gzip
import io
import re
from pathlib import Path

import pytest

from service.rdf.store import GraphStore

pytestmark = pytest.mark.national

LOAD_NOTES = """
SELECT ?mapping ?rows ?note WHERE {
    ?load nhskg:mapping ?mapping ; nhskg:rowCount ?rows .
    OPTIONAL { ?load nhskg:skipNote ?note }
}
"""


def notes(store: GraphStore, mapping: str) -> tuple[int, dict[str, int]]:
    rows = store.select(LOAD_NOTES, mapping=mapping)
    counted = {}
    for r in rows:
        if r["note"]:
            match = re.match(r"(\d+) row\(s\) (skipped|loaded in part): (.*)", r["note"])
            assert match, r["note"]
            counted[f"{match[2]}: {match[3]}"] = int(match[1])
    return rows[0]["rows"], counted


def test_every_etrust_site_is_loaded_but_the_one_without_its_trust(
    national_store: GraphStore, shared_data: Path
) -> None:
    text = gzip.decompress((shared_data / "ods/etrust-2018-09.csv.gz").read_bytes())
    codes = [r[0] for r in csv.reader(io.StringIO(text.decode("latin-1")))]
    sites = {c for c in codes if len(c) == 5}
    loaded = {
        r["code"]
        for r in national_store.select(
            """SELECT ?code WHERE {
                 ?op nhskg:statedOn "2018-09-01"^^xsd:date ;
                     nhskg:operatedSite/nhskg:odsCode ?code .
                 FILTER (CONTAINS(STR(?op), "/site-operation/ods-etrust/")) }"""
        )
    }
    assert sites - loaded == {"RERRK"}
    rows, counted = notes(national_store, "ods-etrust")
    assert rows == len(codes)
    assert list(counted.values()) == [1] and "does not list" in next(iter(counted))


def test_succession_rows_are_all_accounted_for(national_store: GraphStore) -> None:
    rows, counted = notes(national_store, "ods-succ")
    used = national_store.select(
        """SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?e ?o ?r WHERE {
             ?e org:originalOrganization ?o ; org:resultingOrganization ?r ;
                nhskg:effectiveDate ?d } }"""
    )[0]["n"]
    skipped = sum(n for reason, n in counted.items() if reason.startswith("skipped"))
    assert rows == 11_537
    # Every source row is either skipped with a reason or is one of the loaded pairs (the
    # archived file adds no pair of its own among the trusts).
    assert rows - skipped == used
    assert any("CCG, GP practice" in reason for reason in counted)


def test_hospital_lists_keep_coordinates_per_vintage(national_store: GraphStore) -> None:
    rows = national_store.select(
        """SELECT DISTINCT ?vintage ?lat ?parent WHERE {
             ?r nhskg:siteRecordOf/nhskg:odsCode "RD304" ; nhskg:vintage ?vintage ;
                nhskg:latitude ?lat ; nhskg:statedParentCode ?parent } ORDER BY ?vintage"""
    )
    assert [(str(r["vintage"]), r["parent"]) for r in rows] == [
        ("2018-09-01", "RD3"),
        ("2023-06-01", "RD3"),
    ]
    assert all(50 < float(r["lat"]) < 51 for r in rows)
