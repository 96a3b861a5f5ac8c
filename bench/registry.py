"""Every benchmark module, imported for its @benchmark registrations, in the order they run.
Add new ones (lookups, roll-ups over HTTP with p50/p99, requests/s, rdflib / pyoxigraph / DuckDB
comparisons) as modules here."""

from __future__ import annotations

from bench import (
    graphql_bench,
    lookup_bench,
    national,
    returns_bench,
    rollups,
    synthetic,
    validation,
)
from bench.core import REGISTRY

__all__ = [
    "REGISTRY",
    "graphql_bench",
    "lookup_bench",
    "national",
    "returns_bench",
    "rollups",
    "synthetic",
    "validation",
]

# The lookups reuse the store the national load builds: run them after it.
REGISTRY["lookups"] = REGISTRY.pop("lookups")
