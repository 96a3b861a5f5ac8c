"""What the roll-up reads its numbers from: a store of the numbers tables that answers SQL
written in DuckDB's dialect with `?` parameters. The numbers store (DuckDB, the embedded default,
service/returns/numbers.py) runs it as written; the Spark numbers (service/rollup/spark.py) run
the same text transpiled by SQLGlot. The roll-up's SQL is written once (service/rollup/engine.py).
"""

from __future__ import annotations

from typing import Any, Protocol


class Cursor(Protocol):
    """One reader's cursor: execute a query with bound parameters, then fetch its rows."""

    def execute(self, query: str, parameters: Any = ...) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def close(self) -> None: ...


class NumbersSource(Protocol):
    """The tables the roll-up reads: `values` and `reporters` are table expressions (the
    latest releases, or as known on a day), org_area is read by name."""

    @property
    def values(self) -> str: ...

    @property
    def reporters(self) -> str: ...

    def reader(self) -> Any: ...


# Rows converted to Python objects at a time by `fetched`.
CHUNK_ROWS = 1024


def fetched(cursor: Any) -> list[Any]:
    """Every row of the cursor's result, converted CHUNK_ROWS at a time. DuckDB holds the GIL
    while it converts rows to Python objects; in chunks, the event loop (which needs the GIL
    to answer a lookup) waits for one chunk at most, not for a whole result of thousands of
    rows (tens of milliseconds). A cursor without fetchmany (Spark's) fetches all at once."""
    fetch = getattr(cursor, "fetchmany", None)
    if fetch is None:
        return list(cursor.fetchall())
    rows: list[Any] = []
    while chunk := fetch(CHUNK_ROWS):
        rows.extend(chunk)
    return rows
