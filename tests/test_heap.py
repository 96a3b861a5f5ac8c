"""The server's heap (service/heap.py), in a real child process (the collector is the
process's own): after `freeze_long_lived` the objects alive then are out of the collector's
reach and full collections are rarer; when long-lived objects are `replaced`, a reference cycle
that was frozen and then dropped is collected (without that step it would be kept for ever)."""

from __future__ import annotations

import textwrap

from service.heap import FULL_AFTER
from tests.support.child import run_child

CHILD = textwrap.dedent(
    """
    import gc, sys, weakref
    from service import heap

    class Node:
        pass

    def cycle():
        a, b = Node(), Node()
        a.other, b.other = b, a
        return a

    kept, dropped = cycle(), cycle()
    watch = weakref.ref(dropped)
    heap.freeze_long_lived()
    frozen, threshold = gc.get_freeze_count(), gc.get_threshold()[2]
    del dropped
    gc.collect()
    still_there = watch() is not None  # frozen: the collector does not look at it
    heap.replaced()
    print(frozen, threshold, still_there, watch() is None, kept.other.other is kept)
    """
)


def test_the_heap_is_frozen_and_a_replaced_cycle_is_collected() -> None:
    stdout = run_child(CHILD)
    frozen, threshold, still_there, collected, kept = stdout.split()
    assert int(frozen) > 1000 and int(threshold) == FULL_AFTER
    assert still_there == "True"  # what the freeze does to garbage it holds
    assert collected == "True"  # released by `replaced`
    assert kept == "True"  # the live cycle survives


GROWN = textwrap.dedent(
    """
    import gc
    from service import heap

    heap.grown()  # not frozen yet: nothing happens
    before = gc.get_freeze_count()
    heap.freeze_long_lived()
    frozen = gc.get_freeze_count()
    timelines = [[n] for n in range(50_000)]  # what warming a geography type adds
    heap.grown()
    print(before, frozen, gc.get_freeze_count() - frozen)
    """
)


def test_objects_kept_after_the_freeze_are_frozen_too() -> None:
    """Lookups worked out after start-up (every geography type, nationally) are long-lived too:
    `grown` freezes them, so no full collection walks them (one took 1.9 s, every request
    waiting, in the mixed-load bench)."""
    before, frozen, added = map(int, run_child(GROWN).split())
    assert before == 0 and frozen > 1000
    assert added >= 50_000
