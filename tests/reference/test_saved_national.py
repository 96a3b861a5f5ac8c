"""The reference snapshot saved with the national store answers exactly as a freshly built one."""

from __future__ import annotations

from datetime import date

from service.rdf.store import GraphStore
from service.reference import ReferenceData, saved
from tests.support.snapshots import answers, current, differences

# Old and current trusts: merged (RD3 -> R0D), split without weights (RW6), large (RJ1, RXX).
CODES = ["RD3", "RDZ", "R0D", "RW6", "RM3", "R0A", "RJ1", "RXX", "RYJ", "RTH"]
DAYS = [date(2020, 4, 15), date(2022, 7, 1)]
AREA_TYPES = ["NHS_REGION", "ICB", "LRF"]


def test_the_saved_national_snapshot_answers_as_a_fresh_build(national_store: GraphStore) -> None:
    fresh = ReferenceData.build(national_store)
    saved.save(national_store, fresh, saved.fingerprint(national_store))
    loaded, built = current(national_store)
    assert built == 0, "the saved snapshot was not read"
    assert loaded is not fresh
    assert differences(loaded, fresh) == []  # every field, before either is used
    assert answers(loaded, CODES, DAYS, AREA_TYPES) == answers(fresh, CODES, DAYS, AREA_TYPES)
