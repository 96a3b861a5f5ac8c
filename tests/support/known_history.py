"""A reference history spanning days, for the `asKnownAt` tests: the embedded sample as loaded
(its load times kept), the sample return and a cases file loaded, and a steward's correction
recorded two days later (Bournemouth, Christchurch and Poole moved from Dorset LRF to another
from 2020-04-01, University Hospitals Dorset renamed). The store records its writes at the time
its clock gives: the one way to hold a history spanning days in a test (the store is otherwise
the real one)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from service.geography.table import org_area_rows, write_duckdb
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.reference import ReferenceData
from service.reference.placement import read_reference
from service.returns.area_load import load_area_file
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.stewardship.changeset import parse_changeset
from service.stewardship.workflow import apply
from tests.support.areas import cases_file

BCP, DORSET, OTHER_LRF = "E06000058", "E48000009", "E48000010"
DORSET_LAD = "E06000059"  # Dorset (the unitary district): stays in Dorset LRF
SAMPLE_RETURN = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"
ON = "2020-04-06"  # a day the sample return reports (RD3 and RDZ, headquartered in BCP)
NEW_NAME = "Dorset Hospitals (renamed by a steward)"
CORRECTION = {
    "id": "bcp-to-another-lrf",
    "author": "a.steward@example.nhs.uk",
    "reason": "test correction",
    "changes": [
        {"end_area_membership": {"member": BCP, "parent": DORSET, "last_day": "2020-03-31"}},
        {"area_membership": {"member": BCP, "parent": OTHER_LRF, "from": "2020-04-01"}},
        {"rename": {"code": "R0D", "name": NEW_NAME, "from": "2026-08-01"}},
    ],
}


def nquads(store: GraphStore) -> bytes:
    out = io.BytesIO()
    store.dump(out, ox.RdfFormat.N_QUADS)
    return out.getvalue()


def record_history(sample_store: GraphStore, base: Path) -> dict[str, Any]:
    """An on-disk store under `base` holding the sample as loaded and the correction recorded
    two days after the load, with a numbers store whose org_area was placed before the
    correction and kept in step by it (as `apply` keeps it)."""
    store = GraphStore(base / "store")
    store.restore(nquads(sample_store), ox.RdfFormat.N_QUADS)
    first = store.first_written()
    assert first is not None
    loaded = first.date()
    changed = loaded + timedelta(days=2)
    before = ReferenceData.build(store)
    write_duckdb(
        org_area_rows(before.lookup.placer, area_types=["LRF"], timelines=before.lookup.timelines),
        base / "numbers.duckdb",
    )
    numbers = NumbersStore(base / "numbers.duckdb")
    assert load_return_file(store, numbers, SAMPLE_RETURN).status == "loaded"
    cases = cases_file(base, "2020-04-20", [(BCP, "ltla", ON, "11"), (DORSET_LAD, "ltla", ON, "5")])
    assert load_area_file(store, numbers, cases, read_reference(store)).status == "loaded"
    store.clock = lambda: datetime.combine(changed, time(12), tzinfo=UTC)
    assert apply(store, parse_changeset(CORRECTION), numbers).status == "applied"
    now = ReferenceData.current(store)  # saved with the store: the CLI reads it back
    return {
        "store": store, "numbers": numbers, "loaded": loaded, "changed": changed, "now": now,
        "numbers_path": base / "numbers.duckdb",
    }  # fmt: skip
