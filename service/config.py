"""Settings, read once from the environment (NHSKG_STORE, NHSKG_DATA_DIR, NHSKG_AUTH_*) or given
directly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from service.terms import SAMPLE_DATA_DIR


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name, default))


@dataclass(frozen=True)
class Settings:
    store_path: Path | None = field(default_factory=lambda: _env_path("NHSKG_STORE", "var/store"))
    data_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("NHSKG_DATA_DIR", str(SAMPLE_DATA_DIR)))
    )
    # Reported values of operational returns (DuckDB), kept beside the graph store.
    numbers_path: Path | None = field(
        default_factory=lambda: _env_path("NHSKG_NUMBERS", "var/numbers.duckdb")
    )
    max_page_size: int = 500
    # Identity (service/access/): bearer JWTs from this issuer, for this audience, signed by a key
    # of the JWKS (a file or an https URL). The embedded default: a local signing key and its JWKS
    # in auth_dir, made by `nhskg serve` (so `make run`) or `nhskg token issue` when missing.
    auth_dir: Path = field(default_factory=lambda: _env_path("NHSKG_AUTH_DIR", "var/auth"))
    auth_issuer: str = field(
        default_factory=lambda: os.environ.get("NHSKG_AUTH_ISSUER", "urn:x-nhskg-local-issuer")
    )
    auth_audience: str = field(
        default_factory=lambda: os.environ.get("NHSKG_AUTH_AUDIENCE", "nhskg")
    )
    auth_jwks: str | None = field(default_factory=lambda: os.environ.get("NHSKG_AUTH_JWKS"))
    # "off": every request acts as a national admin. Only for measuring what auth costs
    # (bench/lookup_bench.py); never for a service anyone else can reach.
    auth_mode: str = field(default_factory=lambda: os.environ.get("NHSKG_AUTH", "on"))
    # The append-only, hash-chained log of every query answered (service/access/log.py).
    access_log_path: Path | None = field(
        default_factory=lambda: _env_path("NHSKG_ACCESS_LOG", "var/access-log.jsonl")
    )

    @property
    def jwks_location(self) -> str:
        return self.auth_jwks or str(self.auth_dir / "jwks.json")
