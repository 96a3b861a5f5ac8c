"""The measured work, run in its own process by bench/core.py:run_child so that its wall time and
peak memory are its own. Writes one JSON object to --out.

    python -m bench.child national-load --data-dir DIR --store DIR [--validator fast|pyshacl]
    python -m bench.child validate --store DIR --validator fast|pyshacl
    python -m bench.child validate-synthetic --sites N --validator fast|pyshacl --store -
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from rdflib import Graph

from bench.core import memory_mb
from service import loader
from service.manifest import ManifestEntry, load_all
from service.mapping import derive
from service.mapping.engine import map_rows
from service.mapping.readers import read_rows
from service.mapping.spec import load_mapping
from service.rdf.store import GraphStore
from service.rdf.terms import ONTOLOGY_GRAPH
from service.validation import shacl, whole_graph
from service.validation.report import ValidationReport

VALIDATORS = {"fast": shacl.validate_graph, "pyshacl": shacl.validate_graph_pyshacl}


def _store_pyshacl(data: Any, locate: Any, **_: Any) -> ValidationReport:
    """Plain pySHACL on the loader's candidate + slice store (the 'before' path)."""
    return shacl.validate_graph_pyshacl(whole_graph.rdflib_graph(data), locate)


# What the loader calls (`loader.check_data`) with its Oxigraph store of candidate + slice.
STORE_VALIDATORS = {"fast": shacl.validate_store, "pyshacl": _store_pyshacl}


def national_load(data_dir: Path, store_dir: Path, validator: str) -> dict[str, Any]:
    if store_dir.exists():
        raise SystemExit(f"{store_dir} exists; the national load starts from a fresh store")
    validation_s: dict[str, float] = {}
    current: list[str] = []
    chosen = STORE_VALIDATORS[validator]

    def timed_validation(data: Any, locate: Any, **options: Any) -> ValidationReport:
        start = time.perf_counter()
        report = chosen(data, locate, **options)
        validation_s[current[-1]] = validation_s.get(current[-1], 0.0) + time.perf_counter() - start
        return report

    # Instrumentation only: the loader calls the validator through this module attribute.
    loader.check_data = timed_validation  # type: ignore[assignment]
    marks: list[tuple[str, float]] = []

    cpu_marks: list[float] = []

    def progress(entry: ManifestEntry) -> None:
        current.append(entry.file)
        marks.append((entry.file, time.perf_counter()))
        cpu_marks.append(time.process_time())

    start, cpu_start = time.perf_counter(), time.process_time()
    store = GraphStore(store_dir)
    results = load_all(store, data_dir, progress=progress)
    end, cpu_end = time.perf_counter(), time.process_time()
    by_file = {r.file: r for r in results}
    files = []
    for i, (name, t0) in enumerate(marks):
        t1 = marks[i + 1][1] if i + 1 < len(marks) else end
        result = by_file.get(Path(name).name)
        files.append(
            {
                "file": name,
                "status": result.status if result else "absent",
                "rows": result.rows if result else 0,
                "triples": result.triples if result else 0,
                "seconds": t1 - t0,
                "cpu_seconds": (cpu_marks[i + 1] if i + 1 < len(marks) else cpu_end) - cpu_marks[i],
                "validation_seconds": validation_s.get(name, 0.0),
            }
        )
    quads = store.quad_count()
    store.close()
    return {
        "load_all_seconds": end - start,
        # CPU time of the process (all threads): on a shared machine, wall time also measures
        # the other processes.
        "load_all_cpu_seconds": cpu_end - cpu_start,
        "all_loaded": all(r.ok for r in results),
        "quads": quads,
        "files": files,
    }


def mapped(path: Path, mapping_name: str) -> Graph:
    """A source file mapped to triples, as a load would before validating."""
    mapping = load_mapping(mapping_name)
    vintage = mapping.vintage_of(path.name) or ""
    rows = read_rows(path, mapping.source)
    if mapping.derive:
        rows = derive.apply(mapping.derive, rows, mapping.derive_options, path.parent)
    context = {"vintage": vintage, "file": path.name}
    return map_rows(mapping, rows, file_name=path.name, context=context).graph


def validate(store_dir: Path, validator: str, plus: Path | None, mapping: str) -> dict[str, Any]:
    store = GraphStore(store_dir, read_only=True)
    excluded = {str(ONTOLOGY_GRAPH), loader.PROVENANCE_GRAPH}
    data = store.union_graph(exclude=excluded)
    if plus is not None:
        data += mapped(plus, mapping)
    start = time.perf_counter()
    report = VALIDATORS[validator](data, lambda f, p, v: ("reference graph", None, None))
    seconds = time.perf_counter() - start
    findings = sorted({(f.focus, f.shape, f.value, f.rule) for f in report.findings}, key=str)
    return {
        "seconds": seconds,
        "triples": len(data),
        "conforms": report.conforms,
        "findings": [list(f) for f in findings],
    }


def validate_synthetic(sites: int, validator: str) -> dict[str, Any]:
    from bench.synthetic import synthetic_sites

    data = synthetic_sites(sites)
    start = time.perf_counter()
    report = VALIDATORS[validator](data, lambda f, p, v: ("synthetic", None, None))
    return {
        "seconds": time.perf_counter() - start,
        "triples": len(data),
        "conforms": report.conforms,
        "findings": len(report.findings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.child")
    parser.add_argument(
        "task", choices=["national-load", "validate", "validate-synthetic", "rollups"]
    )
    parser.add_argument("--path", help="rollups: rdflib | oxigraph | duckdb | engine")
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--queries", default="one date")
    parser.add_argument("--query-timeout", type=float, default=300.0)
    parser.add_argument("--sites", type=int, default=30_000)
    parser.add_argument("--plus", type=Path, help="a file to map and add to the graph")
    parser.add_argument("--mapping", default="")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--validator", choices=sorted(VALIDATORS), default="fast")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.task == "national-load":
        output = national_load(args.data_dir, args.store, args.validator)
    elif args.task == "rollups":
        from bench.rollups import child_task

        queries = args.queries.split(",")
        output = child_task(
            args.path, args.years, queries, args.data_dir, args.store, args.query_timeout
        )
    elif args.task == "validate":
        output = validate(args.store, args.validator, args.plus, args.mapping)
    else:
        output = validate_synthetic(args.sites, args.validator)
    output["peak_rss_mb"] = memory_mb("VmHWM")  # this process's own peak (bench/core.py)
    args.out.write_text(json.dumps(output))


if __name__ == "__main__":
    main()
