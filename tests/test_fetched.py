"""`fetched` (service/rollup/source.py): a result read CHUNK_ROWS at a time is the whole result,
in order, from a real DuckDB cursor (more rows than one chunk, exactly one chunk, none). A
cursor without fetchmany (Spark's) is read whole: tests/test_rollup_spark*.py run the engine,
which reads every roll-up through `fetched`, on Spark."""

from __future__ import annotations

import duckdb
import pytest

from service.rollup.source import CHUNK_ROWS, fetched


@pytest.mark.parametrize("count", [0, CHUNK_ROWS, 3 * CHUNK_ROWS + 7])
def test_every_row_in_order(count: int) -> None:
    con = duckdb.connect()
    query = "SELECT i, 'r' || i AS name FROM range(?) t(i) ORDER BY i"
    assert fetched(con.execute(query, [count])) == con.execute(query, [count]).fetchall()
    assert len(fetched(con.execute(query, [count]))) == count
