"""The server's heap: the reference snapshot is about a million long-lived objects (national
data), which Python's cyclic garbage collector would otherwise walk on every full collection.

Measured under the mixed load (README, "Performance"): full collections ran 17-21 times a minute
at about 1 s each. `nhskg serve` therefore freezes everything alive once the app is built
(`gc.freeze`: the collector no longer walks those objects; reference counting still frees them)
and makes full collections rarer (every FULL_AFTER collections of the middle generation, not
10), since after a freeze the collector's own rule would run one every few seconds. When the
snapshot is replaced (a steward change), the old one is released through `replaced`: unfrozen,
collected, and what is still alive frozen again, so a replaced snapshot's reference cycles are
not kept for ever.
"""

from __future__ import annotations

import gc

FULL_AFTER = 1000  # collections of generation 1 between two of generation 2 (Python: 10)
_frozen = False


def freeze_long_lived() -> None:
    """Collect once, then freeze what is alive (the app, its snapshot and indexes)."""
    global _frozen
    gc.collect()
    gc.freeze()
    first, second, _ = gc.get_threshold()
    gc.set_threshold(first, second, FULL_AFTER)
    _frozen = True


def replaced() -> None:
    """Long-lived objects were replaced (a new reference snapshot): when frozen, unfreeze,
    collect the old ones' cycles and freeze again. A full collection: about a second on the
    national data, paid once per steward change."""
    if _frozen:
        gc.unfreeze()
        gc.collect()
        gc.freeze()


def grown() -> None:
    """Long-lived objects were added (a geography type's lookups worked out: hundreds of
    thousands of timeline objects nationally): when frozen, freeze them too. No collection: a
    freeze moves the tracked objects aside at once, where a collection would walk them all
    (1.9 s once, measured after every type was warm: every request waited)."""
    if _frozen:
        gc.freeze()
