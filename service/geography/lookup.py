"""Which areas of a type is an organisation in, on a date, by a named method: the apps' lookup.

Old codes resolve first (RD3 asked about 2021 is R0D's, through the 2020-10-01 merger); the
resolved organisation(s) are then placed by the method. Every answer names the method, carries
the evidence, and says when the methods disagree.

Placements are read from the organisations' timelines (service/geography/timeline.py): each
(organisation, area type) is worked out once, on the dates its facts change, the first time it is
asked about (or all at once by `warm()`); later lookups are a dictionary look-up and a bisection.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, fields
from datetime import date
from typing import TYPE_CHECKING, Any

from service import heap
from service.geography.assign import Placer
from service.geography.carrying_on import IndexCarryingOn
from service.geography.methods import METHODS
from service.geography.millionths import rounded
from service.geography.sites import is_site, operations_of, operator_on, site_areas
from service.geography.timeline import Timelines
from service.rdf.store import GraphStore
from service.reference.asof import AsOf
from service.reference.organisations import near_matches
from service.returns.codes import unweighted_split_reason

if TYPE_CHECKING:  # service.reference's package imports this module: read when building
    from service.reference.practices import PracticeIndex


class LookupFailure(ValueError):
    """A lookup that cannot be answered, with what the caller should know (status, message)."""

    def __init__(self, status: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status  # unknown_code | unknown_area_type | unknown_method | not_yet_open
        self.message = message
        self.details = details


@dataclass
class LookupAnswer:
    code: str
    as_of: date
    geography_type: str
    method: str
    # open | closed (answered for its successors) | site (answered for its operator) | practice
    # (a GP practice, placed through its commissioner: method COMMISSIONER)
    status: str
    message: str
    resolved: list[dict[str, Any]] = field(default_factory=list)
    areas: list[dict[str, Any]] = field(default_factory=list)  # code, name, share
    primary_area: dict[str, Any] | None = None
    coverage: float = 0.0
    # The share of the organisation the areas take (= coverage), the share at sites with no
    # known location (SITES), and where the rest went in words (None when all is placed).
    placed_share: float = 0.0
    unlocated_share: float = 0.0
    unplaced: str | None = None
    split_weighting: str | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    conflicts: dict[str, str] | None = None
    reason: str | None = None  # why there are no areas, when there are none
    # The date the reference was read as known at (asKnownAt); None: as known now.
    known_at: date | None = None

    def to_json(self) -> str:
        """The answer as JSON (the REST body): a shallow walk, its parts are plain already
        (dataclasses.asdict would deep-copy every evidence entry first)."""
        body = {f.name: getattr(self, f.name) for f in fields(self)}
        body["as_of"] = self.as_of.isoformat()
        body["known_at"] = self.known_at.isoformat() if self.known_at else None
        return json.dumps(body, default=str)


class Lookup:
    """In-memory lookup over the as-of index (successions, lifetimes) and the placer."""

    def __init__(self, asof: AsOf, placer: Placer, practices: PracticeIndex | None = None) -> None:
        self.asof = asof
        self.placer = placer
        from service.geography.practices import PracticePlacer
        from service.reference.practices import PracticeIndex

        self.practices = PracticePlacer(practices or PracticeIndex([]), placer)
        self.timelines = Timelines(placer)
        self._area_types = placer.reference.api_names()
        self.warmed: set[str] = set()  # area types whose timelines are all built
        self._known_codes: list[str] | None = None  # sorted, for near matches

    @classmethod
    def from_store(cls, store: GraphStore) -> Lookup:
        asof = AsOf(store)
        placer = Placer.from_store(store, IndexCarryingOn(asof.successions))
        from service.reference.practices import PracticeIndex

        return cls(asof, placer, PracticeIndex.build(store))

    def warm(self, area_types: list[str] | None = None) -> int:
        """Work out every organisation's timeline in these (or all) area types now, so that no
        lookup pays for it; the number of segments."""
        types = area_types or self.area_types()
        segments = self.timelines.warm(types)
        self.warmed.update(types)
        return segments

    def warm_in_background(self) -> threading.Thread:
        """`warm` every area type, one at a time, on a daemon thread (a server's start-up: it
        answers meanwhile, and a type's lookups run on the event loop once it is warm). Under
        load, a national type's first lookups otherwise each build timelines in a worker."""

        def run() -> None:
            for area_type in self.area_types():
                self.warm([area_type])
                heap.grown()  # the timelines kept out of the collector's way (service/heap.py)

        thread = threading.Thread(target=run, name="warm-lookups", daemon=True)
        thread.start()
        return thread

    def is_quick(self, geography_type: str) -> bool:
        """True when a lookup in this area type reads built timelines only (microseconds), so
        it can run on the event loop instead of a worker thread."""
        return geography_type in self.warmed

    def name_of(self, code: str) -> str:
        life = self.asof.lifetimes.get(code)
        return life.name if life else code

    def area_types(self) -> list[str]:
        return self._area_types

    def lookup(self, code: str, geography_type: str, on: date, method: str) -> LookupAnswer:
        method = method.upper()
        if method not in METHODS:
            raise LookupFailure("unknown_method", f"unknown method {method!r}", known=list(METHODS))
        if geography_type not in self.area_types():
            raise LookupFailure(
                "unknown_area_type",
                f"unknown geography type {geography_type!r}",
                known=self.area_types(),
            )
        if self.practices.practices.get(code) is not None:
            return self._practice(code, geography_type, on, method)
        state = self.asof.organisation_on(code, on)
        if state.status == "unknown" and is_site(self.placer.ctx, code):
            return self._site(code, geography_type, on, method)
        if state.status == "unknown":
            raise LookupFailure(
                "unknown_code",
                f"unknown organisation code {code!r}",
                near_matches=self.near_matches(code),
            )
        if state.status == "not_yet_open":
            raise LookupFailure(
                "not_yet_open",
                state.message,
                opened=state.lifetime.opened.isoformat() if state.lifetime else None,
            )
        answer = LookupAnswer(
            code.strip().upper(), on, geography_type, method, state.status, state.message
        )
        answer.resolved = self._resolved(state)
        self._place(answer)
        return answer

    def _site(self, code: str, geography_type: str, on: date, method: str) -> LookupAnswer:
        """A site code: who runs it on the date (the organisation carrying on the operator its
        covering operation lists); SITES places the site by its own location, the other
        methods place the organisation running it."""
        run = operator_on(self.placer.ctx, code, on)
        if not run.operators:
            raise LookupFailure("not_yet_open", str(run.reason), site=run.site)
        names = ", ".join(f"{c} ({self.name_of(c)})" for c in run.operators)
        answer = LookupAnswer(
            run.site, on, geography_type, method, "site", f"site {run.site} is run by {names}"
        )
        answer.resolved = self.site_operators(run.site, on)
        if method != "SITES":
            self._place(answer)
            return answer
        shares, evidence = site_areas(self.placer.ctx, run.site, geography_type, on)
        answer.areas = [
            {"code": a, "name": self.placer.area_label(a), "share": round(s, 6)}
            for a, s in sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        answer.primary_area = answer.areas[0] if answer.areas else None
        answer.coverage = round(sum(shares.values()), 6)
        answer.evidence = [*run.evidence, *evidence]
        if not shares:
            answer.reason = f"site {run.site} has no location in a {geography_type} on {on}"
        return answer

    def _practice(self, code: str, geography_type: str, on: date, method: str) -> LookupAnswer:
        """A GP practice: placed through the commissioner holding on the date (the trusts'
        methods do not apply: the answer's method is COMMISSIONER whatever was asked)."""
        placed = self.practices.areas(code, geography_type, on)
        practice = self.practices.practices.get(code)
        assert practice is not None
        if practice.open_date is not None and on < practice.open_date:
            raise LookupFailure(
                "not_yet_open", str(placed.reason), opened=practice.open_date.isoformat()
            )
        held = (
            f"commissioned by {placed.commissioner} ({placed.commissioner_area or 'no area'})"
            if placed.commissioner
            else "no commissioner held"
        )
        answer = LookupAnswer(
            practice.code,
            on,
            geography_type,
            "COMMISSIONER",
            "practice",
            f"GP practice {practice.code} ({practice.name}), {held} on {on}; placed through "
            f"its commissioner ({method} places trusts, not practices)",
        )
        answer.resolved = [
            {"code": practice.code, "name": practice.name, "weight": 1.0, "events": []}
        ]
        answer.areas = [
            {"code": a, "name": self.placer.area_label(a), "share": round(s, 6)}
            for a, s in sorted(placed.shares.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        answer.primary_area = answer.areas[0] if answer.areas else None
        answer.coverage = answer.placed_share = round(sum(placed.shares.values()), 6)
        answer.reason = answer.unplaced = placed.reason
        if placed.commissioner:
            answer.evidence = [
                {
                    "practice": practice.code,
                    "commissioner": placed.commissioner,
                    "commissioner_area": placed.commissioner_area,
                    "pcn": placed.pcn,
                    "source": placed.source,
                    "statement": placed.statement,
                    "basis": placed.basis,
                    "districts": placed.districts,
                }
            ]
        return answer

    def site_operators(self, code: str, on: date) -> list[dict[str, Any]]:
        """The organisations running a site on a date: those carrying on the operator its
        covering operation lists, with the succession events from that operator."""
        run = operator_on(self.placer.ctx, code, on)
        if run.listed_operator is None:
            return []
        state = self.asof.organisation_on(run.listed_operator, on)
        if state.status in ("unknown", "not_yet_open"):
            return [
                {"code": c, "name": self.name_of(c), "weight": None, "events": []}
                for c in run.operators
            ]
        return self._resolved(state)

    def site_operations(self, code: str) -> list[tuple[str, date, date | None]]:
        """(listed operator, from, to) of each operation of a site, oldest first."""
        return [(op.operator, op.start, op.end) for op in operations_of(self.placer.ctx, code)]

    def carried_on_by(self, code: str, on: date) -> tuple[str, str, list[dict[str, Any]]]:
        """(status, message, the organisations carrying `code` on at `on` with the events from
        it); the organisation itself while open."""
        state = self.asof.organisation_on(code, on)
        if state.status in ("unknown", "not_yet_open"):
            return state.status, state.message, []
        return state.status, state.message, self._resolved(state)

    def _resolved(self, state: Any) -> list[dict[str, Any]]:
        return [
            {"code": org, "name": self.name_of(org), "weight": weight, "events": chain}
            for org, weight, chain in self._carriers(state)
        ]

    def _carriers(self, state: Any) -> list[tuple[str, float | None, list[dict[str, Any]]]]:
        if state.status == "open" or state.successors is None:
            return [(state.code, 1.0, [])]
        return [
            (
                s.code,
                s.weight,
                [
                    {
                        "event": step.event,
                        "type": step.type,
                        "date": step.effective.isoformat(),
                        "basis": step.basis,
                        "predecessors": list(step.originals),
                        "successors": list(step.resultings),
                    }
                    for step in s.chain
                ],
            )
            for s in state.successors.successors
        ]

    def _place(self, answer: LookupAnswer) -> None:
        weights = [r["weight"] for r in answer.resolved]
        if any(w is None for w in weights):
            # As the roll-up: an unweighted split is not divided among its successors (they are
            # listed in `resolved`), and both answers say why in the same words.
            answer.split_weighting = "unweighted split: not divided"
            answer.reason = unweighted_split_reason([r["code"] for r in answer.resolved])
            answer.unplaced = answer.reason
            return
        shares: dict[str, float] = {}
        reasons: list[str] = []
        unplaced: list[str] = []
        for resolved, weight in zip(answer.resolved, weights, strict=True):
            full = self.timelines.answer(resolved["code"], answer.geography_type, answer.as_of)
            if full.conflicts:
                answer.conflicts = {**(answer.conflicts or {}), **full.conflicts}
            # One placement per method (CATCHMENT: the table catchment_policy chose).
            p = next((p for p in full.placements if p.method == answer.method), None)
            if p is None:
                continue
            if not p.shares and p.reason:
                reasons.append(f"{resolved['code']}: {p.reason}")
            for area, share in rounded(p.shares).items():  # as org_area holds them
                shares[area] = shares.get(area, 0.0) + weight * share
            answer.coverage += weight * p.coverage
            answer.unlocated_share += weight * p.unlocated
            if (text := p.unplaced_text()) is not None and p.shares:
                unplaced.append(f"{resolved['code']}: {text}" if len(weights) > 1 else text)
            answer.evidence += [{"organisation": resolved["code"], **e} for e in p.evidence]
        answer.areas = [
            {"code": a, "name": self.placer.area_label(a), "share": round(s, 6)}
            for a, s in sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        answer.primary_area = answer.areas[0] if answer.areas else None
        answer.coverage = round(answer.coverage, 6)
        answer.placed_share = answer.coverage
        answer.unlocated_share = round(answer.unlocated_share, 6)
        answer.reason = "; ".join(reasons) or None
        answer.unplaced = "; ".join(unplaced) or answer.reason

    def near_matches(self, code: str, limit: int = 5) -> list[str]:
        if self._known_codes is None:
            self._known_codes = sorted(self.asof.lifetimes)
        return near_matches(code, self._known_codes, limit)
