"""A regional scope covers the areas the graph places in its region (ScopeIndex.areas_in), and
a load of values by area that places new areas widens it on the next request: the index notices
the write (NumbersStore.placement_writes) without asking the database per request, whichever
NumbersStore object of the same file wrote it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.access.policy import ScopeIndex
from service.access.principal import ScopeItem
from service.rdf.store import GraphStore
from service.reference import ReferenceData
from service.reference.placement import read_reference
from service.returns.area_load import load_area_file
from service.returns.numbers import NumbersStore

SOUTH_WEST, NORTH_WEST = "E40000006", "E40000010"  # ODS Y58, Y62
REGIONS = {"South West": SOUTH_WEST, "North West": NORTH_WEST}


def _load(store: GraphStore, numbers: NumbersStore, folder: Path, names: list[str]) -> None:
    """A slice of the UKHSA admissions by age (NHS regions) with one record per region named."""
    records = [
        {"areaType": "nhsRegion", "areaName": name, "date": "2020-12-21",
         "cumAdmissionsByAge": [{"age": "85+", "rate": 1.0, "value": 10 + i}]}
        for i, name in enumerate(names)
    ]  # fmt: skip
    path = folder / f"admissions-by-age-nhsregion-release-2020-12-2{len(names)}.json"
    path.write_text(json.dumps({"data": records}))
    result = load_area_file(store, numbers, path, read_reference(store))
    assert result.status == "loaded", result.report.findings


def test_a_load_of_area_values_widens_a_regional_scope_on_the_next_request(
    sample_store: GraphStore, tmp_path: Path
) -> None:
    store = sample_store.copy_in_memory()
    path = tmp_path / "numbers.duckdb"
    writer, reader = NumbersStore(path), NumbersStore(path)  # two objects, one database
    index = ScopeIndex(ReferenceData.build(store), reader)
    south_west, north_west = (ScopeItem("region", "Y58"),), (ScopeItem("region", "Y62"),)
    assert SOUTH_WEST not in index.resolve(south_west).codes
    writes = reader.placement_writes()
    _load(store, writer, tmp_path, ["South West"])
    assert reader.placement_writes() > writes
    assert SOUTH_WEST in index.resolve(south_west).codes
    assert NORTH_WEST not in index.resolve(north_west).codes
    _load(store, writer, tmp_path, ["South West", "North West"])
    assert NORTH_WEST in index.resolve(north_west).codes
    assert NORTH_WEST not in index.resolve(south_west).codes


def test_a_store_read_only_counts_no_writes(tmp_path: Path) -> None:
    path = tmp_path / "numbers.duckdb"
    NumbersStore(path).close()
    shared = NumbersStore(path, read_only=True)
    assert shared.placement_writes() == 0
    with pytest.raises(Exception, match="read-only"):
        shared.replace_rows("area_area", ["E40000006"], lambda: None)
    assert shared.placement_writes() == 0
