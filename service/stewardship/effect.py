"""The effect of a change set on published figures: the same roll-up on the current graph and on
the graph the change set would produce, row by row.

Each side places the organisations that report the metric in the period (after restatement to
their successors on that side) by the chosen method on the days the roll-up reads (the restatement
date, or each reported period's start), in a scratch numbers store holding a copy of the reported
values; then the roll-up engine runs unchanged on both. Nothing is written to the real stores.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service.geography.assign import Placer
from service.rdf.store import GraphStore
from service.returns.codes import Successions, graph_successions, successor_on
from service.returns.numbers import NumbersStore
from service.rollup.engine import materialise_org_areas, rollup
from service.rollup.model import (
    AS_REPORTED,
    DEFAULT_METHOD,
    NATIONAL,
    Method,
    Restate,
    RollupResult,
    Scope,
)


@dataclass(frozen=True)
class FigureQuestion:
    """Which figure to compare: a metric (IRI) rolled up to an area type on a date or over a
    range, by a placement method, as reported or restated to the organisations of a date."""

    metric: str
    area_type: str
    when: date | tuple[date, date]
    method: Method = DEFAULT_METHOD
    restate: Restate = AS_REPORTED
    source: str | None = None  # the catchment table, for CATCHMENT (one table at a time)
    scope: Scope = NATIONAL  # whose figures: the caller's scope (service/access/policy.py)

    def describe(self) -> str:
        when = self.when if isinstance(self.when, date) else f"{self.when[0]}..{self.when[1]}"
        restated = f", restated to organisations at {self.restate.at}" if self.restate.at else ""
        return (
            f"{self.metric.rsplit('#', 1)[-1]} by {self.area_type} on {when} "
            f"by {self.method.value}{restated}"
        )


@dataclass(frozen=True)
class RowChange:
    area: str
    period_start: date
    before: float | None  # None: the row is new
    after: float | None  # None: the row disappears
    contributors_before: tuple[str, ...] = ()
    contributors_after: tuple[str, ...] = ()

    @property
    def change(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "period_start": self.period_start.isoformat(),
            "before": self.before,
            "after": self.after,
            "change": round(self.change, 6),
        }


@dataclass
class FigureEffect:
    question: FigureQuestion
    before: RollupResult
    after: RollupResult
    changes: list[RowChange] = field(default_factory=list)

    def text(self) -> list[str]:
        head = f"  effect on {self.question.describe()}:"
        if not self.changes:
            return [head, f"    no row changes ({len(self.before.rows)} rows compared)"]
        return [head] + [
            f"    {c.area} {c.period_start}: {_num(c.before)} -> {_num(c.after)} ({c.change:+g})"
            for c in self.changes
        ]


def _num(value: float | None) -> str:
    return "(no row)" if value is None else f"{value:g}"


def figure_effect(
    numbers: NumbersStore, question: FigureQuestion, current: GraphStore, candidate: GraphStore
) -> FigureEffect:
    """The roll-up on the current graph and on the candidate graph, and the rows that differ."""
    before = figures_on(numbers, question, current)
    after = figures_on(numbers, question, candidate)
    return FigureEffect(question, before, after, compare(before, after))


def figures_on(
    numbers: NumbersStore, question: FigureQuestion, store: GraphStore, *, fresh: bool = False
) -> RollupResult:
    """The roll-up with organisations placed by the reference graph of `store` (`fresh`: read
    the reference again rather than reuse the snapshot of the same graphs)."""
    start, end = question.when if isinstance(question.when, tuple) else (question.when,) * 2
    successions = graph_successions(store)
    scratch = NumbersStore(None)
    try:
        reported = _copy_values(numbers, scratch, question.metric, start, end)
        days = [question.restate.at] if question.restate.at else sorted({d for _, d in reported})
        targets = {t for code, _ in reported for t in _targets(code, question.restate, successions)}
        snapshot = _snapshot(store, fresh)
        snapshot.placer.check_type(question.area_type)  # UnknownAreaType names the known ones
        rows = _placements(snapshot, question, sorted(targets), days)
        materialise_org_areas(scratch, rows, question.method)
        return rollup(
            scratch,
            question.metric,
            question.area_type,
            question.when,
            question.method,
            question.restate,
            question.scope,
            successions=successions,
        )
    finally:
        scratch.close()


# One reference snapshot per store and set of current graphs, with the placements made on it:
# reading the national reference and placing every reporting trust take seconds each, and a dry
# run, an apply and a revert compare the same graphs again.
@dataclass
class _Snapshot:
    graphs: tuple[str, ...]
    placer: Placer
    rows: dict[tuple[Any, ...], list[tuple[Any, ...]]] = field(default_factory=dict)


_SNAPSHOTS: weakref.WeakKeyDictionary[GraphStore, _Snapshot] = weakref.WeakKeyDictionary()


def _snapshot(store: GraphStore, fresh: bool = False) -> _Snapshot:
    graphs = tuple(store.current_graphs())
    cached = _SNAPSHOTS.get(store)
    if fresh or cached is None or cached.graphs != graphs:
        cached = _SNAPSHOTS[store] = _Snapshot(graphs, Placer.from_store(store))
    return cached


def _copy_values(
    numbers: NumbersStore, scratch: NumbersStore, metric: str, start: date, end: date
) -> list[tuple[str, date]]:
    frame = numbers.con.execute(  # noqa: F841 (read by DuckDB's replacement scan below)
        "SELECT * REPLACE (coalesce(sheet, '') AS sheet, coalesce(cell, '') AS cell) "
        "FROM reported_value WHERE metric = ? AND period_start BETWEEN ? AND ?",
        [metric, start, end],
    ).fetchnumpy()
    scratch.con.execute(
        "INSERT INTO reported_value SELECT * REPLACE (CAST(period_start AS DATE) AS period_start, "
        "CAST(period_end AS DATE) AS period_end) FROM frame"
    )
    scratch.refresh_reporters()  # the engine reads who reports what for coverage
    return [
        (str(code), day)
        for code, day in scratch.con.execute(
            "SELECT DISTINCT org_code, period_start FROM reported_value"
        ).fetchall()
    ]


def _targets(code: str, restate: Restate, successions: Successions) -> set[str]:
    """The code and the organisations the engine may restate it to (all of a split's)."""
    if restate.at is None:
        return {code}
    return {code, *successor_on(code, restate.at, successions)}


def _placements(
    snapshot: _Snapshot, question: FigureQuestion, organisations: list[str], days: list[date]
) -> list[tuple[Any, ...]]:
    """org_area rows (area_type, org, area, share, from, to, source) valid on each day asked
    for."""
    out: list[tuple[Any, ...]] = []
    for org in organisations:
        for day in days:
            key = (question.method, question.area_type, question.source, org, day)
            if key not in snapshot.rows:
                snapshot.rows[key] = _placed(snapshot.placer, question, org, day)
            out += snapshot.rows[key]
    return out


def _placed(placer: Placer, question: FigureQuestion, org: str, day: date) -> list[tuple[Any, ...]]:
    for p in placer.place_by(question.method.value, org, question.area_type, day):
        if question.source and p.source != question.source:
            continue
        if p.shares:  # one catchment table: the one named, else the first with an answer
            return [
                (question.area_type, org, a, s, day, day, p.source) for a, s in p.shares.items()
            ]
    return []


def canonical(result: RollupResult) -> tuple[Any, ...]:
    """A roll-up result in full (rows, contributors, coverage, unmapped), in an order that does
    not depend on ties in the engine's sort, values to 1e-9: for comparing results whole."""
    rows = sorted(
        (
            r.area,
            r.period_start,
            r.period_end,
            round(r.value, 9),
            r.coverage.reported,
            r.coverage.expected,
            tuple(r.coverage.missing),
            tuple(sorted((c.organisation, c.share, c.value) for c in r.contributors)),
        )
        for r in result.rows
    )
    unmapped = sorted((u.organisation, u.period_start, u.value) for u in result.unmapped)
    return (result.metric, result.area_type, result.method, result.restate, rows, unmapped)


def compare(before: RollupResult, after: RollupResult) -> list[RowChange]:
    """Rows whose value differs (beyond float noise), appear or disappear, by area and period."""
    old = {(r.area, r.period_start): r for r in before.rows}
    new = {(r.area, r.period_start): r for r in after.rows}
    out = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        va, vb = (a.value if a else None), (b.value if b else None)
        if va is not None and vb is not None and abs(va - vb) <= 1e-9 * max(1.0, abs(va)):
            continue
        out.append(
            RowChange(
                key[0],
                key[1],
                va,
                vb,
                tuple(sorted(c.organisation for c in a.contributors)) if a else (),
                tuple(sorted(c.organisation for c in b.contributors)) if b else (),
            )
        )
    return out
