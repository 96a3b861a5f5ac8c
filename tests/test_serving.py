"""Reading while serving: `nhskg --store S serve` (a real process) reads the numbers store beside
S; CLI reads work while it runs and give the server's figures; CLI writes stop with a clear
message and change nothing; two stores side by side keep their own numbers."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.config import Settings, numbers_beside
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.returns.numbers import NumbersStore
from tests.support.auth import bearer
from tests.support.stores import backup_store

SAMPLE = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"
ROLLUP = (
    '{ rollup(metric: "BedsOccupied", by: "NHS_REGION", date: "2020-04-08", '
    "method: RETURN_STATED) { rows { area { odsCode } value } } }"
)


def cli(store: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["--store", str(store), *args])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, query: str) -> dict[str, Any]:
    request = urllib.request.Request(
        url + "/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json", **bearer("steward")},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return dict(json.loads(response.read()))


@pytest.fixture(scope="module")
def store_dir(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample reference on disk under a name other than `store`, with the sample return."""
    store = tmp_path_factory.mktemp("serving") / "a"
    backup_store(sample_store, store)
    loaded = cli(store, "returns", "load", str(SAMPLE))
    assert loaded.exit_code == 0, loaded.output
    return store


@pytest.fixture(scope="module")
def server(store_dir: Path) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service.cli",
            "--store",
            str(store_dir),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2):
                    break
            except OSError as exc:
                if process.poll() is not None or time.monotonic() > deadline:
                    why = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"nhskg serve did not start: {why}") from exc
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_numbers_store_is_beside_each_graph_store(tmp_path: Path) -> None:
    assert numbers_beside(tmp_path / "store") == tmp_path / "numbers.duckdb"
    a, b = numbers_beside(tmp_path / "a"), numbers_beside(tmp_path / "b")
    assert a != b and a.parent == b.parent == tmp_path
    assert Settings(store_path=tmp_path / "a").numbers_path == a


def test_serve_reads_the_numbers_beside_its_store(server: str, store_dir: Path) -> None:
    answer = _post(server, ROLLUP)
    assert "errors" not in answer, answer
    served = {r["area"]["odsCode"]: r["value"] for r in answer["data"]["rollup"]["rows"]}
    assert served and set(served) == {"Y58", "Y62"}
    # The CLI reads the same store while the server runs, and gets the same figures.
    read = cli(
        store_dir, "rollup", "BedsOccupied", "--by", "NHS_REGION", "--date", "2020-04-08",
        "--method", "RETURN_STATED", "--json",
    )  # fmt: skip
    assert read.exit_code == 0, read.output
    assert {r["area"]: r["value"] for r in json.loads(read.stdout)["rows"]} == served
    listed = cli(store_dir, "returns", "batches", "--json")
    assert listed.exit_code == 0 and json.loads(listed.stdout)[0]["file"] == SAMPLE.name


def test_cli_writes_while_serving_stop_with_a_clear_message(server: str, store_dir: Path) -> None:
    before = _post(server, "{ batches { id status answering } }")
    for args in (
        ("returns", "load", str(SAMPLE), "--release", "2020-08-14"),
        ("load", str(SAMPLE_DATA_DIR / "ods/etr-2026-07.csv"), "--mapping", "ods-etr"),
    ):
        result = cli(store_dir, *args)
        assert result.exit_code == 2, result.output
        assert "in use by another process" in result.output or "is open in" in result.output
        assert "stop it to write" in result.output
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _post(server, "{ batches { id status answering } }") == before
    # The server itself reads the numbers read-only: retiring goes through the CLI.
    retired = _post(server, 'mutation { retireBatch(id: "x", note: "y") { status } }')
    assert "read-only" in retired["errors"][0]["message"]


def test_a_new_numbers_store_opened_read_only_is_made_first(tmp_path: Path) -> None:
    numbers = NumbersStore(tmp_path / "fresh.duckdb", read_only=True)
    assert numbers.value_count() == 0 and numbers.read_only
    numbers.close()


def test_serve_works_out_every_lookup_type_after_it_starts(server: str) -> None:
    """`nhskg serve` warms the lookups of every geography type in the background; /health says
    which are warm, and a warm type answers as it did cold (tests/test_lookup_warm.py)."""
    wanted = {"LRF", "NHS_REGION", "ICB"}
    deadline = time.monotonic() + 120
    while True:
        with urllib.request.urlopen(server + "/health", timeout=10) as response:
            warm = json.loads(response.read())["warmLookups"]
        if wanted <= set(warm) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert wanted <= set(warm)
    request = urllib.request.Request(server + "/lookup/RA7/LRF?asOf=2020-04-08", headers=bearer())
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["code"] == "RA7"
