"""`python -m service.geography STORE_DIR OUT.duckdb [--force]`: build the organisation -> area
table from an on-disk store into DuckDB (only if the reference graphs changed), timing it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from service.geography.table import materialise
from service.rdf.store import GraphStore


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    store = GraphStore(Path(argv[0]), read_only=True)
    started = time.perf_counter()
    written = materialise(store, Path(argv[1]), force="--force" in argv)
    took = time.perf_counter() - started
    print("unchanged" if written is None else f"{written} rows", f"in {took:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
