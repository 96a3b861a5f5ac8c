"""Signing in with a token in real Chromium: the sign-in form sets the pages' HttpOnly,
SameSite=Strict cookie and keeps the token in the tab's sessionStorage, from which GraphiQL
sends it as the Authorization header; a refused token signs nobody in; signing out forgets it.
Over HTTP: the cookie serves reads only (a mutation never rides on it) and the form returns to
this service's pages only. On the embedded sample (its week of the COVID return)."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

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


# ------------------------------------------------- the strategic page, signed out and signed in
STRATEGIC = "/dashboards/strategic?" + urlencode(
    {"by": "NHS_REGION", "method": "RETURN_STATED", "date": "2020-04-06"}
)


def _missing_codes(url: str, headers: dict[str, str]) -> set[str]:
    """The codes the map panel's CSV lists as missing (its Missing column), for a caller."""
    answer = httpx.get(f"{url}/dashboards/strategic/map.csv?{STRATEGIC.split('?')[1]}",
                       headers=headers)  # fmt: skip
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert rows, answer.text
    return {code for r in rows for code in (r.get("Missing") or "").split()}


def _strain_drawn(page: Any) -> str:
    """Wait for the early-warning panel, drawn by its own request after the page; its state."""
    page.wait_for_selector("#panel-strain[data-loaded]", timeout=60_000)
    return str(page.get_attribute("#panel-strain", "data-loaded"))


def test_signed_out_the_strategic_page_names_no_organisation_that_did_not_report(
    chromium: Any, url: str
) -> None:
    """Which organisations did not report is organisation-level detail (policy: RECORDS); the
    public role sees how many reported of how many expected, never who is missing."""
    analyst = {"Authorization": f"Bearer {token('analyst', ['national'])}"}
    missing = _missing_codes(url, analyst)
    assert missing, "the view must have organisations missing for the test to mean anything"
    context = chromium.new_context()
    page = context.new_page()
    page.goto(url + STRATEGIC)
    assert _strain_drawn(page) == "true"
    shown = page.inner_text("main")
    named = sorted(c for c in missing if re.search(rf"\b{re.escape(c)}\b", shown))
    assert named == [], f"signed out, the page names {named}"
    headers = page.eval_on_selector_all("#panel-map th", "hs => hs.map(h => h.textContent)")
    assert headers == ["Area code", "Area", "Value", "Reported", "Expected"]
    assert "shown to signed-in analysts" in page.inner_text("#panel-map")
    assert _missing_codes(url, {}) == set()  # nor its CSV download
    screenshot(page, "strategic-signed-out")
    # Signed in as an analyst, the same view names them.
    page.goto(f"{url}/signin?next={quote(STRATEGIC)}")
    _sign_in(page, analyst["Authorization"].removeprefix("Bearer "))
    assert page.url == url + STRATEGIC
    shown = page.inner_text("#panel-map")
    assert all(re.search(rf"\b{re.escape(c)}\b", shown) for c in missing)
    context.close()


def test_a_deferred_panel_whose_request_fails_says_so_in_words(chromium: Any, url: str) -> None:
    context = chromium.new_context()
    page = context.new_page()
    page.route("**/strain.html*", lambda route: route.abort("connectionrefused"))
    page.goto(url + STRATEGIC)
    assert _strain_drawn(page) == "error"
    said = page.inner_text("#panel-strain")
    assert "This panel could not be shown" in said and "The service did not answer" in said
    assert page.inner_text("#panel-map")  # the rest of the page is drawn
    context.close()


# ------------------------------------------------------------------ a revoked grant on a page
REQUEST = """mutation($r: AccessRequestInput!) { requestAccess(request: $r) { id } }"""
DECIDE = """mutation($id: String!) { decideAccessRequest(id: $id, approve: true,
    conditions: "No onward sharing") { grant } }"""


def _post(url: str, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    answer = httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
    return dict(answer.json()["data"])


def _granted_token(url: str) -> tuple[str, str, dict[str, str]]:
    """Through the front door: a request, an approval, a token. (grant, token, approver)."""
    request = {
        "requestedBy": "ann.analyst@nhs.net", "organisation": "NHS England South West",
        "purpose": "COVID-19 bed capacity planning for the South West",
        "legalBasis": "UKGDPR_6_1_E_9_2_I", "metrics": ["BedsOccupiedCovid"],
        "scope": ["region:Y58"], "endDate": "2099-03-31",
    }  # fmt: skip
    asked = _post(url, REQUEST, {}, r=request)["requestAccess"]["id"]
    approver = {"Authorization": f"Bearer {token('approver', ['national'])}"}
    grant = _post(url, DECIDE, approver, id=asked)["decideAccessRequest"]["grant"]
    issued = f'mutation {{ issueGrantToken(grant: "{grant}", days: 7) }}'
    return grant, _post(url, issued, approver)["issueGrantToken"], approver


def test_a_revoked_grant_on_a_page_is_a_page_with_a_way_to_sign_in_again(
    chromium: Any, url: str
) -> None:
    grant, credential, approver = _granted_token(url)
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{url}/signin?next={quote(STRATEGIC)}")
    _sign_in(page, credential)
    assert page.url == url + STRATEGIC and _strain_drawn(page) == "true"
    revoke = f'mutation {{ revokeGrant(grant: "{grant}", reason: "Left the post") }}'
    assert _post(url, revoke, approver)["revokeGrant"] == "revoked"
    response = page.reload()
    assert response is not None and response.status == 401
    assert page.inner_text("#refused-title") == "Your access has ended"
    assert page.inner_text("[data-error-message]") == (
        f"Your access was refused: the token's grant {grant} is revoked. Ask for a new grant."
    )
    assert serious_violations(page) == []
    screenshot(page, "revoked-grant-page")
    # The cookie carrying the revoked token is gone; the link signs in and returns here.
    assert [c for c in context.cookies() if c["name"] == SESSION_COOKIE] == []
    with page.expect_navigation():
        page.click("#signin-again")
    assert page.url == f"{url}/signin?next={quote(STRATEGIC, safe='')}"
    _sign_in(page, token("analyst", ["national"]))
    assert page.url == url + STRATEGIC and _strain_drawn(page) == "true"
    context.close()

    # Over HTTP: every page path answers HTML, every API path keeps its JSON.
    revoked = {"Authorization": f"Bearer {credential}"}
    message = f"the token's grant {grant} is revoked"
    query = STRATEGIC.split("?")[1]
    for path in (STRATEGIC, f"/dashboards/strategic/strain.html?{query}",
                 f"/dashboards/strategic/map.csv?{query}",
                 "/dashboards/operational?area=E40000006"):  # fmt: skip
        for sent in ({"headers": revoked}, {"cookies": {SESSION_COOKIE: credential}}):
            answer = httpx.get(url + path, **sent)  # type: ignore[arg-type]
            assert answer.status_code == 401, (path, answer.text)
            assert answer.headers["content-type"].startswith("text/html"), path
            said = html.unescape(answer.text)
            assert message in said and 'href="/signin?next=' in said, path
            cleared = "cookies" in sent
            assert (f'{SESSION_COOKIE}=""' in answer.headers.get("set-cookie", "")) == cleared
    api = {
        "/api/v1/data?areaType=NHS_REGION&metric=BedsOccupiedCovid&date=2020-04-06"
        "&method=RETURN_STATED": "get",
        "/lookup/RA7/NHS_REGION": "get",
    }
    for path in api:
        answer = httpx.get(url + path, headers=revoked)
        assert answer.status_code == 401 and answer.json()["detail"] == {
            "status": "unauthorised", "message": message, "hint": "Ask for a new grant."
        }, path  # fmt: skip
    expired = {"Authorization": f"Bearer {token('analyst', ['national'], days=-1)}"}
    page_answer = httpx.get(url + STRATEGIC, headers=expired)
    assert page_answer.status_code == 401 and "Your access has ended" in page_answer.text
    assert "the token has expired" in html.unescape(page_answer.text)
    garbage = httpx.get(url + STRATEGIC, headers={"Authorization": "Bearer not-a-token"})
    assert garbage.status_code == 401 and "Your token was not accepted" in garbage.text
