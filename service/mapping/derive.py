"""Named row derivations a mapping can ask for (`derive: {name: ...}`) before its entities apply.

A derivation turns source rows into the rows the entity rules read, for sources whose facts are
not one-per-row: aggregating LSOAs into LAD -> ICB shares, grouping successor pairs into events.
Each is a pure function of the rows and the mapping's options; rows keep the number of the first
source row they came from, so findings still point at the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from service.mapping.readers import Row
from service.mapping.spec import MappingError

# Options key under which the loader passes reference data a derivation asked for (see loader).
REFERENCE = "_reference"
VINTAGE = "_vintage"  # the vintage of the file being loaded (YYYY-MM-DD), or ""

Derivation = Callable[[Iterable[Row], dict[str, Any], Path], Iterator[Row]]
DERIVATIONS: dict[str, Derivation] = {}


def derivation(name: str) -> Callable[[Derivation], Derivation]:
    def register(fn: Derivation) -> Derivation:
        DERIVATIONS[name] = fn
        return fn

    return register


def apply(name: str, rows: Iterable[Row], options: dict[str, Any], base: Path) -> Iterator[Row]:
    if name not in DERIVATIONS:
        raise MappingError(f"unknown derivation {name!r}; known: {', '.join(sorted(DERIVATIONS))}")
    return DERIVATIONS[name](rows, options, base)


@derivation("distinct")
def distinct(rows: Iterable[Row], options: dict[str, Any], base: Path) -> Iterator[Row]:
    """One row per distinct value of the key columns (lookups repeat a parent per child)."""
    keys = options["keys"]
    seen: set[tuple[str, ...]] = set()
    for row in rows:
        key = tuple(row.values.get(k, "") for k in keys)
        if key not in seen:
            seen.add(key)
            yield row


# Geography derivations register themselves on import (kept in their own module).
# Joins of two lookups on their building blocks (CCG vintages -> regions) register on import.
from service.mapping import derive_blocks as _derive_blocks  # noqa: E402,F401
from service.mapping import derive_geo as _derive_geo  # noqa: E402,F401

# The ODS derivations (etrust sites, hospital lists, successions) register themselves on import.
from service.mapping import derive_ods  # noqa: E402, F401

# GP practice commissionings carried from the 2020 practice map (register on import).
from service.mapping import derive_practices as _derive_practices  # noqa: E402,F401
