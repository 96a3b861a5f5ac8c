"""Tokens issued from a grant: its role, scope, metrics and purpose, expiring by its end date."""

from __future__ import annotations

from service.access.frontdoor import FrontDoor, FrontDoorError
from service.access.tokens import issue_token
from service.config import Settings


def token_for_grant(settings: Settings, front_door: FrontDoor, grant_id: str, days: float) -> str:
    grant = front_door.grants.get(grant_id)
    if grant is None:
        raise FrontDoorError(f"no grant {grant_id!r}; see the dissemination register")
    status = grant.status()
    if status != "active":
        raise FrontDoorError(f"grant {grant_id} is {status}: no token can be issued from it")
    return issue_token(
        settings,
        subject=grant.requested_by,
        role=grant.role,
        scopes=grant.scopes,
        purpose=grant.purpose,
        days=days,
        grant=grant.id,
        metrics=grant.metrics,
        not_after=grant.end_of_use,
    )
