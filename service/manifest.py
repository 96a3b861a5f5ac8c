"""The load order of the reference files and the returns (mappings/manifest.yaml), loading them
all, and the organisation -> area table the roll-ups join, built after the returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from service.geography.assign import Placer
from service.geography.carrying_on import IndexCarryingOn
from service.geography.table import materialise
from service.loader import LoadResult, load_file
from service.rdf.store import GraphStore
from service.rdf.terms import MAPPINGS_DIR
from service.reference.placement import Reference
from service.reference.successions import SuccessionIndex
from service.reference.vocabulary import rollup_area_types
from service.returns.load import ReturnLoadResult, load_return_file
from service.returns.numbers import NumbersStore


@dataclass(frozen=True)
class ManifestEntry:
    file: str  # relative to the data directory
    mapping: str
    vintage: str | None = None


def manifest(section: str = "load") -> list[ManifestEntry]:
    """The entries of one section: `load` (reference files) or `returns` (operational returns)."""
    data = yaml.safe_load((MAPPINGS_DIR / "manifest.yaml").read_text())
    return [ManifestEntry(e["file"], e["mapping"], e.get("vintage")) for e in data[section]]


def load_all(
    store: GraphStore, data_dir: Path, progress: Callable[[ManifestEntry], None] | None = None
) -> list[LoadResult]:
    """Load every manifest file present under data_dir, in order; stop at the first rejection so
    nothing is loaded on top of a batch that failed."""
    results: list[LoadResult] = []
    # Each file is validated with the slice of the store it touches: read from an in-memory copy
    # of the current graphs, made once (empty on a fresh store) and kept up to date by each load,
    # rather than from disk; the reference snapshot built after the loads reads it too.
    with store.reading_in_memory():
        for entry in manifest():
            if progress:
                progress(entry)
            path = data_dir / entry.file
            if not path.exists():
                continue
            result = load_file(store, path, entry.mapping, vintage=entry.vintage)
            results.append(result)
            if not result.ok:
                break
    return results


def load_returns_all(
    store: GraphStore,
    numbers: NumbersStore,
    data_dir: Path,
    progress: Callable[[ManifestEntry], None] | None = None,
) -> list[ReturnLoadResult]:
    """Load every return of the manifest present under data_dir (after the reference files);
    stop at the first rejection."""
    results: list[ReturnLoadResult] = []
    for entry in manifest("returns"):
        path = data_dir / entry.file
        if not path.exists():
            continue
        if progress:
            progress(entry)
        result = load_return_file(store, numbers, path, entry.mapping)
        results.append(result)
        if not result.ok:
            break
    return results


def materialise_for_returns(
    store: GraphStore,
    numbers_path: Path,
    area_types: tuple[str, ...] | None = None,
    *,
    reference: Reference | None = None,
) -> tuple[int | None, int]:
    """Build the org_area table of the numbers store for the organisations that report values and
    the successors a roll-up may restate them to (a national table for every organisation takes
    minutes), for `area_types` (default: the ontology's roll-up targets, nhskg:rollUpTarget).
    Close other connections to the numbers store first (DuckDB refuses to mix
    read-only and read-write ones). `reference`: the placement facts already read from this
    store (the reference snapshot's), so they are not read twice. Returns (rows written, or None
    when already current; organisations)."""
    con = duckdb.connect(str(numbers_path), read_only=True)
    try:
        rows = con.execute(  # organisations only: areas are placed by area_area
            "SELECT DISTINCT org_code FROM reported_value WHERE area_type IS NULL"
        ).fetchall()
    finally:
        con.close()
    successions = SuccessionIndex.from_store(store)
    organisations = sorted(successions.later_carriers(str(r[0]) for r in rows))
    placer = None if reference is None else Placer(reference, IndexCarryingOn(successions))
    written = materialise(
        store,
        numbers_path,
        area_types=list(area_types or rollup_area_types()),
        organisations=organisations,
        placer=placer,
    )
    return written, len(organisations)
