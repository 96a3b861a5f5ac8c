"""The load order of the reference files (mappings/manifest.yaml) and loading them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from service.loader import LoadResult, load_file
from service.store import GraphStore
from service.terms import MAPPINGS_DIR


@dataclass(frozen=True)
class ManifestEntry:
    file: str  # relative to the data directory
    mapping: str
    vintage: str | None = None


def manifest() -> list[ManifestEntry]:
    data = yaml.safe_load((MAPPINGS_DIR / "manifest.yaml").read_text())
    return [ManifestEntry(e["file"], e["mapping"], e.get("vintage")) for e in data["load"]]


def load_all(
    store: GraphStore, data_dir: Path, progress: Callable[[ManifestEntry], None] | None = None
) -> list[LoadResult]:
    """Load every manifest file present under data_dir, in order; stop at the first rejection so
    nothing is loaded on top of a batch that failed."""
    results: list[LoadResult] = []
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
