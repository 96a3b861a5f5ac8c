"""Lookups worked out in advance (Lookup.warm_in_background, what `nhskg serve` starts) answer
exactly as lookups worked out on demand, for every organisation, geography type and method on
several dates, and the warm types are then answered from built timelines."""

from __future__ import annotations

from datetime import date

from service.geography.lookup import Lookup, LookupFailure
from service.geography.methods import METHODS
from service.rdf.store import GraphStore

DAYS = (date(2019, 6, 1), date(2020, 4, 8), date(2023, 1, 1))


def _answers(lookup: Lookup, codes: list[str]) -> dict[tuple[str, str, date, str], str]:
    out = {}
    for code in codes:
        for area_type in lookup.area_types():
            for day in DAYS:
                for method in METHODS:
                    try:
                        found = lookup.lookup(code, area_type, day, method).to_json()
                    except LookupFailure as failure:
                        found = f"refused: {failure}"
                    out[(code, area_type, day, method)] = found
    return out


def test_warmed_lookups_answer_as_cold_ones(sample_store: GraphStore) -> None:
    cold = Lookup.from_store(sample_store)
    warm = Lookup.from_store(sample_store)
    assert warm.warmed == set()
    warm.warm_in_background().join(timeout=300)
    assert warm.warmed == set(warm.area_types())
    assert all(warm.is_quick(t) for t in warm.area_types())
    codes = sorted(warm.placer.reference.organisations)
    assert len(codes) > 50
    expected = _answers(cold, codes)
    assert _answers(warm, codes) == expected
    assert any(not v.startswith("refused") for v in expected.values())
