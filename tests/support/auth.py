"""Tokens for tests, minted the way `nhskg token issue` mints them (the local signing key named
by NHSKG_AUTH_DIR, set for the session in conftest.py) and verified by the service's own
verifier: no test bypasses the policy."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx
import pytest

from service.access.policy import Access, ScopeIndex
from service.access.tokens import TokenVerifier, issue_token
from service.config import Settings
from service.reference import ReferenceData
from service.returns.numbers import NumbersStore


def token(
    role: str = "analyst",
    scopes: Iterable[str] = ("national",),
    *,
    subject: str = "test-user@nhs.net",
    days: float = 1,
    **claims: object,
) -> str:
    return issue_token(
        Settings(),
        subject=subject,
        role=role,
        scopes=scopes,
        days=days,
        **claims,  # type: ignore[arg-type]
    )


def bearer(
    role: str = "analyst", scopes: Iterable[str] = ("national",), **kw: object
) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, scopes, **kw)}"}  # type: ignore[arg-type]


def access(
    role: str = "analyst",
    scopes: Iterable[str] = ("national",),
    reference: ReferenceData | None = None,
    numbers: NumbersStore | None = None,
    **kw: object,
) -> Access:
    """An Access for GraphQL contexts built in-process: the token verified as a request's is."""
    principal = TokenVerifier(Settings()).verify(token(role, scopes, **kw))  # type: ignore[arg-type]
    index = ScopeIndex(reference, numbers) if reference is not None else None
    return Access(principal, index)


def sign_httpx(
    monkeypatch: pytest.MonkeyPatch, role: str = "analyst", scopes: Iterable[str] = ("national",)
) -> dict[str, str]:
    """Every httpx.get/post/request of the calling test carries a real token of `role` (headers
    the test passes win): for modules testing something other than access itself."""
    headers = bearer(role, scopes)
    real = httpx._api.request

    def signed(method: str, url: Any, **kw: Any) -> httpx.Response:
        merged = {**headers, **(kw.pop("headers", None) or {})}
        return real(method, url, headers=merged, **kw)

    monkeypatch.setattr(httpx._api, "request", signed)
    monkeypatch.setattr(httpx, "request", signed)
    return headers
