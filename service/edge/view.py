"""The edge's copy of what lookups read: the reference snapshot the main process published (read
from the file saved with the store), the grants, and the scope index over them.

`current()` is asked before every lookup: the loaded copy when it is the latest publication,
else None (the lookup goes to the main process) and a reload starts in the background. A reload
reads the publication, loads the snapshot when its fingerprint changed (a few seconds on the
national data; lookups are forwarded meanwhile), then works out each geography type's timelines
(a type's lookups are answered here once its timelines are built)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import State

from service import heap
from service.access.frontdoor import Grant, grant_status
from service.access.policy import Authenticator, ScopeIndex
from service.access.tokens import TokenVerifier
from service.api.priority import lower_this_thread
from service.edge.state import Identity, Publication, read
from service.rdf.store import GraphStore
from service.reference import ReferenceData
from service.reference.saved import SnapshotUnusable, load
from service.returns.numbers import NumbersStore

log = logging.getLogger(__name__)


class Grants:
    """The published grants, asked as the policy asks the front door (`grant_status`)."""

    def __init__(self, grants: dict[str, Grant]) -> None:
        self.grants = grants

    def grant_status(self, grant_id: str) -> str:
        return grant_status(self.grants, grant_id)


@dataclass(frozen=True)
class Loaded:
    identity: Identity
    reference: ReferenceData
    snapshot_key: str  # the fingerprint the reference was saved under
    index: ScopeIndex  # built over the reference: kept while only the grants change


class EdgeView:
    def __init__(
        self,
        state_path: Path,
        store_path: Path,
        numbers: NumbersStore,
        verifier: TokenVerifier | None,
        app_state: State,
    ) -> None:
        self.state_path, self.store_path = state_path, store_path
        self.numbers, self.verifier = numbers, verifier
        self.app_state = app_state  # what the lookup route reads: reference, authenticator
        self.loaded: Loaded | None = None
        self._unusable: Identity | None = None  # a publication the edge cannot answer from
        self._reloading = threading.Lock()

    def current(self) -> Loaded | None:
        loaded, identity = self.loaded, Identity.of(self.state_path)
        if loaded is not None and identity == loaded.identity:
            return loaded
        if identity is not None and identity != self._unusable:  # else nothing to read yet
            self.reload_in_background()
        return None

    def reload_in_background(self) -> None:
        if not self._reloading.locked():
            threading.Thread(target=self.reload_and_warm, name="edge-reload", daemon=True).start()

    def reload(self) -> None:
        """Catch up with the latest publication (one reload at a time)."""
        if not self._reloading.acquire(blocking=False):
            return
        try:
            lower_this_thread()
            identity, publication = read(self.state_path)
            if identity is None or publication is None or identity == self._unusable:
                return  # nothing published yet, or tried already: the app answers lookups
            self._install(identity, publication)
        except Exception:  # never stop answering: the main process answers meanwhile
            log.exception("the edge could not load the main process's publication")
        finally:
            self._reloading.release()

    def reload_and_warm(self) -> None:
        self.reload()
        self.warm()

    def warm(self) -> None:
        """Work out the loaded snapshot's lookups, one geography type at a time (LRF first:
        what apps ask most), until a newer publication replaces it."""
        lower_this_thread()
        loaded = self.loaded
        if loaded is None:
            return
        types = loaded.reference.lookup.area_types()
        for area_type in sorted(types, key=lambda t: t != "LRF"):
            if self.loaded is not loaded:  # a newer publication came meanwhile
                return
            if not loaded.reference.lookup.is_quick(area_type):
                loaded.reference.lookup.warm([area_type])
                heap.grown()

    def _install(self, identity: Identity, publication: Publication) -> None:
        key, before = publication.snapshot_key, self.loaded
        if key is None:  # no saved snapshot is the app's
            self.loaded, self._unusable = None, identity
            return
        if before is not None and before.snapshot_key == key:
            # Grants only: keep the snapshot, its built timelines and the scope index over it.
            reference, index = before.reference, before.index
        else:
            store = GraphStore(self.store_path, read_only=True)  # the graphs as written now
            try:
                reference = load(store, key)
            except SnapshotUnusable as why:
                log.warning("the edge forwards every lookup: %s", why)
                self.loaded, self._unusable = None, identity
                return
            index = ScopeIndex(reference, self.numbers)
        replaced = before is not None and before.reference is not reference
        # The route's state first, then the identity that makes lookups answered here again.
        self.app_state.reference = reference
        self.app_state.authenticator = Authenticator(
            self.verifier, Grants(publication.grants), index
        )
        self.loaded = Loaded(identity, reference, key, index)
        if replaced:
            heap.replaced()  # the old snapshot's cycles collected, the new one frozen
        else:
            heap.grown()  # the first snapshot frozen with the rest (service/heap.py)
