"""Every benchmark module, imported for its @benchmark registrations, in the order they run.
A new benchmark is a module here and a name in ORDER."""

from __future__ import annotations

from bench import (
    areas_bench,
    dashboards_bench,
    disclosure_bench,
    dumps_bench,
    forecast_bench,
    graphql_bench,
    graphql_synthetic,
    known_at_bench,
    lookup_auth_bench,
    lookup_bench,
    mixed_load,
    national,
    releases_bench,
    returns_bench,
    rollups,
    scale,
    startup,
    steward_bench,
    synthetic,
    validation,
)
from bench.core import REGISTRY

__all__ = [
    "REGISTRY",
    "areas_bench",
    "dashboards_bench",
    "disclosure_bench",
    "dumps_bench",
    "forecast_bench",
    "graphql_bench",
    "graphql_synthetic",
    "known_at_bench",
    "lookup_auth_bench",
    "lookup_bench",
    "mixed_load",
    "national",
    "releases_bench",
    "returns_bench",
    "rollups",
    "scale",
    "startup",
    "steward_bench",
    "synthetic",
    "validation",
]

# The order they run in: the lookups and the GraphQL bench reuse the store the national load
# builds; the plain-pySHACL 'before' figures, capped by --old-path-timeout, come last.
ORDER = [
    "national-load",
    "lookups",
    "lookup-auth",
    "known-at",
    "steward",
    "graphql",
    "mixed-load",
    "graphql-synthetic",
    "dashboards",
    "returns",
    "releases",
    "areas",
    "forecast",
    "rollups",
    "disclosure",
    "scale",
    "startup",
    "validation",
    "validation-synthetic-sites",
    "national-load-pyshacl",
]
for _name in [*ORDER, *(n for n in list(REGISTRY) if n not in ORDER)]:
    REGISTRY[_name] = REGISTRY.pop(_name)
