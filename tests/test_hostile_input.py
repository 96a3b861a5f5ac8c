"""Hostile input at the edge, over the real HTTP server: long codes and bodies are refused before
any work, in the documented error shape and without echoing the input; blocking work runs in the
worker pools, so /health and lookups answer while a slow roll-up runs; a request past its time
budget is stopped with a clear error. (Timings are measured by `python -m bench --only hostile`,
not asserted here.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.api.app import create_app
from service.api.graphql import numbers_resolvers
from service.api.limits import MAX_BODY, MAX_CODE
from service.config import Settings
from service.geography.lookup import near_matches
from service.rdf.store import GraphStore
from tests.http_server import serve
from tests.support.auth import bearer
from tests.support.stores import backup_store

ERROR_KEYS = {"status", "message"}


@pytest.fixture(scope="module")
def app(sample_store: GraphStore) -> FastAPI:
    settings = Settings(store_path=None, numbers_path=None, request_budget_seconds=1.0)
    return create_app(settings, store=sample_store.copy_in_memory())  # a steward writes


@pytest.fixture(scope="module")
def base_url(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


class _Signed:
    """httpx with a national analyst's bearer token: these tests are about limits, not access."""

    @staticmethod
    def get(url: str, **kw: Any) -> httpx.Response:
        return httpx.get(url, headers=bearer(), **kw)

    @staticmethod
    def post(url: str, **kw: Any) -> httpx.Response:
        return httpx.post(url, headers=bearer(), **kw)


_signed = _Signed()


def _detail(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"detail"} and set(body["detail"]) >= ERROR_KEYS, body
    return dict(body["detail"])


def test_near_matches_cost_does_not_depend_on_the_code() -> None:
    known = sorted(f"R{a}{b}" for a in "ABCDEFGHJK" for b in "0123456789")
    hostile = "RA" + "X" * 1_000_000
    assert near_matches(hostile, known) == near_matches("RAX", known) == known[:5]
    assert near_matches("RA5", known) == ["RA5"]
    assert near_matches("ZZZ", known) == []


def test_long_code_in_rest_path_is_refused_without_echo(base_url: str) -> None:
    code = "R" * 200
    response = _signed.get(f"{base_url}/lookup/{code}/LRF", timeout=5)
    assert response.status_code == 422
    detail = _detail(response)
    assert detail["status"] == "invalid_parameter" and str(MAX_CODE) in detail["message"]
    assert code not in response.text


def test_megabyte_url_and_body_are_refused(base_url: str) -> None:
    code = "R" * 1_000_000
    url = _signed.get(f"{base_url}/lookup/{code[:20_000]}/LRF", timeout=5)
    assert url.status_code in (414, 400)  # ours (414), or uvicorn's parser before it
    query = '{ organisation(code: "' + code + '") { name } }'
    body = _signed.post(f"{base_url}/graphql", json={"query": query}, timeout=5)
    assert body.status_code == 413
    assert _detail(body)["status"] == "body_too_large" and str(MAX_BODY) in body.text


def test_aliases_of_long_codes_are_each_refused_by_length(base_url: str) -> None:
    code = "RD3" + "X" * 2_500
    fields = " ".join(
        f'a{i}: {kind}(code: "{code}") {{ name }}'
        for i, kind in enumerate(["organisation", "geography"] * 10)
    )
    response = _signed.post(f"{base_url}/graphql", json={"query": "{" + fields + "}"}, timeout=5)
    errors = response.json()["errors"]
    assert errors and all("2,503 characters long; at most 16" in e["message"] for e in errors)
    assert code not in response.text


def test_unknown_code_errors_have_the_documented_shape(base_url: str) -> None:
    lookup = _signed.get(f"{base_url}/lookup/RD9/LRF", params={"asOf": "2021-01-01"})
    assert lookup.status_code == 404 and _detail(lookup)["status"] == "unknown_code"
    missing = _signed.get(f"{base_url}/no/such/route")
    assert missing.status_code == 404 and _detail(missing)["status"] == "not_found"
    bad_date = _signed.get(f"{base_url}/lookup/RD3/LRF", params={"asOf": "01/02/2021"})
    assert bad_date.status_code == 422 and _detail(bad_date)["status"] == "malformed_date"
    spec = _signed.get(f"{base_url}/openapi.json").json()
    responses = spec["paths"]["/lookup/{code}/{geography_type}"]["get"]["responses"]
    assert {"404", "422", "503"} <= set(responses)
    assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorBody")


ROLLUP = '{ rollup(metric: "BedsOccupied", by: "LRF", date: "2020-04-08") { kind } }'


def test_a_slow_rollup_delays_neither_health_nor_lookups(
    app: FastAPI, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The roll-up holds its thread until released (a budget longer than that), so "answered
    # while it ran" does not depend on how fast a loaded machine answers the other three.
    monkeypatch.setattr(app.state.workers.engine, "budget", 30.0)
    release = threading.Event()

    def slow_rollup(*args: Any, **kwargs: Any) -> Any:  # blocks its thread, as a heavy query
        release.wait(20)
        raise RuntimeError("never answered")

    monkeypatch.setattr(numbers_resolvers, "rollup_field", slow_rollup)
    slow = threading.Thread(
        target=lambda: _signed.post(f"{base_url}/graphql", json={"query": ROLLUP}, timeout=30)
    )
    slow.start()
    try:
        time.sleep(0.2)  # the roll-up is running
        health = _signed.get(f"{base_url}/health", timeout=5)
        lookup = _signed.get(f"{base_url}/lookup/RD3/NHS_REGION", timeout=5)
        organisation = _signed.post(
            f"{base_url}/graphql",
            json={"query": '{ organisation(code: "R0A") { name } }'},
            timeout=5,
        )
        assert slow.is_alive()  # all three answered while the roll-up still ran
    finally:
        release.set()
        slow.join()
    assert health.status_code == 200 and lookup.status_code == 200
    assert organisation.json()["data"]["organisation"]["name"]


def test_a_request_past_its_budget_is_stopped_with_a_clear_error(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    monkeypatch.setattr(numbers_resolvers, "rollup_field", lambda *a, **k: release.wait(10))
    started = time.perf_counter()
    try:
        response = _signed.post(f"{base_url}/graphql", json={"query": ROLLUP}, timeout=30)
    finally:
        release.set()
    assert time.perf_counter() - started < 5  # the budget is 1 s; the worker would take 10
    [error] = response.json()["errors"]
    assert "took longer than the 1 s a request may take" in error["message"]


def test_a_stewards_change_set_has_the_steward_budget_and_only_a_steward(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change set takes a minute nationally (placing the touched organisations again,
    rebuilding the snapshot): stopped at the request budget it was undone every time. It runs
    under the steward budget (NHSKG_STEWARD_BUDGET), for a steward's token only: the words in
    anyone else's query do not lengthen its budget."""
    from service.api.graphql import mutations

    real_parse = mutations._parse

    def slow_parse(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.5)  # past the module's 1 s request budget
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(mutations, "_parse", slow_parse)
    change_set = (
        "id: slow\nauthor: x\nreason: y\nchanges:\n- area_membership: "
        "{member: E06000058, parent: E48000010, from: '2021-04-01'}\n"
    )
    query = "mutation($cs: String!) { checkChangeSet(changeSet: $cs) { status } }"
    body = {"query": query, "variables": {"cs": change_set}}
    checked = httpx.post(f"{base_url}/graphql", json=body, headers=bearer("steward"), timeout=30)
    assert "took longer" not in checked.text, checked.text
    assert checked.json()["data"] is not None, checked.text
    assert checked.json()["data"]["checkChangeSet"]["status"]
    release = threading.Event()
    monkeypatch.setattr(numbers_resolvers, "rollup_field", lambda *a, **k: release.wait(10))
    disguised = {"query": ROLLUP.replace("{ rollup", "{ # applyChangeSet\n rollup")}
    try:
        response = _signed.post(f"{base_url}/graphql", json=disguised, timeout=30)
    finally:
        release.set()
    [error] = response.json()["errors"]
    assert "took longer than the 1 s a request may take" in error["message"]


def test_the_server_stops_on_sigterm_while_requests_run(
    sample_store: GraphStore, tmp_path: Path
) -> None:
    import os
    import signal
    import socket
    import subprocess
    import sys

    from service.rdf.terms import ROOT

    backup_store(sample_store, tmp_path / "store")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--store", str(tmp_path / "store"), "serve",
         "--port", str(port)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)

        def hostile_requests() -> None:
            query = '{ organisation(code: "%s") { name } }' % ("R" * 5000)
            for _ in range(20):
                try:
                    _signed.post(f"{url}/graphql", json={"query": query}, timeout=10)
                except httpx.HTTPError:
                    return  # the server has stopped

        hostile = threading.Thread(target=hostile_requests)
        hostile.start()
        server.send_signal(signal.SIGTERM)
        # uvicorn shuts down (requests in flight finish), then re-raises the signal it caught.
        assert server.wait(timeout=30) in (0, -signal.SIGTERM)
        hostile.join(timeout=30)
        assert server.stderr is not None
        assert "Finished server process" in server.stderr.read().decode()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_user_errors_log_one_line_and_faults_a_traceback(
    base_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    caplog.set_level(logging.INFO)
    for code in ("ZZ9", "R" * 500):
        _signed.post(
            f"{base_url}/graphql", json={"query": f'{{ organisation(code: "{code}") {{ name }} }}'}
        )
    _signed.get(f"{base_url}/lookup/ZZ9/LRF")
    user = [r for r in caplog.records if r.name.startswith(("nhskg", "strawberry"))]
    assert len(user) == 3 and not any(r.exc_info for r in user)
    assert all("\n" not in r.getMessage() for r in user)
    caplog.clear()

    def fault(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a real fault")

    monkeypatch.setattr(numbers_resolvers, "rollup_field", fault)
    body = _signed.post(f"{base_url}/graphql", json={"query": ROLLUP}).json()
    assert body["errors"][0]["message"] == "Unexpected error."
    faults = [r for r in caplog.records if r.exc_info]
    assert len(faults) == 1 and "a real fault" in str(faults[0].exc_info[1])


def test_limits_reach_into_input_objects_and_leave_enums_alone() -> None:
    from service.api.graphql.rollup_types import RollupMethod
    from service.api.graphql.types import OrganisationFilter
    from service.api.limits import TooLong, check_arguments

    check_arguments({"method": RollupMethod.SITES, "filter": OrganisationFilter(region="Y56")})
    with pytest.raises(TooLong, match="region is 40 characters long; at most 16"):
        check_arguments({"filter": OrganisationFilter(region="Y" * 40)})
    with pytest.raises(TooLong, match="kinds is 201 characters"):
        check_arguments({"kinds": ["UNREGISTERED", "X" * 201]})
