"""Opening an on-disk store for writing: an earlier store of this process that only garbage
holds (a reference cycle, as an in-process CLI run leaves) does not block it; a store another
live object of this process holds still does, with the message a steward can act on."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from service.rdf.store import GraphStore, GraphStoreBusy


def test_a_store_only_garbage_holds_does_not_block_a_writer(tmp_path: Path) -> None:
    gc.disable()  # the cycle below stays until a collection, as it may in a long process
    try:
        first: Any = GraphStore(tmp_path / "store")
        cycle: dict[str, Any] = {"store": first}
        cycle["self"] = cycle
        del first, cycle
        again = GraphStore(tmp_path / "store")
        assert again.quad_count() >= 0
        again.close()
    finally:
        gc.enable()


def test_a_live_store_still_blocks_a_writer_with_a_clear_message(tmp_path: Path) -> None:
    held = GraphStore(tmp_path / "store")
    with pytest.raises(GraphStoreBusy, match="in use by another process"):
        GraphStore(tmp_path / "store")
    held.close()
