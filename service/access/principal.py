"""Who is asking: a role and a geography scope, from a verified token (or public, with none)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Role(StrEnum):
    PUBLIC = "public"  # aggregates only
    ANALYST = "analyst"  # organisation-level values within a geography scope
    STEWARD = "steward"  # as an analyst, plus change sets and the steward queue
    APPROVER = "approver"  # as an analyst, plus the front door and the access log
    ADMIN = "admin"  # everything


_SCOPE = re.compile(r"^(national|region:Y[0-9]{2}|icb:Q[A-Z0-9]{2}|org:[A-Z0-9]{3,6})$")
SCOPE_KINDS = {"region": "region", "icb": "icb", "org": "organisation"}


class ScopeSyntaxError(ValueError):
    """A geography scope that is not national, region:Yxx, icb:Qxx or org:CODE."""


@dataclass(frozen=True)
class ScopeItem:
    kind: str  # national | region | icb | organisation
    code: str | None = None

    @classmethod
    def parse(cls, text: str) -> ScopeItem:
        text = text.strip()
        if not _SCOPE.match(text):
            raise ScopeSyntaxError(
                f"{text!r} is not a geography scope: give national, region:Y58 (an NHS England "
                "region), icb:QSL (an integrated care board) or org:R0D (an organisation)"
            )
        if text == "national":
            return cls("national")
        prefix, code = text.split(":", 1)
        return cls(SCOPE_KINDS[prefix], code)

    def __str__(self) -> str:
        if self.kind == "national":
            return "national"
        prefix = {v: k for k, v in SCOPE_KINDS.items()}[self.kind]
        return f"{prefix}:{self.code}"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    scopes: tuple[ScopeItem, ...] = ()
    purpose: str | None = None
    metrics: tuple[str, ...] = ()  # metric keys granted; empty or "*": every metric
    grant: str | None = None  # the grant its token was issued from, checked on every request
    token_id: str | None = None
    expires: date | None = None

    @property
    def national(self) -> bool:
        return self.role is Role.ADMIN or any(s.kind == "national" for s in self.scopes)

    @property
    def scope_text(self) -> str:
        return " ".join(str(s) for s in self.scopes) or "none"


PUBLIC = Principal("public", Role.PUBLIC)
