"""Copies of a test store that start as the original would: the graph (a consistent Oxigraph
backup) and the reference snapshot saved with it (service/reference/saved.py), so a copy of the
national store does not build its read model again (about a minute) while its graphs are the
original's. The snapshot's fingerprint is checked on every read, so a copy that is changed
afterwards builds a fresh one, as any store does."""

from __future__ import annotations

import shutil
from pathlib import Path

from service.rdf.store import GraphStore
from service.reference import reporters, saved, successions


def backup_store(source: GraphStore, target: Path) -> None:
    """Write a copy of `source` into the directory `target` (which must not exist yet)."""
    source._store.backup(str(target))
    for name in (saved.FILE_NAME, reporters.FILE_NAME, successions.FILE_NAME):
        snapshot = saved.snapshot_path(source, name)
        if snapshot is not None and snapshot.is_file():
            shutil.copyfile(snapshot, target / snapshot.name)


def copy_store(source: GraphStore, target: Path) -> GraphStore:
    """A writable copy of `source` in the directory `target`."""
    backup_store(source, target)
    return GraphStore(target)
