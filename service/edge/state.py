"""What the lookup edge must know of the main process, published by the main process in one file.

The file holds a generation (a new one per publication), the fingerprint of the reference
snapshot the main process answers from (saved with the store: the edge loads the same one) and
the grants (the policy's per-request check of a token's grant). The main process publishes at
start and again, before answering, after every change to either: a steward's change set (the
reference refreshed) or an approver's decision or revocation (the front door refreshed). The
write is atomic (a new file renamed over the old), so a reader sees one publication or the next.

The edge compares the file's identity (one `stat`, about a microsecond) with the publication it
has loaded before each lookup it answers; while they differ it hands the lookup to the main
process, which is always current. So a lookup sent after a change was answered sees the change
(or its grant's revocation), whichever process answers it.
"""

from __future__ import annotations

import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path

from service.access.frontdoor import FrontDoor, Grant
from service.rdf.store import GraphStore
from service.reference import ReferenceData
from service.reference.saved import current_key

FILE_NAME = "edge-state.pickle"


@dataclass(frozen=True)
class Publication:
    generation: int
    snapshot_key: str | None  # None: no saved snapshot is the main one (the edge forwards all)
    grants: dict[str, Grant]


@dataclass(frozen=True)
class Identity:
    """A publication file's identity: a rename makes a new inode, so any publication differs."""

    inode: int
    modified_ns: int
    size: int

    @classmethod
    def of(cls, path: Path) -> Identity | None:
        try:
            found = os.stat(path)
        except FileNotFoundError:
            return None
        return cls(found.st_ino, found.st_mtime_ns, found.st_size)


def read(path: Path) -> tuple[Identity | None, Publication | None]:
    """The publication in `path` with the identity it was read at (stat first: a publication
    made while reading shows as a new identity at the next check)."""
    identity = Identity.of(path)
    if identity is None:
        return None, None
    with path.open("rb") as handle:
        return identity, pickle.load(handle)


class Publisher:
    """The main process's side: writes a publication whenever the reference or the grants change
    (hooked to ReferenceData.refresh and FrontDoor.refresh by `attach`)."""

    def __init__(self, path: Path, store: GraphStore, reference: ReferenceData) -> None:
        self.path = path
        self.store = store
        self.reference = reference
        self.front_door: FrontDoor | None = None
        self.key: str | None = None

    def attach(self, front_door: FrontDoor | None) -> None:
        self.front_door = front_door
        ReferenceData.after_refresh(self._refreshed)
        if front_door is not None:
            front_door.listeners.append(self.publish)
        self._refreshed(self.reference)

    def _refreshed(self, reference: ReferenceData) -> None:
        """The reference was (re)built: its key is the store's fingerprint now (the snapshot
        was saved under it). The front door's own writes change the fingerprint, not the
        reference, so they keep this key."""
        if reference is self.reference:
            self.key = current_key(self.store)
            self.publish()

    def publish(self) -> None:
        grants = dict(self.front_door.grants) if self.front_door is not None else {}
        publication = Publication(time.time_ns(), self.key, grants)
        scratch = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        with scratch.open("wb") as handle:
            pickle.dump(publication, handle, protocol=5)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(scratch, self.path)
