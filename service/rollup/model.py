"""The terms of a roll-up request and result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from service.reference.vocabulary import default_method_key, method_keys

if TYPE_CHECKING:

    class Method(StrEnum):
        """How an organisation is placed in an area: one member per placement method of the
        ontology (ontology/placement.ttl), made at run time from that one list."""

else:
    Method = StrEnum("Method", [(key, key) for key in method_keys()], module=__name__)
    Method.__doc__ = "How an organisation is placed in an area (ontology/placement.ttl)."

# The method whose region is the one each value's return states (no org_area rows of its own).
RETURN_STATED = Method("RETURN_STATED")
# The method of values reported by area: area to area through the dated memberships.
AREA_MEMBERSHIP = Method("AREA_MEMBERSHIP")

# The method lookups and roll-ups use when none is named: the one the ontology marks
# nhskg:isDefault (HEADQUARTERS places the most of the COVID beds of 2020-04-15 as reported in
# every geography type it reaches: the measurements are in the README, bench/placed_share.py).
DEFAULT_METHOD = Method(default_method_key())


@dataclass(frozen=True)
class Restate:
    """AS_REPORTED: each value stays with the organisation it is stored under. TO_ORGANISATIONS_AT:
    each value moves to the organisation(s) that carry the reporting one on at `at`."""

    kind: str = "AS_REPORTED"
    at: date | None = None


AS_REPORTED = Restate()


def to_organisations_at(day: date) -> Restate:
    return Restate("TO_ORGANISATIONS_AT", day)


@dataclass(frozen=True)
class Scope:
    """national; a region (NHS England region code, Yxx); one organisation (ODS code); or a set
    of organisations (`codes`: what a caller's grant covers, service/access/policy.py)."""

    kind: str = "national"
    code: str | None = None
    codes: frozenset[str] = frozenset()
    # With `codes`: organisations whose values count when the region their return states is
    # one of `regions` (those the ODS files place in no region).
    regions: frozenset[str] = frozenset()
    stated: frozenset[str] = frozenset()

    def covers(self, organisation: str, area: str) -> bool:
        """Whether an organisation counted in `area` is in a set-of-organisations scope."""
        return organisation in self.codes or (organisation in self.stated and area in self.regions)


NATIONAL = Scope()


def region(code: str) -> Scope:
    return Scope("region", code)


def organisation(code: str) -> Scope:
    return Scope("organisation", code)


@dataclass
class Contributor:
    organisation: str  # the organisation the value counts for (after restatement)
    share: float  # of the value the area receives: restatement share x placement share
    value: float  # as reported (summed over the range for a flow); the area receives value * share
    # The organisation whose return it is, when restatement moved it to another one (a split
    # predecessor's value shows under each successor with that successor's restatement share).
    reported_by: str | None = None
    restatement_share: float = 1.0
    source: str | None = None  # the catchment table that placed it (CATCHMENT)
    suppressed: int = 0  # of its values, how many the source suppressed (no number; not in value)
    # A ratio metric's contributor (value: its own ratio): the parts it gives the area.
    numerator: float | None = None
    denominator: float | None = None


@dataclass
class Coverage:
    reported: int
    expected: int
    missing: list[str] = field(default_factory=list)


@dataclass
class RollupRow:
    area: str
    period_start: date
    period_end: date
    value: float
    contributors: list[Contributor]
    coverage: Coverage
    # Organisations the method places in the area that are outside the caller's scope: their
    # values are withheld from `value` (0 for a national caller).
    withheld: int = 0
    # PERTURBED when the figure is summed from perturbed values (service/access/disclosure.py).
    protection: str | None = None
    # Cells the source suppressed (UKHSA's MSOA counts of 0-2): counted here, not in `value`.
    suppressed: int = 0
    # A ratio metric (service/rollup/ratio.py): the sums over the same contributors, and the
    # organisations with a value of one part only (left out of both sums).
    numerator: float | None = None
    denominator: float | None = None
    one_part: list[str] = field(default_factory=list)


@dataclass
class Unmapped:
    organisation: str
    period_start: date
    value: float  # the amount no area took (for a flow over a range: summed over the range)
    period_end: date | None = None
    reason: str = ""  # e.g. "split without weights (R0A, RM3)", "not placed in any LRF ..."
    reported_by: str | None = None  # the organisation whose return it is, when restated
    # For an organisation placed in part: the share some area took (the rest is this value),
    # and the share at sites with no known location (SITES); None when placed nowhere.
    placed_share: float | None = None
    unlocated_share: float | None = None
    suppressed: int = 0  # suppressed cells among the unmapped values (not in `value`)


@dataclass(frozen=True)
class UnmappedSummary:
    total: float  # the sum of the unmapped values
    count: int  # how many unmapped values there are
    organisations: list[str]  # each organisation with an unmapped value once, sorted


@dataclass
class RollupResult:
    metric: str
    area_type: str
    method: Method
    restate: Restate
    kind: str  # Stock | Flow | Ratio
    rows: list[RollupRow]
    unmapped: list[Unmapped]  # contributors in scope that no area of this type takes
    unmapped_summary: UnmappedSummary
    # False: asked without detail, the rows have no contributors and `unmapped` is empty; the
    # figures, coverage and unmapped_summary are the same as with detail.
    detail: bool = True
    protection: str | None = None  # PERTURBED: every figure of the result is (disclosure control)
    # Values reported by area (AREA_MEMBERSHIP): the type of the areas summed (LAD, MSOA ...).
    reported_type: str | None = None
