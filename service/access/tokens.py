"""Bearer tokens: minted with the local signing key (`nhskg token issue`), verified with PyJWT
against the configured issuer's JWKS (a file or a URL), whoever minted them.

A token is rejected when its signature does not verify with a key of the JWKS, its algorithm is
not RS256 or ES256 (`none` included), it has expired or is not yet valid, its issuer or audience
is not the configured one, or it lacks a claim. Its grant (if any) is checked by the policy on
every request, so revoking a grant stops its tokens at once."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jwt

from service.access.keys import load_private_key
from service.access.principal import Principal, Role, ScopeItem, ScopeSyntaxError
from service.config import Settings

ALGORITHMS = ("RS256", "ES256")
REQUIRED = ["exp", "iat", "iss", "aud", "sub"]
CACHE_SIZE = 4096


class InvalidToken(Exception):
    """A bearer token that does not prove who is asking; the message says why."""


def issue_token(
    settings: Settings,
    *,
    subject: str,
    role: Role | str,
    scopes: Iterable[str] = (),
    purpose: str | None = None,
    days: float = 30,
    grant: str | None = None,
    metrics: Iterable[str] = (),
    not_after: date | None = None,
) -> str:
    """A token signed with the local key; `not_after` (a grant's end date) caps its expiry."""
    role = Role(role)
    items = [str(ScopeItem.parse(s)) for s in scopes]
    now = int(time.time())
    expires = now + int(days * 86_400)
    if not_after is not None:
        end = int(datetime(not_after.year, not_after.month, not_after.day, tzinfo=UTC).timestamp())
        expires = min(expires, end + 86_400)  # to the end of the grant's last day
    claims: dict[str, Any] = {
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "sub": subject,
        "iat": now,
        "nbf": now,
        "exp": expires,
        "jti": uuid.uuid4().hex,
        "role": role.value,
        "scope": " ".join(items),
    }
    if purpose:
        claims["purpose"] = purpose
    if grant:
        claims["grant"] = grant
    metric_keys = [m for m in metrics if m != "*"]
    if metric_keys:
        claims["metrics"] = metric_keys
    key, kid = load_private_key(settings)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


class TokenVerifier:
    """Verifies bearer tokens against the issuer's JWKS; a verified token is remembered until it
    expires, so a client's repeated requests cost a dictionary look-up, not an RSA check."""

    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.auth_issuer
        self.audience = settings.auth_audience
        self.location = settings.jwks_location
        self._client: jwt.PyJWKClient | None = None
        self._keys: dict[str, Any] = {}
        self._verified: dict[str, tuple[Principal, float]] = {}
        if self.location.startswith(("https://", "http://")):
            self._client = jwt.PyJWKClient(self.location, cache_keys=True)
        else:
            self._read_file()

    def _read_file(self) -> None:
        path = Path(self.location)
        if not path.exists():
            self._keys = {}
            return
        keyset = jwt.PyJWKSet.from_dict(json.loads(path.read_text()))
        self._keys = {k.key_id: k for k in keyset.keys if k.key_id}

    def _key(self, kid: str | None) -> Any:
        if self._client is not None:
            try:
                return self._client.get_signing_key(kid or "")
            except jwt.PyJWKClientError as exc:
                raise InvalidToken(f"no key {kid!r} at the issuer's JWKS ({exc})") from exc
        if kid not in self._keys:
            self._read_file()  # the local key may have been made after the service started
        if kid not in self._keys:
            raise InvalidToken(f"the token's key {kid!r} is not one of the issuer's keys")
        return self._keys[kid]

    def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            if time.time() >= known[1]:
                del self._verified[token]
                raise InvalidToken("the token has expired")
            return known[0]
        principal, expiry = self._verify(token)
        if len(self._verified) >= CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (principal, expiry)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"not a JWT ({exc})") from exc
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise InvalidToken(f"algorithm {alg!r} is not accepted; use {' or '.join(ALGORITHMS)}")
        key = self._key(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": REQUIRED},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("the token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken(
                f"the token is not for this service (audience {self.audience!r})"
            ) from exc
        except jwt.InvalidIssuerError as exc:
            raise InvalidToken(
                f"the token is not from the configured issuer {self.issuer!r}"
            ) from exc
        except jwt.InvalidSignatureError as exc:
            raise InvalidToken("the token's signature does not verify") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"the token is not valid ({exc})") from exc
        return principal_of(claims), float(claims["exp"])


def principal_of(claims: dict[str, Any]) -> Principal:
    try:
        role = Role(claims.get("role", "analyst"))
        scopes = tuple(ScopeItem.parse(s) for s in str(claims.get("scope", "")).split())
    except (ValueError, ScopeSyntaxError) as exc:
        raise InvalidToken(f"the token's role or scope is not understood ({exc})") from exc
    if role is Role.PUBLIC:
        raise InvalidToken("a token cannot carry the public role; send no token instead")
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        scopes=scopes,
        purpose=claims.get("purpose"),
        metrics=tuple(str(m) for m in claims.get("metrics", [])),
        grant=claims.get("grant"),
        token_id=claims.get("jti"),
        expires=datetime.fromtimestamp(float(claims["exp"]), UTC).date(),
    )
