"""`nhskg token ...` and `nhskg access ...`: mint tokens with the local signing key, and the front
door from the command line (request, decide, revoke, list), the register and the access log."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from service.access.frontdoor import AccessRequest, FrontDoor, FrontDoorError
from service.access.grant_tokens import token_for_grant
from service.access.log import AccessLog
from service.access.principal import Principal, Role, ScopeSyntaxError
from service.access.retention import RetentionError, purge, set_end_of_use
from service.access.tokens import issue_token
from service.config import Settings
from service.rdf.store import GraphStore
from service.returns.numbers import NumbersStore

console = Console(stderr=True)
token_app = typer.Typer(help="Bearer tokens signed with the local key (the embedded issuer).")
access_app = typer.Typer(help="The front door: access requests, decisions, grants, the log.")

StoreGetter = Callable[[], GraphStore]
_store: dict[str, StoreGetter] = {}
_numbers: dict[str, Callable[[], NumbersStore]] = {}
retention_app = typer.Typer(help="Datasets' end of use: withdraw past it, purge, recorded.")


def use_store(getter: StoreGetter, numbers: Callable[[], NumbersStore]) -> None:
    _store["get"] = getter
    _numbers["get"] = numbers


@retention_app.command("set")
def retention_set(
    dataset: Annotated[str, typer.Argument(help="Dataset IRI or id (covid-hospital-activity).")],
    end_of_use: Annotated[str, typer.Argument(help="Last day of use, YYYY-MM-DD.")],
) -> None:
    """Record a dataset's end of use; past it the service withdraws its values."""
    store, numbers = _store["get"](), _numbers["get"]()
    try:
        iri = set_end_of_use(store, numbers, dataset, date.fromisoformat(end_of_use))
    except (RetentionError, ValueError) as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    finally:
        store.close()
        numbers.close()
    typer.echo(f"{iri} may be used until {end_of_use}")


@retention_app.command("purge")
def retention_purge(dataset: str, by: Annotated[str, typer.Option(help="Who purges.")]) -> None:
    """Delete a dataset's values past its end of use, for good; the purge is recorded."""
    store, numbers = _store["get"](), _numbers["get"]()
    try:
        done = purge(store, numbers, dataset, by)
    except RetentionError as exc:
        console.print(str(exc))
        raise typer.Exit(1) from exc
    finally:
        store.close()
        numbers.close()
    typer.echo(f"purged {done.values} values of {done.dataset} ({done.activity})")


def _door() -> FrontDoor:
    return FrontDoor(_store["get"]())


@token_app.command("issue")
def token_issue(
    role: Annotated[str, typer.Option(help="analyst, steward, approver or admin.")] = "analyst",
    scope: Annotated[
        list[str] | None, typer.Option(help="national, region:Y58, icb:QSL, org:R0D (repeat).")
    ] = None,
    purpose: Annotated[str | None, typer.Option(help="Why the token is needed.")] = None,
    days: Annotated[float, typer.Option(help="Days until it expires.")] = 30,
    subject: Annotated[str, typer.Option(help="Who it identifies.")] = "local-user",
    grant: Annotated[
        str | None, typer.Option(help="Issue from this grant (its role, scope and end).")
    ] = None,
) -> None:
    """Print a bearer token (creates the local signing key if missing)."""
    settings = Settings()
    try:
        if grant:
            token = token_for_grant(settings, _door(), grant, days)
        else:
            token = issue_token(
                settings,
                subject=subject,
                role=Role(role),
                scopes=scope or ["national"],
                purpose=purpose,
                days=days,
            )
    except (ValueError, ScopeSyntaxError, FrontDoorError) as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    typer.echo(token)


@access_app.command("request")
def access_request(
    requested_by: Annotated[str, typer.Option(help="Who asks (e-mail).")],
    organisation: Annotated[str, typer.Option(help="The organisation they act for.")],
    purpose: Annotated[str, typer.Option()],
    legal_basis: Annotated[str, typer.Option(help="UKGDPR_6_1_E_9_2_H, ... (legalBases).")],
    end_date: Annotated[str, typer.Option(help="Last day of use, YYYY-MM-DD.")],
    scope: Annotated[list[str], typer.Option(help="national, region:Y58, ... (repeat).")],
    metric: Annotated[list[str], typer.Option(help="Metric keys, or * (repeat).")],
    role: Annotated[str, typer.Option()] = "analyst",
) -> None:
    """Submit an access request; prints its id (exit 1 if the rules reject it)."""
    try:
        ident = _door().submit(
            AccessRequest(
                requested_by, organisation, purpose, legal_basis, tuple(metric), tuple(scope),
                date.fromisoformat(end_date), role,
            )
        )  # fmt: skip
    except (FrontDoorError, ScopeSyntaxError, ValueError) as exc:
        console.print(str(exc))
        raise typer.Exit(1) from exc
    typer.echo(ident)


@access_app.command("decide")
def access_decide(
    request_id: str,
    approver: Annotated[str, typer.Option(help="Who decides.")],
    approve: Annotated[bool, typer.Option("--approve/--refuse")],
    conditions: Annotated[str | None, typer.Option()] = None,
    reason: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Approve (prints the grant id) or refuse (with --reason) a request."""
    try:
        grant = _door().decide(
            request_id, Principal(approver, Role.APPROVER), approve=approve,
            conditions=conditions, reason=reason,
        )  # fmt: skip
    except FrontDoorError as exc:
        console.print(str(exc))
        raise typer.Exit(1) from exc
    typer.echo(grant.id if grant else "refused")


@access_app.command("revoke")
def access_revoke(
    grant_id: str,
    by: Annotated[str, typer.Option(help="Who revokes.")],
    reason: Annotated[str, typer.Option()],
) -> None:
    """Revoke a grant: its tokens stop working at once."""
    try:
        _door().revoke(grant_id, Principal(by, Role.APPROVER), reason)
    except FrontDoorError as exc:
        console.print(str(exc))
        raise typer.Exit(1) from exc
    typer.echo(f"revoked {grant_id}")


@access_app.command("register")
def access_register() -> None:
    """The dissemination register as JSON lines."""
    from service.api.routes.register import register_rows  # FastAPI: only for this command

    for row in register_rows(_door()):
        typer.echo(json.dumps(row))


@access_app.command("requests")
def access_requests() -> None:
    """Every access request with its decision, as JSON lines."""
    for row in _door().requests.values():
        typer.echo(json.dumps(row, default=str))


@access_app.command("verify-log")
def access_verify_log(
    path: Annotated[Path | None, typer.Argument(help="Default: NHSKG_ACCESS_LOG.")] = None,
) -> None:
    """Check the access log's hash chain: exit 0 intact, 1 broken (names the first bad line)."""
    check = AccessLog(path or Settings().access_log_path).verify()
    typer.echo(check.message)
    raise typer.Exit(0 if check.ok else 1)
