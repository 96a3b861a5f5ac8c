"""The steward queue: everything in the data that waits for a steward's decision, in one list.

- unregistered_provider: a code a return used that the reference data does not know (until a
  change set assigns it an organisation type);
- retired_code: values a return filed under a code after that organisation closed, restated to
  its successor at load (or left under the closed code when nothing carries it on);
- succession_type: a succession event whose type no one stated: none given, or inferred from the
  shape of the ODS file's rows (until a change set states the same event's type);
- method_conflict: a trust that the placement methods put mostly in different areas of a type on
  a date (the Placer's `conflicts`);
- revised_history: a release that changed more of a metric's earlier-published values than the
  metric's nhskg:revisionThreshold allows (service/returns/revisions.py).

Read only: the graph, and the numbers store when there is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service.geography.assign import Placer
from service.rdf.store import GraphStore
from service.reference.reporters import reference_organisations
from service.reference.successions import SuccessionIndex
from service.reference.unregistered import assigned_codes, steward_queue
from service.returns.numbers import NumbersStore

KINDS = (
    "unregistered_provider",
    "retired_code",
    "succession_type",
    "method_conflict",
    "revised_history",
)


@dataclass(frozen=True)
class QueueItem:
    kind: str
    code: str  # the organisation (or, for a succession, its first predecessor)
    name: str
    reason: str  # in plain words: what is undecided
    related: tuple[str, ...] = ()  # successors, regions, conflicting areas...
    values: int | None = None  # reported values concerned
    first_period: date | None = None
    last_period: date | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if v not in (None, (), {})}
        for key in ("first_period", "last_period"):
            if key in out:
                out[key] = out[key].isoformat()
        out["related"] = list(self.related)
        return out


class UnknownQueueKind(ValueError):
    pass


def queue(
    store: GraphStore,
    numbers: NumbersStore | None = None,
    *,
    kinds: Iterable[str] = KINDS,
    area_type: str = "LRF",
    on: date | None = None,
    placer: Placer | None = None,
) -> list[QueueItem]:
    """What needs a decision, by kind (in KINDS order), then by code."""
    wanted = list(kinds)
    unknown = [k for k in wanted if k not in KINDS]
    if unknown:
        raise UnknownQueueKind(f"unknown queue kind {unknown[0]!r}; kinds: {', '.join(KINDS)}")
    out: list[QueueItem] = []
    if "unregistered_provider" in wanted:
        out += unregistered_providers(store, numbers)
    if "retired_code" in wanted and numbers is not None:
        out += retired_codes(store, numbers)
    if "succession_type" in wanted:
        out += untyped_successions(store)
    if "method_conflict" in wanted:
        out += method_conflicts(store, area_type, on or date.today(), placer)
    if "revised_history" in wanted and numbers is not None:
        out += revised_history(store, numbers)
    return out


def revised_history(store: GraphStore, numbers: NumbersStore) -> list[QueueItem]:
    """Releases revising more of a metric's history than its threshold in the ontology."""
    from service.reference.metrics import MetricIndex
    from service.returns.revisions import revised_releases

    thresholds = {
        m.iri: (m.key, m.revision_threshold)
        for m in MetricIndex.build(store).by_key.values()
        if m.revision_threshold is not None
    }
    out = []
    for r in revised_releases(numbers, sorted(thresholds)):
        key, threshold = thresholds[r.metric]
        if threshold is None or r.share <= threshold:
            continue
        reason = (
            f"release {r.release_date} revises {r.revised:,} of the {r.reissued:,} values of "
            f"{key} it re-issues ({r.share:.1%}), more than the {threshold:.1%} the ontology "
            "allows without review (revisions query: what changed, per area)"
        )
        out.append(
            QueueItem(
                "revised_history",
                key,
                r.file,
                reason,
                (r.batch_id,),
                r.revised,
                r.first_period,
                r.last_period,
                {
                    "release": r.release_date.isoformat(),
                    "reissued": r.reissued,
                    "threshold": threshold,
                },
            )
        )
    return out


def unregistered_providers(store: GraphStore, numbers: NumbersStore | None) -> list[QueueItem]:
    assigned = assigned_codes(store)
    counts = _value_counts(numbers) if numbers is not None else {}
    out = []
    for p in steward_queue(store):
        if p.code in assigned:
            continue
        n, first, last = counts.get(p.code, (None, None, None))
        regions = ", ".join(p.regions) or "no region"
        out.append(
            QueueItem(
                "unregistered_provider",
                p.code,
                p.name,
                f"reported in returns ({regions}) under a code the reference data does not know;"
                " assign it an organisation type and area (assign_provider)",
                p.regions,
                n,
                first,
                last,
                {"first_reported_in": p.first_reported_in},
            )
        )
    return out


def _value_counts(numbers: NumbersStore) -> dict[str, tuple[int, date, date]]:
    rows = numbers.con.execute(
        "SELECT org_code, count(*), min(period_start), max(period_start) "
        "FROM reported_value WHERE area_type IS NULL GROUP BY org_code"
    ).fetchall()
    return {str(r[0]): (int(r[1]), r[2], r[3]) for r in rows}


RESTATED = """
SELECT rv.reported_code, rv.org_code, b.file, count(*), min(rv.period_start), max(rv.period_start)
FROM reported_value rv JOIN batch b USING (batch_id)
WHERE rv.reported_code <> rv.org_code AND b.status = 'current'
GROUP BY ALL ORDER BY 1, 3"""

BY_CODE = """
SELECT rv.org_code, b.file, count(*), min(rv.period_start), max(rv.period_start)
FROM reported_value rv JOIN batch b USING (batch_id)
WHERE b.status = 'current' AND rv.area_type IS NULL GROUP BY ALL"""


def retired_codes(store: GraphStore, numbers: NumbersStore) -> list[QueueItem]:
    """Values filed under a closed organisation's code after it closed, per code and file."""
    registered = reference_organisations(store)
    out = []
    for old, new, file, n, first, last in numbers.con.execute(RESTATED).fetchall():
        out.append(
            QueueItem(
                "retired_code",
                old,
                file,
                f"{file} reports under {old} after it was succeeded; {n} values were restated "
                f"to {new}: confirm the restatement or correct the succession",
                (new,),
                int(n),
                first,
                last,
                {"file": file, "restated_to": new},
            )
        )
    for code, file, n, first, last in numbers.con.execute(BY_CODE).fetchall():
        org = registered.get(code)
        if org is None or org.close_date is None or last <= org.close_date:
            continue
        out.append(
            QueueItem(
                "retired_code",
                code,
                file,
                f"{file} reports under {code} until {last}, after it closed on "
                f"{org.close_date}, and no succession carries it on: record its successor",
                (),
                int(n),
                first,
                last,
                {"file": file, "closed": org.close_date.isoformat()},
            )
        )
    return sorted(out, key=lambda i: (i.code, i.name))


def untyped_successions(store: GraphStore) -> list[QueueItem]:
    """Events of no stated type, unless a steward stated an event with the same date and codes."""
    index = SuccessionIndex.from_store(store)
    stated = {(s.effective, s.originals, s.resultings) for s in index.steps if s.basis == "stated"}
    out = []
    for step in index.steps:
        if step.basis == "stated" or (step.effective, step.originals, step.resultings) in stated:
            continue
        how = (
            f"its type ({step.type}) was inferred from the ODS successor file"
            if step.basis == "inferred"
            else "it has no stated type"
        )
        split = len(step.resultings) > 1 and not any(
            (step.event, r) in index.shares for r in step.resultings
        )
        weights = "; a split with no weights: give each successor's share" if split else ""
        out.append(
            QueueItem(
                "succession_type",
                step.originals[0] if step.originals else "",
                f"{'+'.join(step.originals)} -> {'+'.join(step.resultings)} on {step.effective}",
                f"{how}: state it (record_succession){weights}",
                step.resultings,
                details={
                    "event": step.event,
                    "type": step.type,
                    "basis": step.basis,
                    "effective": step.effective.isoformat(),
                    "predecessors": list(step.originals),
                },
            )
        )
    return sorted(out, key=lambda i: (i.details["effective"], i.code))


def method_conflicts(
    store: GraphStore, area_type: str, on: date, placer: Placer | None = None
) -> list[QueueItem]:
    """Trusts open on `on` whose placement methods give most of them to different areas."""
    placer = placer or Placer.from_store(store)
    placer.check_type(area_type)
    out = []
    for org in sorted(placer.reference.organisations.values(), key=lambda o: o.code):
        if not org.open_on(on):
            continue
        answer = placer.place(org.code, area_type, on)
        if not answer.conflicts:
            continue
        by_area: dict[str, list[str]] = {}
        for method, area in sorted(answer.conflicts.items()):
            by_area.setdefault(area, []).append(method)
        said = "; ".join(
            f"{placer.area_label(a)} ({a}) by {', '.join(m)}" for a, m in sorted(by_area.items())
        )
        out.append(
            QueueItem(
                "method_conflict",
                org.code,
                org.label,
                f"placement methods disagree on its {area_type} on {on}: {said}; "
                "choose the method for its figures or correct the facts behind one",
                tuple(sorted(by_area)),
                details={"area_type": area_type, "on": on.isoformat(), **answer.conflicts},
            )
        )
    return out
