"""Settings, read once from the environment (NHSKG_STORE, NHSKG_DATA_DIR, NHSKG_NUMBERS,
NHSKG_REQUEST_BUDGET, NHSKG_AUTH_*, NHSKG_SPARQL_*) or given directly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from service.rdf.terms import SAMPLE_DATA_DIR

_BESIDE = Path("<beside the store>")


def numbers_beside(store: Path) -> Path:
    """The numbers store of a graph store: `DIR/numbers.duckdb` for a store named `store` (the
    layout `make run` and `load-all` use: var/store, var/numbers.duckdb), otherwise
    `DIR/NAME.numbers.duckdb`, so two stores side by side (var/a, var/b) never share one."""
    name = "numbers.duckdb" if store.name == "store" else f"{store.name}.numbers.duckdb"
    return store.parent / name


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name, default))


@dataclass(frozen=True)
class Settings:
    store_path: Path | None = field(default_factory=lambda: _env_path("NHSKG_STORE", "var/store"))
    data_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("NHSKG_DATA_DIR", str(SAMPLE_DATA_DIR)))
    )
    # Reported values of operational returns (DuckDB), kept beside the graph store (see
    # numbers_beside) unless NHSKG_NUMBERS names one; None: in memory.
    numbers_path: Path | None = field(
        default_factory=lambda: Path(os.environ.get("NHSKG_NUMBERS", str(_BESIDE)))
    )
    max_page_size: int = 500
    # Seconds a request may run before its work is stopped and it is answered with an error.
    request_budget_seconds: float = field(
        default_factory=lambda: float(os.environ.get("NHSKG_REQUEST_BUDGET", "10"))
    )
    # The same for a steward's change set (check, apply, revert): nationally an apply places the
    # touched organisations again and rebuilds the reference snapshot, a minute or more. Stopping
    # it at the request budget would undo it every time (the change set is retired again).
    steward_budget_seconds: float = field(
        default_factory=lambda: float(os.environ.get("NHSKG_STEWARD_BUDGET", "900"))
    )
    # Worker threads for engine work (roll-ups, observations, steward work).
    engine_threads: int = 2
    # A roll-up answer larger than this (area x period rows) is refused, by GraphQL, the data
    # API and the dashboards alike.
    max_rollup_rows: int = 50_000
    # Serve the numbers store read-only, so CLI reads share it (`nhskg serve` does).
    numbers_read_only: bool = False
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

    def __post_init__(self) -> None:
        if self.numbers_path == _BESIDE:
            beside = numbers_beside(self.store_path) if self.store_path else None
            object.__setattr__(self, "numbers_path", beside)

    @property
    def jwks_location(self) -> str:
        return self.auth_jwks or str(self.auth_dir / "jwks.json")
