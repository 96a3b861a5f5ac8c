"""Settings, read once from the environment (NHSKG_STORE, NHSKG_DATA_DIR) or given directly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from service.terms import SAMPLE_DATA_DIR


@dataclass(frozen=True)
class Settings:
    store_path: Path | None = field(
        default_factory=lambda: Path(os.environ.get("NHSKG_STORE", "var/store"))
    )
    data_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("NHSKG_DATA_DIR", str(SAMPLE_DATA_DIR)))
    )
    # Reported values of operational returns (DuckDB), kept beside the graph store.
    numbers_path: Path | None = field(
        default_factory=lambda: Path(os.environ.get("NHSKG_NUMBERS", "var/numbers.duckdb"))
    )
    max_page_size: int = 500
    # A remote SPARQL 1.1 store (Query, Update, Graph Store Protocol) instead of the embedded
    # one, e.g. an `oxigraph serve` at http://127.0.0.1:7878; store_path is then unused.
    store_url: str | None = field(default_factory=lambda: os.environ.get("NHSKG_STORE_URL"))
    # The SPARQL endpoint's limits: solutions (or triples) per answer, seconds per query.
    sparql_max_results: int = field(
        default_factory=lambda: int(os.environ.get("NHSKG_SPARQL_MAX_RESULTS", "10000"))
    )
    sparql_timeout_s: float = field(
        default_factory=lambda: float(os.environ.get("NHSKG_SPARQL_TIMEOUT", "10"))
    )
