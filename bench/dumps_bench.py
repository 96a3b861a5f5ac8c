"""The national reference graph through its N-Quads dump: dump, restore into a fresh in-memory
store, dump again and compare the two as datasets (`service/rdf/dumps.py`); and the JSON-LD dump.
Runs last (it is not in registry.ORDER), in this process."""

from __future__ import annotations

import io
import time

from bench.core import Context, Row, benchmark, row
from bench.national import national_store


@benchmark("dumps")
def dump_round_trip(ctx: Context) -> list[Row]:
    import pyoxigraph as ox

    from service.rdf.dumps import same_dataset, write_dump
    from service.rdf.store import GraphStore

    path = national_store(ctx)
    if path is None:
        return [row("N-Quads dump of the national graph", None, "s", note="national load failed")]
    store = GraphStore(path, read_only=True)
    started = time.perf_counter()
    dump = io.BytesIO()
    write_dump(store, dump, "nquads")
    dumped = time.perf_counter()
    fresh = GraphStore(None)
    fresh.restore(dump.getvalue(), ox.RdfFormat.N_QUADS)
    restored = time.perf_counter()
    again = io.BytesIO()
    write_dump(fresh, again, "nquads")
    comparison = same_dataset(dump.getvalue(), again.getvalue())
    compared = time.perf_counter()
    jsonld = io.BytesIO()
    write_dump(store, jsonld, "jsonld")
    done = time.perf_counter()
    note = f"{comparison.text()}; {len(dump.getvalue()) / 1e6:.0f} MB"
    return [
        row("N-Quads dump of the national graph", dumped - started, "s", note=note),
        row("restore into a fresh in-memory store", restored - dumped, "s"),
        row(
            "dump again and compare (same_dataset)",
            compared - restored,
            "s",
            note="same" if comparison.same else "DIFFERENT",
        ),
        row(
            "JSON-LD dump (compact IRIs, published context)",
            done - compared,
            "s",
            note=f"{len(jsonld.getvalue()) / 1e6:.0f} MB",
        ),
    ]
