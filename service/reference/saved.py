"""The reference snapshot saved with the store, so a server start reads it instead of building it.

Building the read model of the national reference graph takes about a minute (SPARQL over
750,000 quads); reading it back takes about a second. The saved file is one pickle of whatever
object the builder returns, written beside the graph (`STORE/nhskg-reference.snapshot`) and
keyed by a fingerprint of

- the store's current graphs, each with the time its write was recorded (a load, a change-set
  apply or revert changes the set or a time; a replaced graph is retired, so it leaves the set),
- the ontology graph's content (a changed ontology file or `NHSKG_ONTOLOGY_EXTRA`),
- the code that builds the snapshot (every module of the `service` package) and `FORMAT`.

A file whose fingerprint differs, or whose content does not match the digest written with it
(truncated, corrupt), is never used: the snapshot is built again and saved in its place.
The live store is not part of the file: objects that hold it get this process's store back.

    >>> # ref = load_or_build(store, ReferenceData.build)   # ReferenceData.current(store)
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

import pyoxigraph as ox

from service.faults import pause_point
from service.rdf.store import GraphStore
from service.rdf.terms import GRAPH, ONTOLOGY_GRAPH, ROOT

# The graphs of return loads and of values reported by area (their loaders name them so). They
# hold datasets, publications, batch provenance and the unregistered providers a return names,
# nothing else (tests/reference/test_reporters.py checks real loads): reads that provably
# ignore them leave them out of their key (`leaving_out`), so a returns load keeps them.
NUMBERS_GRAPHS = (str(GRAPH["returns/"]), str(GRAPH["areas/"]))
# Bump when the file layout changes (the code digest already covers the classes' own changes).
FORMAT = 1
FILE_NAME = "nhskg-reference.snapshot"
MAGIC = b"nhskg-reference-snapshot\n"
# A scratch file this old is a save that was killed, not one in progress (a save takes seconds).
STALE_SCRATCH_SECONDS = 600.0
_STORE_ID = "nhskg-live-store"  # a pickle persistent id, not an ontology term

log = logging.getLogger(__name__)
T = TypeVar("T")


class SnapshotUnusable(Exception):
    """A saved snapshot that must not be read (absent, stale, truncated, corrupt); says which."""


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of every module of the `service` package: a snapshot written by other code is
    never read back into classes that may have changed shape."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version_info[:2]}".encode())
    package = ROOT / "service"
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprint(store: GraphStore, *, leaving_out: tuple[str, ...] = ()) -> str:
    """What the snapshot of `store` depends on: its current graphs with their write times, the
    ontology graph's content and the code (see the module docstring). `leaving_out`: prefixes
    of graphs a snapshot provably does not read (NUMBERS_GRAPHS)."""
    digest = hashlib.sha256(code_digest().encode())
    written = store.written_at()
    for graph in store.current_graphs():
        if graph.startswith(leaving_out):
            continue
        stamp = written.get(graph)
        digest.update(f"{graph} {stamp.isoformat() if stamp else '-'}\n".encode())
    ontology = ox.NamedNode(str(ONTOLOGY_GRAPH))
    # Blank node labels differ between parses of the same file: write them all as one label.
    lines = sorted(
        " ".join("_:b" if isinstance(t, ox.BlankNode) else str(t) for t in (q.subject, q.object))
        + " "
        + str(q.predicate)
        for q in store._store.quads_for_pattern(None, None, None, ontology)
    )
    digest.update("\n".join(lines).encode())
    return digest.hexdigest()


def snapshot_path(store: GraphStore, name: str = FILE_NAME) -> Path | None:
    """Where the store's snapshot (or another saved read, by file name) is saved; None for an
    in-memory store."""
    return store.path / name if store.path is not None else None


def current_key(store: GraphStore) -> str | None:
    """The store's current fingerprint when the saved snapshot's header names it, else None (the
    header only is read; `load` checks the content's digest too)."""
    path = snapshot_path(store)
    if path is None or not path.is_file():
        return None
    with path.open("rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            return None
        try:
            saved = json.loads(handle.readline())["fingerprint"]
        except (ValueError, KeyError, TypeError):
            return None
    key = fingerprint(store)
    return key if saved == key else None


def saved_is_current(store: GraphStore) -> bool:
    """Whether the saved snapshot is the one of the store's current graphs and code."""
    return current_key(store) is not None


def has_saved(store: GraphStore) -> bool:
    """True when a snapshot (current or not) is saved with the store."""
    path = snapshot_path(store)
    return path is not None and path.is_file()


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, store: GraphStore) -> None:
        super().__init__(file, protocol=5)
        self.store = store

    def persistent_id(self, obj: Any) -> str | None:
        return _STORE_ID if obj is self.store else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, store: GraphStore) -> None:
        super().__init__(file)
        self.store = store

    def persistent_load(self, pid: Any) -> Any:
        if pid != _STORE_ID:
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        return self.store


def dumps(snapshot: object, store: GraphStore) -> bytes:
    """The snapshot as bytes, without `store` (every reference to it is written as a mark)."""
    buffer = io.BytesIO()
    _Pickler(buffer, store).dump(snapshot)
    return buffer.getvalue()


def loads(payload: bytes, store: GraphStore) -> Any:
    """A snapshot from `dumps`, its references to a store pointing at `store`."""
    return _Unpickler(io.BytesIO(payload), store).load()


def save(store: GraphStore, snapshot: object, key: str, name: str = FILE_NAME) -> Path:
    """Write the snapshot of `store` under `key` (its fingerprint when it was built)."""
    return write(store, dumps(snapshot, store), key, name)


def write(store: GraphStore, payload: bytes, key: str, name: str = FILE_NAME) -> Path:
    """Write a snapshot's bytes under `key`, atomically: a reader sees the old file or the new
    one, never half of one."""
    path = snapshot_path(store, name)
    if path is None:
        raise ValueError("an in-memory store has nowhere to save a snapshot")
    header = {
        "fingerprint": key,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "bytes": len(payload),
    }
    remove_stale_scratch(path)
    handle, scratch = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(MAGIC + json.dumps(header).encode() + b"\n")
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(scratch, 0o644)  # as the store's own files (mkstemp makes it private)
        pause_point("snapshot-staged")  # crash tests: written in full, not yet in place
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
    return path


def remove_stale_scratch(path: Path, older_than: float = STALE_SCRATCH_SECONDS) -> list[Path]:
    """Remove the scratch files of saves killed before they finished (a save takes seconds, so
    one untouched for `older_than` seconds is no other process's save in progress)."""
    now = time.time()
    stale = [
        p for p in path.parent.glob(f"{path.name}.*.tmp") if now - p.stat().st_mtime > older_than
    ]
    for scratch in stale:
        scratch.unlink(missing_ok=True)
    return stale


def load(store: GraphStore, key: str, name: str = FILE_NAME) -> Any:
    """The snapshot saved under `key`; SnapshotUnusable (with the reason) when there is none, it
    was saved for other graphs or code, or its content does not match its digest."""
    path = snapshot_path(store, name)
    if path is None or not path.is_file():
        raise SnapshotUnusable("no saved snapshot")
    with path.open("rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise SnapshotUnusable(f"{path} is not a reference snapshot")
        try:
            header = json.loads(handle.readline())
            saved_key, digest, size = header["fingerprint"], header["sha256"], header["bytes"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SnapshotUnusable(f"{path} has a broken header") from exc
        if saved_key != key:
            raise SnapshotUnusable("saved for other graphs or code (stale)")
        payload = handle.read()
    if len(payload) != size or hashlib.sha256(payload).hexdigest() != digest:
        raise SnapshotUnusable(f"{path} is truncated or corrupt (digest mismatch)")
    try:
        return loads(payload, store)
    except Exception as exc:  # a digest match makes this unlikely; never fail a start on it
        raise SnapshotUnusable(f"{path} could not be read: {exc}") from exc


def load_or_build(
    store: GraphStore,
    build: Callable[[GraphStore], T],
    name: str = FILE_NAME,
    leaving_out: tuple[str, ...] = (),
) -> T:
    """The saved snapshot of the store's current graphs if there is a usable one, else
    `build(store)`, saved for the next start when the store is on disk and writable (a store
    opened read-only is never written to). `name` and `leaving_out`: another read saved the
    same way (its file, and the graphs it does not depend on)."""
    if store.path is None:  # in memory, or a remote store: nowhere to save it
        return build(store)
    key = fingerprint(store, leaving_out=leaving_out)
    try:
        found = load(store, key, name)
    except SnapshotUnusable as why:
        log.info("building %s: %s", name, why)
    else:
        return cast(T, found)
    snapshot = build(store)
    if not store.read_only and fingerprint(store, leaving_out=leaving_out) == key:
        # Unchanged while it was built (another process may write the store meanwhile). A save
        # that fails (a full disk, an object that cannot be pickled) costs the next start the
        # build; it never fails this one.
        try:
            save(store, snapshot, key, name)
        except Exception as exc:
            log.warning("%s was not saved: %s", name, exc)
    return snapshot
