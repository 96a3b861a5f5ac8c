"""Settings, read once from the environment (NHSKG_STORE, NHSKG_DATA_DIR, NHSKG_NUMBERS,
NHSKG_REQUEST_BUDGET) or given directly."""

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
    # Seconds a request may run before its work is stopped and it is answered with an error.
    request_budget_seconds: float = field(
        default_factory=lambda: float(os.environ.get("NHSKG_REQUEST_BUDGET", "10"))
    )
    # Worker threads for engine work (roll-ups, observations, steward work).
    engine_threads: int = 2
