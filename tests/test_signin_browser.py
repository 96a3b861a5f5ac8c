"""Signing in with a token in real Chromium: the sign-in form sets the pages' HttpOnly,
SameSite=Strict cookie and keeps the token in the tab's sessionStorage, from which GraphiQL
sends it as the Authorization header; a refused token signs nobody in; signing out forgets it.
Over HTTP: the cookie serves reads only (a mutation never rides on it) and the form returns to
this service's pages only. On the embedded sample (its week of the COVID return)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from service.access.policy import SESSION_COOKIE
from service.api.app import create_app
from service.config import Settings
from service.manifest import load_returns_all, materialise_for_returns
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.returns.numbers import NumbersStore
from tests.browser_support import browser, screenshot, serious_violations
from tests.http_server import serve
from tests.support.auth import token
from tests.support.stores import backup_store

OPERATIONAL = "/dashboards/operational?" + urlencode(
    {"area": "E40000006", "from": "2020-04-06", "to": "2020-04-12", "method": "RETURN_STATED"}
)
ME = "{ me { subject role } }"


@pytest.fixture(scope="module")
def url(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("signin")
    backup_store(sample_store, folder / "store")
    store = GraphStore(folder / "store")
    numbers = NumbersStore(folder / "numbers.duckdb")
    assert all(r.ok for r in load_returns_all(store, numbers, SAMPLE_DATA_DIR))
    numbers.close()
    materialise_for_returns(store, folder / "numbers.duckdb")
    settings = Settings(store_path=None, numbers_path=None)  # type: ignore[arg-type]
    app = create_app(settings, store=store, numbers=NumbersStore(folder / "numbers.duckdb"))
    with serve(app) as base:
        yield base


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as launched:
        yield launched


def _sign_in(page: Any, credential: str) -> Any:
    page.fill("#token", credential)
    with page.expect_navigation():
        page.click("#signin-submit")
    return page


def _graphiql_me(page: Any, base: str) -> tuple[str, dict[str, str]]:
    """Run { me } in GraphiQL; (the result pane's text, the headers of the POST it made)."""
    sent: list[dict[str, str]] = []
    page.on(
        "request",
        lambda r: sent.append(r.headers) if r.method == "POST" and "/graphql" in r.url else None,
    )
    page.goto(f"{base}/graphql")
    page.wait_for_selector(".graphiql-container", timeout=30_000)
    page.evaluate(
        "q => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q)",
        ME,
    )
    page.click(".graphiql-execute-button")
    page.wait_for_function(
        "() => document.querySelector('.result-window')?.textContent.includes('role')",
        timeout=30_000,
    )
    return page.inner_text(".result-window"), sent[-1]


def test_sign_in_opens_the_pages_and_graphiql_then_sign_out(chromium: Any, url: str) -> None:
    context = chromium.new_context()
    page = context.new_page()
    credential = token("analyst", ["national"], subject="ann.analyst@nhs.net")
    # Not signed in: the operational dashboard (each trust's figures) says in words that it
    # needs a token, and shows no trust.
    page.goto(url + OPERATIONAL)
    assert page.inner_text("#view-error").endswith(
        "this needs an analyst, steward, approver or admin token; without a token only "
        "aggregate figures are shown. Sign in with a token (Sign in, at the top of the page)."
    )
    assert page.eval_on_selector_all("#chart-trusts figure", "fs => fs.length") == 0
    assert page.inner_text("#nav-signin") == "Sign in"
    # The header's link leads to the form and, signed in, back to the same view.
    page.click("#nav-signin a")
    _sign_in(page, credential)
    assert page.url == url + OPERATIONAL
    assert "Signed in as ann.analyst@nhs.net (analyst)" in page.inner_text("#nav-signin")
    assert "needs an analyst" not in page.inner_text("main")
    trusts = page.eval_on_selector_all("#chart-trusts figure", "fs => fs.length")
    assert trusts > 0
    screenshot(page, "signed-in-operational")
    [cookie] = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
    assert (cookie["value"], cookie["httpOnly"], cookie["sameSite"]) == (credential, True, "Strict")
    assert page.evaluate("() => document.cookie") == ""  # no script reads it
    assert page.evaluate("() => sessionStorage.getItem('nhskg-token')") == credential
    # GraphiQL in the same tab sends the token as a header.
    result, headers = _graphiql_me(page, url)
    assert headers.get("authorization") == f"Bearer {credential}"
    assert '"subject": "ann.analyst@nhs.net"' in result and '"role": "analyst"' in result
    assert "Signed in as ann.analyst@nhs.net (analyst)" in page.inner_text("#nhskg-signin")
    screenshot(page, "signed-in-graphiql")
    # Sign out from a page: the cookie and the tab's token are gone.
    page.goto(url + OPERATIONAL)
    with page.expect_navigation():
        page.click(".nhskg-signout-button")
    assert [c for c in context.cookies() if c["name"] == SESSION_COOKIE] == []
    assert page.evaluate("() => sessionStorage.getItem('nhskg-token')") is None
    page.goto(url + OPERATIONAL)
    assert "needs an analyst" in page.inner_text("main")
    context.close()


def test_a_graphiql_tab_never_signed_in_is_public(chromium: Any, url: str) -> None:
    context = chromium.new_context()
    page = context.new_page()
    result, headers = _graphiql_me(page, url)
    assert "authorization" not in headers
    assert '"role": "public"' in result
    assert "Not signed in" in page.inner_text("#nhskg-signin")
    context.close()


@pytest.mark.parametrize(
    ("credential", "message"),
    [
        ("not-a-token", "this token cannot sign in: not a JWT"),
        (
            token("analyst", ["national"], days=-1),
            "this token cannot sign in: the token has expired",
        ),
    ],
    ids=["garbage", "expired"],
)
def test_a_refused_token_signs_nobody_in(
    chromium: Any, url: str, credential: str, message: str
) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{url}/signin")
    response = None
    page.fill("#token", credential)
    with page.expect_navigation() as navigation:
        page.click("#signin-submit")
    response = navigation.value
    assert response.status == 401
    assert message in page.inner_text("#signin-error")
    assert [c for c in context.cookies() if c["name"] == SESSION_COOKIE] == []
    assert page.evaluate("() => sessionStorage.getItem('nhskg-token')") is None
    context.close()


def test_the_cookie_serves_reads_never_writes(url: str) -> None:
    credential = token("steward", ["national"], subject="sam.steward@nhs.net")
    cookies = {SESSION_COOKIE: credential}
    read = httpx.get(f"{url}/graphql", params={"query": ME}, cookies=cookies)
    assert read.json()["data"]["me"] == {"subject": "sam.steward@nhs.net", "role": "steward"}
    # The same cookie on a POST (as a form on another site would send it, SameSite aside):
    # the caller is the public role.
    posted = httpx.post(f"{url}/graphql", json={"query": ME}, cookies=cookies)
    assert posted.json()["data"]["me"]["role"] == "public"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_sign_in_returns_only_to_this_service(url: str, target: str) -> None:
    response = httpx.post(
        f"{url}/signin", data={"token": token(), "next": target}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    kept = httpx.post(
        f"{url}/signin", data={"token": token(), "next": OPERATIONAL}, follow_redirects=False
    )
    assert kept.headers["location"] == OPERATIONAL


def test_the_sign_in_page_and_a_signed_in_header_are_accessible(chromium: Any, url: str) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{url}/signin")
    assert serious_violations(page) == []
    _sign_in(page, token())
    page.goto(url + "/")
    assert "Signed in as" in page.inner_text("#nav-signin")
    assert serious_violations(page) == []
    context.close()
