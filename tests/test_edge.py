"""The lookup edge (service/edge/): `nhskg serve` answers lookups in a process of its own and hands
everything else to the main process. Real processes, real HTTP, on a copy of the sample store.

What must hold: the edge answers lookups (marked X-NHSKG-Answered-By: edge) exactly as the main
process does; everything else arrives unchanged (status, error shapes, cookies, pages); a steward's
change and a grant's revocation hold for the next request, whichever process answers it; both
processes write one intact access-log chain; stopping or killing the main process stops the edge.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from service.access.log import AccessLog
from service.api.app import create_app
from service.config import Settings
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from tests.support.auth import bearer
from tests.support.changes import DORSET_LRF, MOVE_BCP, OTHER_LRF
from tests.support.stores import backup_store

SAMPLE = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"
EDGE = "x-nhskg-answered-by"
POOLE_LOOKUP = "/lookup/RD3/LRF?asOf=2022-01-01"  # Poole's HQ is in BCP (E06000058)
START_SECONDS = 120


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    edge_pid: int
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(store: Path, log: Path, output: Path) -> Served:
    """`nhskg --store STORE serve` on a free port, once /health answers through the edge."""
    port = _free_port()
    env = dict(os.environ, NHSKG_ACCESS_LOG=str(log))
    with output.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "service.cli",
                "--store",
                str(store),
                "serve",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"nhskg serve did not start: {output.read_text()[-2000:]}")
        time.sleep(0.3)
    found = re.search(r"Lookups are answered by process (\d+)", output.read_text())
    assert found, output.read_text()
    return Served(url, process, int(found[1]), log)


def stop(served: Served) -> None:
    served.process.terminate()
    served.process.wait(timeout=30)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


@pytest.fixture(scope="module")
def store_dir(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("edge") / "store"
    backup_store(sample_store, store)
    from typer.testing import CliRunner

    from service.cli import app

    loaded = CliRunner().invoke(app, ["--store", str(store), "returns", "load", str(SAMPLE)])
    assert loaded.exit_code == 0, loaded.output
    return store


@pytest.fixture(scope="module")
def served(store_dir: Path) -> Iterator[Served]:
    running = start(store_dir, store_dir.parent / "log.jsonl", store_dir.parent / "serve.out")
    try:
        yield running
    finally:
        stop(running)


def edge_answer(url: str, path: str, headers: dict[str, str]) -> httpx.Response:
    """The lookup once the edge answers it (it forwards until its timelines are built)."""
    deadline = time.monotonic() + 60
    while True:
        response = httpx.get(url + path, headers=headers, timeout=30)
        if response.headers.get(EDGE) == "edge" or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def graphql(url: str, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
    body = {"query": query, "variables": variables}
    response = httpx.post(url + "/graphql", json=body, headers=headers or {}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


# ------------------------------------------------------------------ the edge answers lookups


def test_the_edge_answers_lookups_as_the_main_process_does(
    served: Served, sample_store: GraphStore
) -> None:
    headers = bearer()
    from fastapi.testclient import TestClient

    main = TestClient(create_app(Settings(store_path=None, numbers_path=None), store=sample_store))
    for path in (
        "/lookup/RD3/LRF?asOf=2020-04-15",
        "/lookup/RD3/LRF?asOf=2020-04-15&method=SITES",
        "/lookup/rd3/lrf?asOf=2020-04-15",
        "/lookup/XXX9/LRF",  # unknown: 404 with near matches
        "/lookup/RD3/LRF?asOf=1066-01-01",  # not yet open
        "/lookup/RD3/LRF?asOf=yesterday",  # a bad date: 422
        "/lookup/RD3/LRF?asOf=2020-04-15&asKnownAt=",  # a blank date as known: the app's 422
    ):
        if "asKnownAt" in path:  # handed to the app: no mark
            at_edge = httpx.get(served.url + path, headers=headers, timeout=30)
            assert EDGE not in at_edge.headers, path
        else:
            at_edge = edge_answer(served.url, path, headers)
            assert at_edge.headers.get(EDGE) == "edge", (path, at_edge.headers)
        in_main = main.get(path, headers=headers)
        assert (at_edge.status_code, at_edge.json()) == (in_main.status_code, in_main.json()), path
    # The policy holds at the edge: no token, a bad token, a scope that does not cover RD3.
    public = edge_answer(served.url, "/lookup/RD3/LRF", {})
    assert public.status_code == 401 and public.headers[EDGE] == "edge"
    forged = edge_answer(served.url, "/lookup/RD3/LRF", {"Authorization": "Bearer x.y.z"})
    assert forged.status_code == 401
    north_west = edge_answer(served.url, "/lookup/RD3/LRF", bearer("analyst", ["region:Y62"]))
    assert north_west.status_code == 403 and "outside your scope" in north_west.text
    south_west = edge_answer(served.url, "/lookup/RD3/LRF", bearer("analyst", ["region:Y58"]))
    assert south_west.status_code == 200 and south_west.headers[EDGE] == "edge"


def test_everything_else_reaches_the_main_process_unchanged(served: Served) -> None:
    url, headers = served.url, bearer()
    known_then = httpx.get(url + "/lookup/RD3/LRF?asKnownAt=2099-01-01", headers=headers)
    assert EDGE not in known_then.headers  # a snapshot as known at a date: the main process
    answer = graphql(url, '{ organisation(code: "RD3") { name } }', headers)
    assert answer["data"]["organisation"]["name"] == "Poole Hospital NHS Foundation Trust"
    missing = httpx.get(url + "/no-such-page")
    assert (missing.status_code, missing.json()["detail"]["status"]) == (404, "not_found")
    too_big = httpx.post(url + "/graphql", content=b"x" * 70_000, timeout=30)
    assert (too_big.status_code, too_big.json()["detail"]["status"]) == (413, "body_too_large")
    page = httpx.get(url + "/dashboards/operational", headers=headers)
    assert page.status_code == 200 and "<html" in page.text.lower()
    # A sign-in's redirect and cookie come back through the edge; the cookie then carries the
    # token of a lookup the edge answers (a GET), as it would the main process's.
    signin = httpx.post(url + "/signin", data={"token": headers["Authorization"][7:]})
    assert signin.status_code == 303, signin.text
    assert "httponly" in signin.headers["set-cookie"].lower()
    cookie = {"nhskg_session": signin.cookies["nhskg_session"]}
    signed_in = edge_answer(
        url, "/lookup/RD3/LRF", {"Cookie": f"nhskg_session={cookie['nhskg_session']}"}
    )
    assert (signed_in.status_code, signed_in.headers[EDGE]) == (200, "edge")


# ------------------------------------------------------------ changes hold at once, anywhere


def test_a_stewards_change_holds_for_the_next_lookup(served: Served) -> None:
    headers, steward = bearer(), bearer("steward")
    before = edge_answer(served.url, POOLE_LOOKUP, headers)
    assert before.json()["primary_area"]["code"] == DORSET_LRF
    change = {"id": "edge-move", **MOVE_BCP}
    applied = graphql(
        served.url,
        "mutation($cs: String!) { applyChangeSet(changeSet: $cs) { status } }",
        steward,
        cs=yaml.safe_dump(change),
    )
    assert applied["data"]["applyChangeSet"]["status"] == "applied", applied
    # The next lookup has the change, whichever process answers it (the edge hands lookups to
    # the app until it has loaded the app's publication of the change: milliseconds away).
    right_after = httpx.get(served.url + POOLE_LOOKUP, headers=headers)
    assert right_after.json()["primary_area"]["code"] == OTHER_LRF
    caught_up = edge_answer(served.url, POOLE_LOOKUP, headers)
    assert caught_up.headers[EDGE] == "edge"
    assert caught_up.json()["primary_area"]["code"] == OTHER_LRF


REQUEST = """mutation($r: AccessRequestInput!) { requestAccess(request: $r) { id } }"""
DECIDE = """mutation($id: String!) { decideAccessRequest(id: $id, approve: true) { grant } }"""


def test_a_revoked_grant_stops_at_once_at_the_edge(served: Served) -> None:
    url = served.url
    approver = bearer("approver", ["national"], subject="ivy.approver@nhs.net")
    request = {
        "requestedBy": "ann.analyst@nhs.net",
        "organisation": "NHS England South West",
        "purpose": "Which LRF each South West trust is in",
        "legalBasis": "UKGDPR_6_1_E_9_2_I",
        "metrics": ["BedsOccupiedCovid"],
        "scope": ["region:Y58"],
        "endDate": "2099-03-31",
    }
    asked = graphql(url, REQUEST, r=request)["data"]["requestAccess"]["id"]
    grant = graphql(url, DECIDE, approver, id=asked)["data"]["decideAccessRequest"]["grant"]
    issued = graphql(url, f'mutation {{ issueGrantToken(grant: "{grant}", days: 7) }}', approver)
    granted = {"Authorization": f"Bearer {issued['data']['issueGrantToken']}"}
    ok = edge_answer(url, "/lookup/RD3/LRF", granted)
    assert (ok.status_code, ok.headers[EDGE]) == (200, "edge")
    revoke = f'mutation {{ revokeGrant(grant: "{grant}", reason: "Left the post") }}'
    assert graphql(url, revoke, approver)["data"]["revokeGrant"] == "revoked"
    at_once = httpx.get(url + "/lookup/RD3/LRF", headers=granted)
    assert at_once.status_code == 401 and f"grant {grant} is revoked" in at_once.text
    at_edge = edge_answer(url, "/lookup/RD3/LRF", granted)
    assert (at_edge.status_code, at_edge.headers[EDGE]) == (401, "edge")


def test_both_processes_write_one_access_log_chain(served: Served) -> None:
    headers = bearer(subject="chain@nhs.net")
    edge_answer(served.url, "/lookup/RD3/LRF", headers)  # the edge answers lookups now
    before = len(AccessLog(served.log).entries(identity="chain@nhs.net", last=10**6))
    marks: list[str] = []

    def lookups() -> None:
        with httpx.Client(headers=headers, timeout=30) as client:
            for _ in range(30):
                marks.append(client.get(served.url + "/lookup/RD3/LRF").headers.get(EDGE, "main"))

    def organisations() -> None:
        for _ in range(10):
            graphql(served.url, '{ organisation(code: "RD3") { name } }', headers)

    threads = [threading.Thread(target=lookups) for _ in range(3)]
    threads += [threading.Thread(target=organisations) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log = AccessLog(served.log)
    check = log.verify()
    assert check.ok, check.message
    after = log.entries(identity="chain@nhs.net", last=10**6)
    assert len(after) - before == 90 + 20
    assert marks.count("edge") == 90  # the lookups were the edge's, the rest the main's
    assert sum(e["asked"].startswith("graphql") for e in after[before:]) == 20


# ------------------------------------------------------------------------------- stopping


def test_stopping_or_killing_the_main_process_stops_the_edge(
    store_dir: Path, tmp_path: Path
) -> None:
    # Another server over a copy (the module's keeps serving its tests).
    copy = tmp_path / "store"
    backup_store(GraphStore(store_dir, read_only=True), copy)
    for how in (signal.SIGTERM, signal.SIGKILL):
        running = start(copy, tmp_path / "log.jsonl", tmp_path / f"serve-{how}.out")
        assert _alive(running.edge_pid)
        edge_command = Path(f"/proc/{running.edge_pid}/cmdline").read_bytes().split(b"\0")
        private = Path(edge_command[edge_command.index(b"--socket") + 1].decode()).parent
        assert private.is_dir()
        os.kill(running.process.pid, how)
        running.process.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _alive(running.edge_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(running.edge_pid), f"the edge outlived the main process ({how!r})"
        with pytest.raises(httpx.ConnectError):
            httpx.get(running.url + "/health", timeout=2)
        if how == signal.SIGTERM:  # a graceful stop leaves no socket directory behind
            assert not private.exists()
        shutil.rmtree(private, ignore_errors=True)


def test_without_its_lookup_process_the_server_stops(store_dir: Path, tmp_path: Path) -> None:
    """Nobody else listens on the port: an edge that dies stops the main process (a supervisor
    then sees the service down), and a port already taken is an error, not a server that
    answers nothing."""
    copy = tmp_path / "store"
    backup_store(GraphStore(store_dir, read_only=True), copy)
    running = start(copy, tmp_path / "log.jsonl", tmp_path / "serve.out")
    os.kill(running.edge_pid, signal.SIGKILL)
    assert running.process.wait(timeout=30) != 0
    assert "The lookup process stopped" in (tmp_path / "serve.out").read_text()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = tmp_path / "taken.out"
        command = [sys.executable, "-m", "service.cli", "--store", str(copy), "serve", "--port"]
        with out.open("wb") as handle:
            busy = subprocess.run(
                [*command, str(port)],
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=dict(os.environ, NHSKG_ACCESS_LOG=str(tmp_path / "log.jsonl")),
                timeout=120,
            )
    assert busy.returncode != 0
    assert "address already in use" in out.read_text().lower()


def test_the_lookup_contract_holds_through_the_edge(served: Served) -> None:
    """schemathesis over the lookup operation, sent to the edge with an analyst's token: every
    answer (the edge's, or the app's for what the edge hands on) agrees with the contract."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json").include(
        path_regex=r"^/lookup/\{code\}"
    )
    headers = bearer()
    edge_answer(served.url, "/lookup/RD3/LRF", headers)  # LRF lookups are built at the edge
    answered: list[str] = []
    failures: list[str] = []

    def known_type(case: Any, draw: int) -> Any:
        """Half the cases ask a type the edge has built (random types go to the app)."""
        if draw % 2 and case.path_parameters and "geography_type" in case.path_parameters:
            case.path_parameters["geography_type"] = "LRF"
        return case

    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = st.tuples(operation.as_strategy(), st.integers(0, 1))

        @settings(
            max_examples=60,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(drawn=strategy)
        def run(drawn: tuple[Any, int]) -> None:
            case = known_type(*drawn)
            response = case.call_and_validate(
                base_url=served.url, headers=headers, excluded_checks=[positive_data_acceptance]
            )
            marks = response.headers.get(EDGE) or ["app"]  # schemathesis: a list per header
            answered.append(marks[0] if isinstance(marks, list) else marks)

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}"[:3000])
    assert not failures, "\n\n".join(failures)
    assert answered.count("edge") >= 10, answered  # the edge's answers were among them
