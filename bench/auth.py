"""A national analyst's bearer token for the benchmarks' HTTP clients: minted with the local
signing key (NHSKG_AUTH_DIR, default var/auth) that the servers they start verify against."""

from __future__ import annotations


def analyst_headers(scope: str = "national") -> dict[str, str]:
    from service.access.tokens import issue_token
    from service.config import Settings

    token = issue_token(Settings(), subject="bench", role="analyst", scopes=[scope], days=1)
    return {"Authorization": f"Bearer {token}"}
