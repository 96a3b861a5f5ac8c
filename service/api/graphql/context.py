"""Per-request context: reference data, the caller's scope, and fresh DataLoaders."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from service.reference import ReferenceData
from service.reference.areas import Area, AreaMembership
from service.returns.numbers import NumbersStore

AreaLinks = list[tuple[Area, AreaMembership]]


class ScopeKind(Enum):
    NATIONAL = "national"
    REGION = "region"
    ORGANISATION = "organisation"


@dataclass(frozen=True)
class Scope:
    """Who the caller may see. Real authentication sets it later; the engine filters by it now."""

    kind: ScopeKind = ScopeKind.NATIONAL
    code: str | None = None  # an NHS England region ODS code (Y56) or an organisation code


@dataclass
class Context(BaseContext):
    reference: ReferenceData
    scope: Scope = field(default_factory=Scope)
    max_page_size: int = 500
    numbers: NumbersStore | None = None
    batch_calls: Counter[str] = field(default_factory=Counter)
    parents: DataLoader[tuple[str, date], AreaLinks] = field(init=False)
    children: DataLoader[tuple[str, date], AreaLinks] = field(init=False)

    def __post_init__(self) -> None:
        super().__init__()
        self.parents = DataLoader(load_fn=self._load_parents)
        self.children = DataLoader(load_fn=self._load_children)

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
