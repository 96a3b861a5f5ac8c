"""The reference read model does not depend on the order the store returns rows in: the same
graphs on disk and copied into memory (whose quads come back in another order) read as the same
reference, to the last bit of every share, the same names and the same evidence. The graphs on
disk are read once, by the session's national snapshot (built in the on-disk order, saved with
the store and read back, as a server start reads it: tests/reference/test_saved_national.py
compares the saved and a fresh build); the copy is read here. Shares are
summed in list order and rounded to millionths by largest remainder, so a sum in another order
moved a millionth of a trust between two LRFs: a steward's predicted effect (read from one copy)
then differed from the applied one (read from the other)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from service.rdf.store import GraphStore
from service.reference.areas import AreaIndex
from service.reference.placement import read_reference


@pytest.fixture(scope="module")
def memory_copy(national_store: GraphStore) -> GraphStore:
    return national_store.copy_in_memory(current_only=True)


def test_the_same_graphs_read_in_another_order_give_the_same_reference(
    national_reference: Any, memory_copy: GraphStore
) -> None:
    on_disk = national_reference.lookup.placer.reference
    in_memory = read_reference(memory_copy)
    for field in dataclasses.fields(on_disk):
        mine, theirs = getattr(on_disk, field.name), getattr(in_memory, field.name)
        assert mine, field.name  # not vacuous: every part of the reference holds something
        assert mine == theirs, field.name  # lists in the same order, floats to the bit


def test_area_names_do_not_depend_on_row_order(
    national_reference: Any, memory_copy: GraphStore
) -> None:
    """An area that files name differently has the name stated with its latest listing."""
    on_disk = national_reference.areas
    in_memory = AreaIndex.build(memory_copy)
    assert {a.iri: a.name for a in on_disk.by_iri.values()} == {
        a.iri: a.name for a in in_memory.by_iri.values()
    }
    wigan = on_disk.find("E38000205")  # NHS Wigan Borough CCG (2018-2021), then a Sub-ICB location
    assert wigan is not None and wigan.name == "NHS Greater Manchester ICB - 02H"
