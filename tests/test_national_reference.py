"""Real facts from the national reference files in ../shared/data."""

from __future__ import annotations

import pytest

from service.store import GraphStore

pytestmark = pytest.mark.national


def test_england_and_wales_have_42_lrfs(national_store: GraphStore) -> None:
    [row] = national_store.select(
        "SELECT (COUNT(DISTINCT ?lrf) AS ?n) WHERE { ?lrf a nhskg:LocalResilienceForum }"
    )
    assert row["n"] == 42


def test_birmingham_is_in_the_west_midlands_lrf(national_store: GraphStore) -> None:
    rows = national_store.select(
        """SELECT ?lad ?name WHERE {
             ?m nhskg:memberArea ?lad ; nhskg:parentArea ?lrf .
             ?lad nhskg:gssCode "E08000025" . ?lrf a nhskg:LocalResilienceForum ; rdfs:label ?name .
           }"""
    )
    assert [r["name"] for r in rows] == ["West Midlands"]
