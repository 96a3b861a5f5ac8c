"""Place an organisation in areas of one type on a date, by every method (or the ones asked for),
and say where the methods disagree.

    >>> # placer = Placer.from_store(store); answer = placer.place("RJ1", "LRF", date(2026, 7, 1))

Methods disagree when the areas they give most of the organisation to differ; an answer lists
each method's main area under `conflicts` then. Methods without an answer do not conflict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service.geography.carrying_on import CarryingOn, successions_from_store
from service.geography.methods import METHODS, SIMPLE_METHODS, Context, Placement
from service.geography.reference import Reference, code_of, read_reference
from service.geography.rollup import RollUp
from service.rdf.store import GraphStore


class UnknownAreaType(ValueError):
    """An area type no subclass of nhskg:GeographicArea offers as its API name."""


@dataclass
class Answer:
    org_code: str
    area_type: str
    on: date
    placements: list[Placement] = field(default_factory=list)
    conflicts: dict[str, str] | None = None  # method (and table) -> main area, when they differ

    def as_dict(self) -> dict[str, Any]:
        return {
            "org_code": self.org_code,
            "area_type": self.area_type,
            "on": self.on.isoformat(),
            "placements": [
                {
                    "method": p.method,
                    "source": p.source,
                    "shares": dict(sorted(p.shares.items(), key=lambda kv: -kv[1])),
                    "coverage": round(p.coverage, 6),
                    "evidence": p.evidence,
                    "reason": p.reason,
                }
                for p in self.placements
            ],
            "conflicts": self.conflicts,
        }


def label(p: Placement) -> str:
    return f"{p.method}:{p.source}" if p.source else p.method


def conflicts_of(placements: Sequence[Placement]) -> dict[str, str] | None:
    main = {label(p): p.main_area for p in placements if p.main_area}
    return main if len(set(main.values())) > 1 else None


class Placer:
    """Answers "which areas of type T is organisation X in on date D, by method M" from one
    reference snapshot (build it again when reference data changes)."""

    def __init__(self, reference: Reference, carrying_on: CarryingOn) -> None:
        self.ctx = Context(reference, RollUp(reference), carrying_on)
        self._labels: dict[str, str] | None = None

    @classmethod
    def from_store(cls, store: GraphStore, carrying_on: CarryingOn | None = None) -> Placer:
        return cls(read_reference(store), carrying_on or successions_from_store(store))

    @property
    def reference(self) -> Reference:
        return self.ctx.ref

    def catchment_tables(self) -> list[str]:
        return sorted(self.ctx.ref.catchments)

    def check_type(self, area_type: str) -> None:
        if area_type not in self.ctx.ref.api_names():
            known = ", ".join(self.ctx.ref.api_names())
            raise UnknownAreaType(f"unknown area type {area_type!r}; known types: {known}")

    def place_by(self, method: str, org: str, area_type: str, on: date) -> list[Placement]:
        """The method's one placement (CATCHMENT: by the table `catchment_policy` chooses)."""
        if method not in SIMPLE_METHODS:
            raise ValueError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")
        return [SIMPLE_METHODS[method](self.ctx, org, area_type, on)]

    def place(self, org: str, area_type: str, on: date, methods: Sequence[str] = METHODS) -> Answer:
        self.check_type(area_type)
        answer = Answer(org, area_type, on)
        for method in methods:
            answer.placements.extend(self.place_by(method, org, area_type, on))
        answer.conflicts = conflicts_of(answer.placements)
        return answer

    def area_label(self, code: str) -> str:
        if self._labels is None:
            self._labels = {}
            for area in self.ctx.ref.areas.values():
                self._labels.setdefault(area.code, area.label)
        return self._labels.get(code) or code_of(code)
