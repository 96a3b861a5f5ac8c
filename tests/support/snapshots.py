"""Comparing two reference snapshots: field by field, and by the answers they give."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from service.geography.lookup import LookupFailure
from service.geography.methods import METHODS
from service.rdf.store import GraphStore
from service.reference import ReferenceData, saved

_LOCKS = (type(threading.Lock()), type(threading.RLock()))


def differences(
    a: Any, b: Any, path: str = "snapshot", seen: set[tuple[int, int]] | None = None
) -> list[str]:
    """Where two object graphs differ (at most a few paths): the same types, the same fields,
    containers of the same items, the same live store. Generic, so it holds whatever the
    snapshot's classes hold."""
    seen = set() if seen is None else seen
    if (id(a), id(b)) in seen:
        return []
    seen.add((id(a), id(b)))
    if isinstance(a, _LOCKS) and isinstance(b, _LOCKS):  # a cache's lock: state, not data
        return []
    if isinstance(a, GraphStore) or isinstance(b, GraphStore):
        return [] if a is b else [f"{path}: not the live store"]
    if type(a) is not type(b):
        return [f"{path}: {type(a).__name__} != {type(b).__name__}"]
    if isinstance(a, dict):
        if list(a) != list(b):
            return [f"{path}: keys differ ({len(a)} / {len(b)})"]
        return _first([differences(a[k], b[k], f"{path}[{k!r}]", seen) for k in a])
    if isinstance(a, list | tuple):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} != {len(b)}"]
        return _first(
            [
                differences(x, y, f"{path}[{i}]", seen)
                for i, (x, y) in enumerate(zip(a, b, strict=True))
            ]
        )
    if isinstance(a, set | frozenset):
        return [] if a == b else [f"{path}: sets differ"]
    state_a, state_b = _state(a), _state(b)
    if state_a is None:
        return [] if a == b else [f"{path}: {a!r} != {b!r}"]
    return differences(state_a, state_b, f"{path}.", seen) if state_a or state_b else []


def _state(obj: Any) -> dict[str, Any] | None:
    if hasattr(obj, "__dict__"):
        return dict(vars(obj))
    slots = [s for cls in type(obj).__mro__ for s in getattr(cls, "__slots__", ())]
    if slots:
        return {s: getattr(obj, s) for s in slots if hasattr(obj, s)}
    return None


def _first(found: list[list[str]]) -> list[str]:
    return [d for diffs in found for d in diffs][:5]


def answers(
    ref: ReferenceData, codes: list[str], days: list[date], area_types: list[str] | None = None
) -> dict[str, Any]:
    """What the API reads from a snapshot, for some organisations: their records, where they are
    by every method in each area type (default: all) on each day, who carries them on; the
    areas with their parents; the metrics."""
    out: dict[str, Any] = {"metrics": ref.metrics.by_key, "types": ref.lookup.area_types()}
    for code in codes:
        out[f"organisation {code}"] = ref.organisations.find(code)
        for day in days:
            out[f"carried {code} {day}"] = ref.lookup.carried_on_by(code, day)
            for area_type in area_types or ref.lookup.area_types():
                for method in METHODS:
                    try:
                        found = ref.lookup.lookup(code, area_type, day, method).to_json()
                    except LookupFailure as failure:
                        found = f"{failure.status}: {failure.message}"
                    out[f"lookup {code} {area_type} {method} {day}"] = found
    for iri, area in sorted(ref.areas.by_iri.items()):
        out[f"area {iri}"] = (
            area,
            [(p.iri, m) for day in days for p, m in ref.areas.parents(area, day)],
        )
    return out


class Builds:
    """ReferenceData.build, counting its calls: a snapshot read back is not built."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, store: GraphStore) -> ReferenceData:
        self.calls += 1
        return ReferenceData.build(store)


def current(store: GraphStore) -> tuple[ReferenceData, int]:
    """The store's snapshot as a server start gets it, and whether it was built (1) or read (0)."""
    builds = Builds()
    return saved.load_or_build(store, builds), builds.calls
