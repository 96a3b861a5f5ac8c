"""Strain flags (and the forecasts under them) kept per question: (metric, geography type,
method, date, caller's scope) and the numbers store's release key (NumbersStore.release_key),
so the dashboards' early-warning panels answer a repeated question without forecasting again
(0.5 to 1.5 s on the national data), and a new release, a retired batch or new placements
change the key: a kept answer is never older than the data."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from datetime import date
from typing import TYPE_CHECKING

from service.reference.strain import EarlyWarningIndex
from service.returns.numbers import NumbersStore
from service.rollup.model import NATIONAL, Method, Scope
from service.strain.areas import strain_flags
from service.strain.flags import StrainFlag

if TYPE_CHECKING:  # the disclosure rule (service/access/disclosure.py) the caller's figures get
    from service.access.disclosure import Protection

KEPT = 64  # questions per numbers store (a page's questions: metric x type x method x date)

Key = tuple[object, ...]
Kept = OrderedDict[Key, tuple[EarlyWarningIndex, list[StrainFlag]]]
_kept: weakref.WeakKeyDictionary[NumbersStore, Kept] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def cached_strain_flags(
    numbers: NumbersStore,
    index: EarlyWarningIndex,
    metric: str,
    area_type: str,
    method: Method,
    *,
    scope: Scope = NATIONAL,
    origin: date | None = None,
    protection: Protection | None = None,
) -> list[StrainFlag]:
    """strain_flags(...) as of now (known_at None), from the kept answer when the question and
    the release key are the same; a new list each call (callers sort and filter it)."""
    key: Key = (
        metric, area_type, method, origin, scope, protection, id(index), numbers.release_key()
    )  # fmt: skip
    with _lock:
        kept = _kept.setdefault(numbers, OrderedDict())
        found = kept.get(key)
        if found is not None:
            kept.move_to_end(key)
            return list(found[1])
    flags = strain_flags(numbers, index, metric, area_type, method, scope=scope, origin=origin,
                         protection=protection)  # fmt: skip
    with _lock:
        kept[key] = (index, flags)  # the index held: its id in the key is never reused
        while len(kept) > KEPT:
            kept.popitem(last=False)
    return list(flags)


def kept_questions(numbers: NumbersStore) -> int:
    """How many answers are kept for a store (for tests and the benchmark's account)."""
    with _lock:
        return len(_kept.get(numbers, ()))
