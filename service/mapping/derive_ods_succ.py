"""Group ODS successor pairs (predecessor -> successor, date) into typed change events.

Pairs that take effect on the same date and share a code are one event. The event's type is
inferred from its shape (nhskg:InferredType): many predecessors into one successor is a merger;
one into many a split; one into an organisation open before the date an acquisition; one into one
new code a code change. Only organisations in the reference data take part; everything else is
left out and counted by reason. Event IRIs depend only on the effective date and the codes, so the
current and the archived files describe the same event with the same IRI.

Output rows: one `kind=event` row per event, then one `kind=original` / `kind=resulting` row per
predecessor / successor, each numbered by the source row it came from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from service.mapping.derive import REFERENCE, derivation
from service.mapping.engine import SKIP
from service.mapping.readers import Row

Lifetimes = dict[str, tuple[date, date | None]]

SELF = (
    "a code succeeding itself (a practice or site code re-registered): not a change of organisation"
)
NOT_REFERENCE = (
    "neither code is an organisation in the reference data (CCG, GP practice, site, or a trust"
    " closed before the earliest trust file)"
)
REPEATED = "the same succession stated again in the file"
PARTLY_KNOWN = (
    "one code is not an organisation in the reference data (a trust closed before the earliest"
    " trust file, or a non-trust body): left out of its event"
)
ONE_SIDED = (
    "one side of the event lies wholly outside the reference data (a 1990s health authority into"
    " a trust, or a trust into a non-trust body)"
)


@dataclass
class Pair:
    row: int
    original: str
    resulting: str
    effective: str  # ISO date, or the raw value when it is not a date (the shapes report it)
    stated: str  # the date as the file states it, ISO


@dataclass
class Event:
    pairs: list[Pair] = field(default_factory=list)

    def codes(self, side: str) -> list[str]:
        return sorted({getattr(p, side) for p in self.pairs})


@derivation("ods_successions")
def ods_successions(rows: Iterable[Row], options: dict[str, Any], base: Path) -> Iterator[Row]:
    reference: Lifetimes = options.get(REFERENCE, {})
    pairs: list[Pair] = []
    seen: set[tuple[str, str, str]] = set()
    for row in rows:
        reason, pair = _pair(row, options, reference)
        if pair is not None and (pair.original, pair.resulting, pair.effective) in seen:
            reason = REPEATED
        if reason:
            yield Row(row.number, {SKIP: reason})
            continue
        assert pair is not None
        seen.add((pair.original, pair.resulting, pair.effective))
        pairs.append(pair)
    for event in _group(pairs):
        yield from _event_rows(event, reference)


def _pair(
    row: Row, options: dict[str, Any], reference: Lifetimes
) -> tuple[str | None, Pair | None]:
    original = row.values[options.get("original", "original")].upper()
    resulting = row.values[options.get("resulting", "resulting")].upper()
    raw = row.values[options.get("date", "date")]
    if original == resulting:
        return SELF, None
    if original not in reference and resulting not in reference:
        return NOT_REFERENCE, None
    try:
        stated = datetime.strptime(raw, options.get("date_format", "%Y%m%d")).date()
    except ValueError:
        return None, Pair(row.number, original, resulting, raw, raw)
    effective = stated
    # The archived file dates some successions on the predecessor's last day (its ODS close
    # date); the event takes effect the day after, and the stated date is kept as alsoDatedOn.
    closed = reference.get(original, (None, None))[1]
    if options.get("may_date_on_last_day") and closed == stated:
        effective = stated + timedelta(days=1)
    return None, Pair(row.number, original, resulting, effective.isoformat(), stated.isoformat())


def _group(pairs: list[Pair]) -> list[Event]:
    """Connected components of the pairs of one effective date (union-find over codes)."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(key: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for p in pairs:
        a, b = find((p.effective, p.original)), find((p.effective, p.resulting))
        parent[a] = b
    events: dict[tuple[str, str], Event] = defaultdict(Event)
    for p in pairs:
        events[find((p.effective, p.original))].pairs.append(p)
    return sorted(events.values(), key=lambda e: min(p.row for p in e.pairs))


def event_type(originals: list[str], resultings: list[str], effective: str, ref: Lifetimes) -> str:
    if len(originals) > 1 and len(resultings) == 1:
        return "Merger"
    if len(originals) == 1 and len(resultings) > 1:
        return "Split"
    if len(originals) == 1 and len(resultings) == 1:
        opened = ref.get(resultings[0], (None, None))[0]
        existed = opened is not None and opened.isoformat() < effective
        return "Acquisition" if existed else "CodeChange"
    return "Succession"  # several into several: a succession of no more specific type


def _event_rows(event: Event, reference: Lifetimes) -> Iterator[Row]:
    first = min(p.row for p in event.pairs)
    effective = event.pairs[0].effective
    # The type comes from the whole event as the file states it, codes outside the reference
    # data included (RRP and TAF into G6V2S is a merger even though TAF is not loaded).
    kind = event_type(event.codes("original"), event.codes("resulting"), effective, reference)
    known = [p for p in event.pairs if p.original in reference and p.resulting in reference]
    originals = sorted({p.original for p in known})
    resultings = sorted({p.resulting for p in known})
    if not originals or not resultings:
        for p in event.pairs:
            yield Row(p.row, {SKIP: ONE_SIDED})
        return
    key = f"{'_'.join(originals)}-to-{'_'.join(resultings)}"
    also = sorted({p.stated for p in event.pairs if p.stated != p.effective})
    base = {"event": key, "effective": effective, "type": kind}
    yield Row(first, {**base, "kind": "event", "also_dated_on": also[0] if also else ""})
    for p in event.pairs:
        if p not in known:
            yield Row(p.row, {SKIP: PARTLY_KNOWN})
    done: set[tuple[str, str]] = set()
    for p in known:
        for side, code in (("original", p.original), ("resulting", p.resulting)):
            if (side, code) not in done:
                done.add((side, code))
                yield Row(p.row, {**base, "kind": side, "code": code})
