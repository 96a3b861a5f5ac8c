"""In-memory read models of the reference graph, built once and refreshed when loads change it.

Requests never scan the graph: they read these indexes (a few thousand organisations and areas).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.lookup import Lookup
from service.reference.areas import AreaIndex
from service.reference.metrics import MetricIndex
from service.reference.organisations import OrganisationIndex
from service.returns.codes import Successions, successions_from_index
from service.store import GraphStore


@dataclass
class ReferenceData:
    """Everything the API reads about organisations and areas, built from one store."""

    store: GraphStore
    organisations: OrganisationIndex
    areas: AreaIndex
    lookup: Lookup
    metrics: MetricIndex = field(default_factory=lambda: MetricIndex([]))

    @property
    def successions(self) -> Successions:
        """Who carries a code on, for restating roll-ups: the lookup's succession index (one
        reader, stated events over inferred ones), so a refresh reaches roll-ups too."""
        return successions_from_index(self.lookup.asof.successions)

    @classmethod
    def build(cls, store: GraphStore) -> ReferenceData:
        return cls(
            store,
            OrganisationIndex.build(store),
            AreaIndex.build(store),
            Lookup.from_store(store),
            MetricIndex.build(store),
        )

    def refresh(self) -> None:
        """Rebuild after a load or a steward change altered the reference graph."""
        self.organisations = OrganisationIndex.build(self.store)
        self.areas = AreaIndex.build(self.store)
        self.lookup = Lookup.from_store(self.store)
        self.metrics = MetricIndex.build(self.store)
