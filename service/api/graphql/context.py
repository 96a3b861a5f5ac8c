"""Per-request context: reference data, the caller's access (service/access/policy.py), and fresh
DataLoaders."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from service.access.frontdoor import FrontDoor
from service.access.log import AccessLog
from service.access.policy import Access
from service.access.principal import PUBLIC
from service.api.workers import Workers
from service.config import Settings
from service.reference import ReferenceData
from service.reference.areas import Area, AreaMembership
from service.reference.organisations import Organisation as OrganisationRecord
from service.returns.codes import Successions
from service.returns.numbers import NumbersStore

AreaLinks = list[tuple[Area, AreaMembership]]
HeldRange = tuple[date, date, int]


@dataclass
class Context(BaseContext):
    reference: ReferenceData
    # Who asks and what they may see: public unless a verified token says otherwise.
    access: Access = field(default_factory=lambda: Access(PUBLIC))
    front_door: FrontDoor | None = None
    access_log: AccessLog | None = None
    settings: Settings | None = None  # for issuing tokens with the local key
    max_page_size: int = 500
    # A roll-up answer larger than this (area x period rows) is refused before it is serialised.
    max_rollup_rows: int = 50_000
    # Reported values (DuckDB) for observations and roll-ups; None when the app has none.
    numbers: NumbersStore | None = None
    # Succession steps for restating to the organisations of a date.
    successions: Successions | None = None
    # Worker pools the root fields run in (service/api/graphql/guard.py); None: on the loop.
    workers: Workers | None = None
    batch_calls: Counter[str] = field(default_factory=Counter)
    parents: DataLoader[tuple[str, date], AreaLinks] = field(init=False)
    children: DataLoader[tuple[str, date], AreaLinks] = field(init=False)
    organisations: DataLoader[str, OrganisationRecord | None] = field(init=False)
    # metric IRI -> (first period, last period, value count) held in the numbers store
    held: DataLoader[str, HeldRange | None] = field(init=False)

    def __post_init__(self) -> None:
        super().__init__()
        self.parents = DataLoader(load_fn=self._load_parents)
        self.children = DataLoader(load_fn=self._load_children)
        self.organisations = DataLoader(load_fn=self._load_organisations)
        self.held = DataLoader(load_fn=self._load_held)

    async def _load_held(self, iris: list[str]) -> list[HeldRange | None]:
        self.batch_calls["held"] += 1
        if self.numbers is None:
            return [None for _ in iris]
        rows = (
            self.numbers.reader()
            .execute(
                "SELECT metric, min(period_start), max(period_start), count(*) "
                "FROM reported_value WHERE list_contains(?, metric) GROUP BY metric",
                [iris],
            )
            .fetchall()
        )
        found = {r[0]: (r[1], r[2], int(r[3])) for r in rows}
        return [found.get(iri) for iri in iris]

    async def _load_organisations(self, codes: list[str]) -> list[OrganisationRecord | None]:
        self.batch_calls["organisations"] += 1
        index = self.reference.organisations
        return [index.find(code) for code in codes]

    async def _load_parents(self, keys: list[tuple[str, date]]) -> list[AreaLinks]:
        self.batch_calls["parents"] += 1
        areas = self.reference.areas
        return [areas.parents(areas.by_iri[iri], day) for iri, day in keys]

    async def _load_children(self, keys: list[tuple[str, date]]) -> list[AreaLinks]:
        self.batch_calls["children"] += 1
        areas = self.reference.areas
        return [areas.children(areas.by_iri[iri], day) for iri, day in keys]

    def __getitem__(self, key: str) -> Any:  # strawberry's info.context["..."] style access
        return getattr(self, key)
