"""Ratio metrics rolled up: the sum of the numerator over an area's contributors divided by the
sum of the denominator over the SAME contributors, never a mean or a sum of rates.

A ratio metric (nhskg:RatioMetric in ontology/metrics.ttl) names its numerator and denominator
metrics; both are rolled up by the one engine (service/rollup/engine.py) with the same geography,
method, restatement and scope, and matched per area, period and organisation counted. An
organisation with a value of one part only (occupied beds but no available beds that month) is
left out of both sums and listed in the row's `one_part`; coverage counts the organisations
with both parts. An area whose denominator sums to 0 over the common contributors has no ratio
and no row (its coverage shows who reported).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any

from rdflib import URIRef

from service.rdf.vocab import NHSKG
from service.rollup.model import Contributor, Coverage, RollupResult, RollupRow, Unmapped
from service.validation.shacl import ontology_graph


@lru_cache(maxsize=256)
def ratio_parts(metric: str) -> tuple[str, str] | None:
    """(numerator IRI, denominator IRI) of a ratio metric; None for any other metric."""
    graph = ontology_graph()
    top = graph.value(URIRef(metric), NHSKG.numeratorMetric)
    bottom = graph.value(URIRef(metric), NHSKG.denominatorMetric)
    return (str(top), str(bottom)) if top is not None and bottom is not None else None


def _by_organisation(row: RollupRow | None) -> dict[str, float]:
    """What each organisation counted gives the area (value x share, restated parts added)."""
    out: dict[str, float] = defaultdict(float)
    for c in row.contributors if row else []:
        out[c.organisation] += c.value * c.share
    return out


def _coverage(rows: list[RollupRow | None], common: set[str]) -> Coverage:
    expected: set[str] = set(common)
    for row in rows:
        if row is not None:
            expected |= {c.organisation for c in row.contributors} | set(row.coverage.missing)
    return Coverage(len(common), len(expected), sorted(expected - common))


def ratio_rollup(
    run: Callable[..., RollupResult],
    numbers: Any,
    metric: str,
    parts: tuple[str, str],
    area_type: str,
    when: date | tuple[date, date],
    method: Any,
    restate: Any,
    scope: Any,
    *,
    successions: Any,
    series: bool,
    detail: bool,
) -> RollupResult:
    """`run` is the engine's rollup: both parts are rolled up with contributors (to match them),
    which `detail=False` drops from the answer."""
    kw = {"successions": successions, "series": series, "detail": True}
    top = run(numbers, parts[0], area_type, when, method, restate, scope, **kw)
    bottom = run(numbers, parts[1], area_type, when, method, restate, scope, **kw)
    tops = {(r.area, r.period_start): r for r in top.rows}
    bottoms = {(r.area, r.period_start): r for r in bottom.rows}
    rows: list[RollupRow] = []
    for key in sorted(set(tops) | set(bottoms)):
        t, b = tops.get(key), bottoms.get(key)
        t_orgs, b_orgs = _by_organisation(t), _by_organisation(b)
        common = set(t_orgs) & set(b_orgs)
        numerator = sum(t_orgs[o] for o in common)
        denominator = sum(b_orgs[o] for o in common)
        if denominator <= 0:
            continue
        shaped = b or t
        assert shaped is not None
        contributors = [
            Contributor(
                o,
                1.0,
                t_orgs[o] / b_orgs[o] if b_orgs[o] else 0.0,
                numerator=t_orgs[o],
                denominator=b_orgs[o],
            )
            for o in sorted(common)
        ]
        rows.append(
            RollupRow(
                key[0],
                shaped.period_start,
                shaped.period_end,
                numerator / denominator,
                contributors if detail else [],
                _coverage([t, b], common),
                withheld=max(t.withheld if t else 0, b.withheld if b else 0),
                numerator=numerator,
                denominator=denominator,
                one_part=sorted(set(t_orgs) ^ set(b_orgs)),
            )
        )
    unmapped = [_part(u, "numerator") for u in top.unmapped] + [
        _part(u, "denominator") for u in bottom.unmapped
    ]
    return RollupResult(
        metric,
        area_type,
        top.method,
        top.restate,
        "Ratio",
        rows,
        unmapped if detail else [],
        bottom.unmapped_summary,
        detail=detail,
    )


def _part(u: Unmapped, which: str) -> Unmapped:
    u.reason = f"{which}: {u.reason}"
    return u
