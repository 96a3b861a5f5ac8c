"""The embedded sample carries the two real mergers the quickstart promises."""

from __future__ import annotations

from datetime import date

from service.geography.lookup import Lookup
from service.rdf.store import GraphStore


def test_sample_resolves_the_dorset_merger_and_the_pennine_split(sample_store: GraphStore) -> None:
    lookup = Lookup.from_store(sample_store)
    merged = lookup.lookup("RD3", "LRF", date(2021, 1, 1), "ODS_STATED")
    assert [r["code"] for r in merged.resolved] == ["R0D"]
    assert merged.resolved[0]["events"][0]["type"] == "Merger"
    split = lookup.lookup("RW6", "LRF", date(2022, 1, 1), "ODS_STATED")
    assert sorted(r["code"] for r in split.resolved) == ["R0A", "RM3"]
    assert split.split_weighting is not None
