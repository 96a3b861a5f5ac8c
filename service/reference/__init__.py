"""In-memory read models of the reference graph, built once and refreshed when loads change it.

Requests never scan the graph: they read these indexes (a few thousand organisations and areas).
`ReferenceData.current(store)` reads the snapshot saved with the store when it was built from the
store's current graphs (service/reference/saved.py), else builds it and saves it.
`reference.known_at(day)` is the same read model as known at a past date
(service/reference/known.py).
"""

from __future__ import annotations

__all__ = ["KnownAtError", "ReferenceData"]

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from service import heap
from service.rdf.store import GraphStore
from service.reference.areas import AreaIndex
from service.reference.known import KnownAtError, KnownAtSnapshots
from service.reference.metrics import MetricIndex
from service.reference.organisations import OrganisationIndex
from service.reference.saved import load_or_build
from service.reference.strain import EarlyWarningIndex

if TYPE_CHECKING:  # the lookup places organisations (service/geography/), which reads this package
    from service.geography.lookup import Lookup
    from service.returns.codes import Successions


@dataclass
class ReferenceData:
    """Everything the API reads about organisations and areas, built from one store."""

    store: GraphStore
    organisations: OrganisationIndex
    areas: AreaIndex
    lookup: Lookup
    metrics: MetricIndex = field(default_factory=lambda: MetricIndex([]))
    # Forecast horizons and strain thresholds (ontology/strain.ttl)
    early_warning: EarlyWarningIndex = field(default_factory=EarlyWarningIndex)
    # 0: built from the current graphs; else which snapshot as known at a date (known.py)
    serial: int = 0
    # Snapshots of this store as known at past dates (bounded LRU), kept across refreshes
    history: KnownAtSnapshots = field(default_factory=KnownAtSnapshots, repr=False)
    # Called with the snapshot after every refresh (the lookup edge's publisher, service/edge/)
    _refreshed: ClassVar[list[Callable[[ReferenceData], None]]] = []

    @classmethod
    def after_refresh(cls, callback: Callable[[ReferenceData], None]) -> None:
        cls._refreshed.append(callback)

    @property
    def successions(self) -> Successions:
        """Who carries a code on, for restating roll-ups: the lookup's succession index (one
        reader, stated events over inferred ones), so a refresh reaches roll-ups too."""
        from service.returns.codes import successions_from_index

        return successions_from_index(self.lookup.asof.successions)

    @classmethod
    def build(cls, store: GraphStore) -> ReferenceData:
        from service.geography.lookup import Lookup

        with store.reading_in_memory():
            return cls(
                store,
                OrganisationIndex.build(store),
                AreaIndex.build(store),
                Lookup.from_store(store),
                MetricIndex.build(store),
                EarlyWarningIndex.build(store),
            )

    @classmethod
    def current(cls, store: GraphStore) -> ReferenceData:
        """The snapshot of the store's current graphs: the saved one when it is (fingerprint
        checked), else built now and saved with the store for the next start."""
        return load_or_build(store, cls.build)

    def known_at(self, day: date | None, *, earliest_held: bool = False) -> ReferenceData:
        """The reference as known at the end of `day` (UTC): the graphs written by then and
        not yet retired (None: this snapshot). KnownAtError for a day before the first load,
        unless `earliest_held` (roll-ups): then the reference as first loaded."""
        if day is None:
            return self
        return self.history.get(self, day, ReferenceData.build, earliest_held)

    def refresh(self) -> None:
        """Rebuild after a load or a steward change altered the reference graph (and save it
        with the store: the next start reads it)."""
        fresh = ReferenceData.current(self.store)
        self.organisations = fresh.organisations
        self.areas = fresh.areas
        self.lookup = fresh.lookup
        self.metrics = fresh.metrics
        self.early_warning = fresh.early_warning
        heap.replaced()  # the old indexes' cycles are not kept frozen (service/heap.py)
        for callback in list(self._refreshed):
            callback(self)
