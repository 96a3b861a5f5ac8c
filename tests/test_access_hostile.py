"""Every bypass we could think of, over real HTTP (uvicorn on loopback) on the national data
(the reference graph and the COVID-19 Hospital Activity publication): each asserts the exact
answer. The analyst of region:Y58 is NHS England South West."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from service.access.keys import load_private_key
from service.api.app import create_app
from service.config import Settings
from tests.http_server import serve
from tests.support.auth import bearer, token

DAY = "2020-04-15"
SW = "Y58"
REGIONAL = ["region:Y58"]
ISSUER = "urn:x-nhskg-local-issuer"
METRIC_IRI = "https://w3id.org/nhskg/def#BedsOccupiedCovid"
PUBLIC_HINT = "Send Authorization: Bearer TOKEN (nhskg token issue, or a grant's token)."
NOT_SIGNED_IN = (
    "not signed in: this needs an analyst, steward, approver or admin token; without a token "
    f"only aggregate figures are shown. {PUBLIC_HINT}"
)


@pytest.fixture(scope="module")
def url(returns_env: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("hostile") / "access-log.jsonl"
    # The budget is not under test here (test_hostile_input.py): the first national lookup of a
    # type works out its timelines, past 10 s when both test workers load the machine.
    settings = Settings(
        store_path=None, numbers_path=None, access_log_path=log, request_budget_seconds=120
    )
    app = create_app(settings, store=returns_env["store"], numbers=returns_env["numbers"])
    with serve(app) as base:
        yield base


def gql(url: str, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        headers=headers or {},
        timeout=120,
    )
    return response


def answer(url: str, query: str, headers: dict[str, str] | None = None, **v: Any) -> Any:
    response = gql(url, query, headers, **v)
    assert response.status_code == 200, response.text
    return response.json()


def errors(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["message"], (e.get("extensions") or {}).get("code")) for e in body["errors"]]


def unauthorised(response: httpx.Response, message: str, hint: str = "Get a new token.") -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.json() == {
        "detail": {"status": "unauthorised", "message": message, "hint": hint}
    }


ORGANISATION = '{ organisation(code: "RA7") { code } }'


# ----------------------------------------------------------------- identity
def test_no_token_is_public_aggregates_only(url: str) -> None:
    body = answer(url, ORGANISATION)
    assert body["data"] is None
    assert errors(body) == [(NOT_SIGNED_IN, "UNAUTHENTICATED")]
    lookup = httpx.get(f"{url}/lookup/RA7/LRF")
    assert lookup.status_code == 401
    assert lookup.json()["detail"] == {
        "status": "unauthorised",
        "message": "this needs an analyst, steward, approver or admin token; without a token "
        "only aggregate figures are shown",
        "hint": PUBLIC_HINT,
    }
    turtle = httpx.get(f"{url}/observations/RA7.ttl")
    assert turtle.status_code == 401
    # Aggregates, yes; any field naming organisations, no (aliased or in a fragment).
    figures = answer(
        url,
        f'{{ rollup(metric: "BedsOccupiedCovid", by: "NHS_REGION", date: "{DAY}", '
        "method: RETURN_STATED) { rows { area { odsCode } value coverage { reported } } } }",
    )
    assert "errors" not in figures and len(figures["data"]["rollup"]["rows"]) == 7
    sneaky = answer(
        url,
        f'{{ rollup(metric: "BedsOccupiedCovid", by: "NHS_REGION", date: "{DAY}", '
        "method: RETURN_STATED) { rows { ...R } } } "
        "fragment R on RollupRow { value c: coverage { m: missing } }",
    )
    assert sneaky["data"] is None and errors(sneaky) == [(NOT_SIGNED_IN, "UNAUTHENTICATED")]


def _forge(claims: dict[str, Any], key: Any = None, kid: str | None = None) -> str:
    settings = Settings()
    own, own_kid = load_private_key(settings)
    return jwt.encode(claims, key or own, algorithm="RS256", headers={"kid": kid or own_kid})


def _claims(**changes: Any) -> dict[str, Any]:
    import time

    now = int(time.time())
    claims = {
        "iss": ISSUER, "aud": "nhskg", "sub": "mallory", "iat": now, "nbf": now,
        "exp": now + 600, "role": "analyst", "scope": "region:Y58",
    }  # fmt: skip
    claims.update(changes)
    return claims


def _lookup(url: str, credential: str) -> httpx.Response:
    return httpx.get(f"{url}/lookup/RA7/LRF", headers={"Authorization": f"Bearer {credential}"})


def test_expired_wrong_issuer_wrong_audience_are_refused(url: str) -> None:
    import time

    unauthorised(_lookup(url, token("analyst", REGIONAL, days=-1)), "the token has expired")
    past = _forge(_claims(exp=int(time.time()) - 5))
    unauthorised(_lookup(url, past), "the token has expired")
    unauthorised(
        _lookup(url, _forge(_claims(iss="https://login.example.org"))),
        f"the token is not from the configured issuer {ISSUER!r}",
    )
    unauthorised(
        _lookup(url, _forge(_claims(aud="another-service"))),
        "the token is not for this service (audience 'nhskg')",
    )
    unauthorised(
        _lookup(url, _forge({k: v for k, v in _claims().items() if k != "exp"})),
        'the token is not valid (Token is missing the "exp" claim)',
    )


def test_tampered_signature_algorithm_none_and_foreign_keys_are_refused(url: str) -> None:
    good = token("analyst", REGIONAL)
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["scope"] = "national"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    unauthorised(
        _lookup(url, f"{header}.{forged}.{signature}"), "the token's signature does not verify"
    )
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    unauthorised(
        _lookup(url, f"{none_header}.{forged}."),
        "algorithm 'none' is not accepted; use RS256 or ES256",
    )
    hs = jwt.encode(_claims(scope="national"), "guessed-secret", algorithm="HS256")
    unauthorised(_lookup(url, hs), "algorithm 'HS256' is not accepted; use RS256 or ES256")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _, kid = load_private_key(Settings())
    unauthorised(
        _lookup(url, _forge(_claims(scope="national"), stranger, kid)),
        "the token's signature does not verify",
    )
    unauthorised(
        _lookup(url, _forge(_claims(), stranger, "0123456789abcdef")),
        "the token's key '0123456789abcdef' is not one of the issuer's keys",
    )
    unauthorised(_lookup(url, "not-a-jwt"), "not a JWT (Not enough segments)")
    basic = httpx.get(f"{url}/lookup/RA7/LRF", headers={"Authorization": "Basic YTpi"})
    unauthorised(basic, "the Authorization header is not 'Bearer TOKEN'", "")
    public_role = _forge(_claims(role="public"))
    unauthorised(
        _lookup(url, public_role), "a token cannot carry the public role; send no token instead"
    )


# ----------------------------------------------------------------- scope
def _forbidden(code: str) -> str:
    return (
        f"forbidden: {code} is outside your scope (region:Y58). Ask an approver for a grant "
        "that covers it."
    )


def test_aliases_and_fragments_cannot_reach_out_of_scope_organisations(url: str) -> None:
    body = answer(
        url,
        '{ a: organisation(code: "RA7") { code } b: organisation(code: "RJ1") { code } '
        '...F } fragment F on Query { c: organisation(code: "rj1") { name } }',
        bearer("analyst", REGIONAL),
    )
    # The first refusal nulls the whole answer (organisation is non-null): nothing of RJ1 leaks.
    assert body["data"] is None, body
    assert errors(body) == [(_forbidden("RJ1"), "FORBIDDEN")], body
    fragment = answer(
        url,
        '{ ...F } fragment F on Query { c: organisation(code: "rj1") { name } }',
        bearer("analyst", REGIONAL),
    )
    assert fragment["data"] is None and errors(fragment) == [(_forbidden("RJ1"), "FORBIDDEN")]
    mine = answer(url, '{ a: organisation(code: "RA7") { code } }', bearer("analyst", REGIONAL))
    assert mine == {"data": {"a": {"code": "RA7"}}}


def test_observations_of_an_out_of_scope_trust(url: str) -> None:
    query = (
        '{ observations(org: "RJ1", metric: "BedsOccupiedCovid", from: "2020-04-14", '
        'to: "2020-04-15") { value } }'
    )
    body = answer(url, query, bearer("analyst", REGIONAL))
    assert body["data"] is None and errors(body) == [(_forbidden("RJ1"), "FORBIDDEN")]
    mine = answer(url, query.replace("RJ1", "RA7"), bearer("analyst", REGIONAL))
    assert "errors" not in mine and len(mine["data"]["observations"]) == 2


def test_rest_lookup_and_turtle_out_of_scope(url: str) -> None:
    headers = bearer("analyst", REGIONAL)
    expected = {
        "detail": {
            "status": "forbidden",
            "message": "RJ1 is outside your scope (region:Y58)",
            "hint": "Ask an approver for a grant that covers it.",
        }
    }
    lookup = httpx.get(f"{url}/lookup/RJ1/LRF", headers=headers)
    assert (lookup.status_code, lookup.json()) == (403, expected)
    turtle = httpx.get(f"{url}/observations/RJ1.ttl", headers=headers)
    assert (turtle.status_code, turtle.json()) == (403, expected)
    mine = httpx.get(
        f"{url}/observations/RA7.ttl",
        params={"metric": METRIC_IRI, "from": DAY, "to": DAY},
        headers=headers,
        timeout=120,
    )
    assert mine.status_code == 200 and "nhskg:ReportedValue" in mine.text


ROLLUP = """query($day: Date!) { rollup(metric: "BedsOccupiedCovid", by: "NHS_REGION",
    date: $day, method: RETURN_STATED) {
    rows { area { odsCode } value withheld coverage { reported expected missing }
           contributors { code share value organisation { code odsRecords { regionCode } } } }
    unmapped { code value } unmappedOrganisations unmappedTotal } }"""


def test_regional_analyst_sees_south_west_exactly_as_a_national_analyst(url: str) -> None:
    national = answer(url, ROLLUP, bearer("analyst", ["national"]), day=DAY)["data"]["rollup"]
    regional = answer(url, ROLLUP, bearer("analyst", REGIONAL), day=DAY)["data"]["rollup"]
    [south_west] = [r for r in national["rows"] if r["area"]["odsCode"] == SW]
    assert regional["rows"] == [south_west]
    assert south_west["withheld"] == 0 and south_west["value"] > 0
    assert len(national["rows"]) == 7
    # Nothing of any other region: not in contributors (nested organisation fields included),
    # coverage or the unmapped values.
    national_sw = {c["code"] for c in south_west["contributors"]}
    assert {c["code"] for r in regional["rows"] for c in r["contributors"]} == national_sw
    assert all(c["organisation"] is None or c["organisation"]["code"] == c["code"]
               for c in south_west["contributors"])  # fmt: skip
    other = {c["code"] for r in national["rows"] if r["area"]["odsCode"] != SW
             for c in r["contributors"]}  # fmt: skip
    assert not (set(regional["unmappedOrganisations"]) & other)
    assert {u["code"] for u in regional["unmapped"]} <= set(regional["unmappedOrganisations"])


def test_an_area_mixing_in_and_out_of_scope_trusts_withholds_and_says_so(url: str) -> None:
    national = answer(url, ROLLUP, bearer("analyst", ["national"]), day=DAY)["data"]["rollup"]
    [south_west] = [r for r in national["rows"] if r["area"]["odsCode"] == SW]
    [ra7] = [c for c in south_west["contributors"] if c["code"] == "RA7"]
    mine = answer(url, ROLLUP, bearer("analyst", ["org:RA7"]), day=DAY)["data"]["rollup"]
    assert mine["rows"] == [
        {
            "area": {"odsCode": SW},
            "value": ra7["value"] * ra7["share"],
            "withheld": south_west["coverage"]["expected"] - 1,
            "coverage": {"reported": 1, "expected": 1, "missing": []},
            "contributors": [ra7],
        }
    ]
    assert mine["unmapped"] == [] and mine["unmappedTotal"] == 0


def test_mutations_and_the_steward_queue_need_the_steward_role(url: str) -> None:
    revert = 'mutation { revertChangeSet(id: "x", reason: "because") }'
    body = answer(url, revert, bearer("analyst", ["national"]))
    assert errors(body) == [
        (
            "forbidden: the analyst role cannot do this: it needs a steward or admin token. "
            "Ask an approver for a grant with that role (accessRequest).",
            "FORBIDDEN",
        )
    ]
    body = answer(url, revert)
    assert errors(body) == [
        (
            "not signed in: this needs a steward or admin token; without a token only "
            f"aggregate figures are shown. {PUBLIC_HINT}",
            "UNAUTHENTICATED",
        )
    ]
    figure = (
        'mutation { checkChangeSet(changeSet: "id: x", figure: {metric: "BedsOccupiedCovid", '
        'areaType: "LRF", date: "2020-04-15"}) { status } }'
    )
    assert errors(answer(url, figure, bearer("approver", ["national"])))[0][1] == "FORBIDDEN"
    queue = answer(url, "{ stewardQueue { code } }", bearer("analyst", REGIONAL))
    assert errors(queue)[0][1] == "FORBIDDEN"


def test_the_access_log_recorded_who_asked(url: str) -> None:
    seen = httpx.get(f"{url}/lookup/RA7/LRF", headers=bearer("analyst", REGIONAL), timeout=120)
    assert seen.status_code == 200, seen.text
    body = answer(url, "{ accessLog(last: 1000) { entries chainIntact } }",
                  bearer("approver", ["national"], subject="approver@nhs.net"))  # fmt: skip
    log = body["data"]["accessLog"]
    assert log["chainIntact"] is True
    asked = [e for e in log["entries"] if e["identity"] == "test-user@nhs.net"]
    assert any(e["asked"].startswith("lookup RA7") for e in asked)
    refused = answer(url, "{ accessLog { chainIntact } }", bearer("analyst", ["national"]))
    assert errors(refused)[0][1] == "FORBIDDEN"


# ----------------------------------------------------------------- the front door
REQUEST = """mutation($r: AccessRequestInput!) { requestAccess(request: $r) {
    id decision grant legalBasis scope metrics } }"""


def test_front_door_round_trip(url: str) -> None:
    request = {
        "requestedBy": "ann.analyst@nhs.net",
        "organisation": "NHS England South West",
        "purpose": "COVID-19 bed capacity planning for the South West",
        "legalBasis": "UKGDPR_6_1_E_9_2_I",
        "metrics": ["BedsOccupiedCovid"],
        "scope": ["region:Y58"],
        "endDate": "2099-03-31",
    }
    # 1. Anyone may ask (no token); the rules check the request like any other load.
    bad = answer(url, REQUEST, r=request | {"legalBasis": "BECAUSE", "scope": ["national"]})
    assert bad["errors"][0]["message"].startswith("unknown legal basis 'BECAUSE'")
    asked = answer(url, REQUEST, r=request)["data"]["requestAccess"]
    assert (asked["decision"], asked["grant"], asked["scope"]) == (None, None, ["region:Y58"])
    assert asked["legalBasis"] == "UK GDPR Art. 6(1)(e) with Art. 9(2)(i)"
    # 2. Only an approver decides; the decision records who (the token's subject).
    approver = bearer("approver", ["national"], subject="ivy.approver@nhs.net")
    decide = """mutation($id: String!) { decideAccessRequest(id: $id, approve: true,
        conditions: "No onward sharing") { decision decidedBy grant } }"""
    refused = answer(url, decide, bearer("analyst", ["national"]), id=asked["id"])
    assert errors(refused)[0][1] == "FORBIDDEN"
    decided = answer(url, decide, approver, id=asked["id"])["data"]["decideAccessRequest"]
    assert decided["decision"] == "approved" and decided["decidedBy"] == "ivy.approver@nhs.net"
    grant = decided["grant"]
    again = answer(url, decide, approver, id=asked["id"])
    assert errors(again)[0][0] == f"access request {asked['id']} was already approved"
    # 3. A token from the grant: its scope and metrics, nothing more.
    issued = answer(url, f'mutation {{ issueGrantToken(grant: "{grant}", days: 7) }}', approver)
    granted = {"Authorization": f"Bearer {issued['data']['issueGrantToken']}"}
    me = answer(url, "{ me { subject role scope grant purpose } }", granted)["data"]["me"]
    assert me == {
        "subject": "ann.analyst@nhs.net", "role": "analyst", "scope": "region:Y58",
        "grant": grant, "purpose": request["purpose"],
    }  # fmt: skip
    # 4. A query under the grant: South West only.
    rows = answer(url, ROLLUP, granted, day=DAY)["data"]["rollup"]["rows"]
    assert [r["area"]["odsCode"] for r in rows] == [SW]
    other_metric = answer(
        url,
        '{ rollup(metric: "BedsOccupied", by: "NHS_REGION", date: "2020-04-15", '
        "method: RETURN_STATED) { rows { value } } }",
        granted,
    )
    assert errors(other_metric) == [
        (
            "forbidden: your grant covers BedsOccupiedCovid, not BedsOccupied. Name one of the "
            "granted metrics, or ask an approver for a wider grant.",
            "FORBIDDEN",
        )
    ]
    # 5. The access log has the query under the grant; the register lists the grant.
    log = answer(url, f'{{ accessLog(grant: "{grant}") {{ entries chainIntact }} }}', approver)
    entries = log["data"]["accessLog"]["entries"]
    assert log["data"]["accessLog"]["chainIntact"] is True
    assert [e["identity"] for e in entries] == ["ann.analyst@nhs.net"] * len(entries)
    assert any("BedsOccupiedCovid" in e["asked"] and e["rows"] > 0 for e in entries)
    register = httpx.get(f"{url}/register.json").json()["grants"]
    [entry] = [g for g in register if g["grant"] == grant]
    assert entry | {"approved_on": None} == {
        "grant": grant, "organisation": "NHS England South West",
        "purpose": request["purpose"], "legal_basis": asked["legalBasis"], "role": "analyst",
        "scope": "region:Y58", "metrics": "BedsOccupiedCovid", "period_start": None,
        "period_end": None, "approved_on": None, "end_of_use": "2099-03-31", "status": "active",
        "conditions": "No onward sharing", "revoked_on": None,
    }  # fmt: skip
    csv_text = httpx.get(f"{url}/register.csv").text
    assert f"{grant},NHS England South West," in csv_text
    page = httpx.get(f"{url}/register")
    assert page.status_code == 200 and grant in page.text and "<table>" in page.text
    # 6. Revoked: the same token stops at once.
    revoke = f'mutation {{ revokeGrant(grant: "{grant}", reason: "Left the post") }}'
    assert answer(url, revoke, approver)["data"]["revokeGrant"] == "revoked"
    unauthorised(
        gql(url, ROLLUP, granted, day=DAY),
        f"the token's grant {grant} is revoked",
        "Ask for a new grant.",
    )
    assert httpx.get(f"{url}/register.json").json()["grants"][-1]["status"] == "revoked"
    no_more = answer(url, f'mutation {{ issueGrantToken(grant: "{grant}") }}', approver)
    assert errors(no_more)[0][0] == f"grant {grant} is revoked: no token can be issued from it"
