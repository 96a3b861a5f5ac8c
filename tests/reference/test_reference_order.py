"""The reference read model does not depend on the order the store returns rows in: the same
graphs on disk and copied into memory (whose quads come back in another order) read as the same
reference, to the last bit of every share, the same names and the same evidence. Shares are
summed in list order and rounded to millionths by largest remainder, so a sum in another order
moved a millionth of a trust between two LRFs: a steward's predicted effect (read from one copy)
then differed from the applied one (read from the other)."""

from __future__ import annotations

import dataclasses

from service.rdf.store import GraphStore
from service.reference.areas import AreaIndex
from service.reference.placement import read_reference


def test_the_same_graphs_read_in_another_order_give_the_same_reference(
    national_store: GraphStore,
) -> None:
    on_disk = read_reference(GraphStore(national_store.path, read_only=True))
    in_memory = read_reference(national_store.copy_in_memory(current_only=True))
    for field in dataclasses.fields(on_disk):
        mine, theirs = getattr(on_disk, field.name), getattr(in_memory, field.name)
        assert mine, field.name  # not vacuous: every part of the reference holds something
        assert mine == theirs, field.name  # lists in the same order, floats to the bit


def test_area_names_do_not_depend_on_row_order(national_store: GraphStore) -> None:
    """An area that files name differently has the name stated with its latest listing."""
    on_disk = AreaIndex.build(GraphStore(national_store.path, read_only=True))
    in_memory = AreaIndex.build(national_store.copy_in_memory(current_only=True))
    assert {a.iri: a.name for a in on_disk.by_iri.values()} == {
        a.iri: a.name for a in in_memory.by_iri.values()
    }
    wigan = on_disk.find("E38000205")  # NHS Wigan Borough CCG (2018-2021), then a Sub-ICB location
    assert wigan is not None and wigan.name == "NHS Greater Manchester ICB - 02H"
