"""Shared fixtures. The national data is loaded once per session, into an on-disk store."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from service.rdf.store import GraphStore
from service.rdf.terms import ROOT, SAMPLE_DATA_DIR
from tests.support.stores import backup_store

SHARED_DATA = ROOT.parent / "shared" / "data"

# One local issuer (signing key + JWKS) and one access log per test session, never the repo's
# var/: tests mint tokens with tests/support/auth.py through the same path as `nhskg token issue`.
_AUTH = Path(tempfile.mkdtemp(prefix="nhskg-test-auth-"))
os.environ["NHSKG_AUTH_DIR"] = str(_AUTH)
os.environ["NHSKG_ACCESS_LOG"] = str(_AUTH / "access-log.jsonl")
for _name in ("NHSKG_AUTH_JWKS", "NHSKG_AUTH_ISSUER", "NHSKG_AUTH_AUDIENCE", "NHSKG_AUTH"):
    os.environ.pop(_name, None)


# Tests that read the national data share the session's national stores (minutes to build), so
# under `make test` (pytest-xdist) every file that uses them runs on one worker, and every other
# file on whichever worker is free, its module fixtures built once. pytest 9 keeps a node's id in
# `_id`, so xdist's own `--dist loadgroup` (which renames `_nodeid`) groups nothing: the groups
# are made here, by file, in the scheduler xdist asks this hook for.
_NATIONAL_FIXTURES = re.compile(
    r"\b(shared_data|national_store|national_reference|national_lookup|geo_placer|returns_env|"
    r"figures_env)\b"
)


@cache
def test_file_group(path: str) -> str:
    """ "national" for a test file that uses the national fixtures, else the file itself."""
    source = Path(__file__).parent.parent / path
    uses = source.is_file() and _NATIONAL_FIXTURES.search(source.read_text(encoding="utf-8"))
    return "national" if uses else path


@pytest.hookimpl(optionalhook=True)  # only when pytest-xdist runs the session
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class ByTestGroup(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return test_file_group(nodeid.split("::", 1)[0])

    return ByTestGroup(config, log)


@pytest.fixture
def memory_store() -> GraphStore:
    return GraphStore(None)


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DATA_DIR


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real reference data not found at {SHARED_DATA}; national tests skipped")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    from service.manifest import load_all

    store = GraphStore(tmp_path_factory.mktemp("sample-store"))
    results = load_all(store, SAMPLE_DATA_DIR)
    assert all(r.ok for r in results), [r.report.text() for r in results if not r.ok]
    yield store


@pytest.fixture(scope="session")
def national_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> GraphStore:
    """Every manifest file from ../shared/data, loaded once per test session (on disk)."""
    from service.manifest import load_all

    store = GraphStore(tmp_path_factory.mktemp("national-store"))
    results = load_all(store, shared_data)
    assert all(r.ok for r in results), [r.report.text() for r in results if not r.ok]
    return store


@pytest.fixture(scope="session")
def national_reference(national_store: GraphStore):  # type: ignore[no-untyped-def]
    """The read model of the national store (service/reference/), built once per session (about
    a minute) and saved with the store, as `nhskg load-all` does: every test that reads the
    national reference shares it."""
    from service.reference import ReferenceData

    return ReferenceData.current(national_store)


@pytest.fixture(scope="session")
def geo_placer(national_reference):  # type: ignore[no-untyped-def]
    """The placer of the session's national reference snapshot."""
    return national_reference.lookup.placer


@pytest.fixture(scope="session")
def returns_env(
    national_store: GraphStore, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
):
    """A copy of the national store plus a numbers store, with the COVID-19 Hospital Activity
    publication (about a million values) loaded once per session."""
    import time

    from service.reference import ReferenceData
    from service.returns.load import load_return_file
    from service.returns.numbers import NumbersStore

    target = tmp_path_factory.mktemp("returns") / "store"
    backup_store(national_store, target)  # a consistent copy; the national store stays as is
    store = GraphStore(target)
    numbers = NumbersStore(target.parent / "numbers.duckdb")
    started = time.perf_counter()
    result = load_return_file(
        store, numbers, shared_data / "returns/covid-hospital-activity-2020-08-13.xlsx"
    )
    seconds = time.perf_counter() - started
    assert result.status == "loaded", result.report.text()
    ReferenceData.current(store)  # saved with the store, so its copies (backup_store) read it
    return {"store": store, "numbers": numbers, "covid": result, "covid_seconds": seconds}


@pytest.fixture(scope="session")
def national_lookup(national_reference):  # type: ignore[no-untyped-def]
    """The lookup of the session's national reference snapshot."""
    return national_reference.lookup


@pytest.fixture(scope="session")
def figures_env(  # type: ignore[no-untyped-def]
    returns_env: dict[str, Any], national_lookup: Any, tmp_path_factory: pytest.TempPathFactory
):
    """The national roll-up world of tests/test_figures_national.py: a copy of the national
    store with the COVID publication (the steward tests change it), the national lookup, and a
    numbers store holding two metrics (a stock and a flow) and the org_area table of every
    method in every geography type, for the organisations that report and their successors,
    written from the lookup's own timelines (as `nhskg load-all` writes it from a placer of the
    same graphs)."""
    from service.geography.table import org_area_rows, write_duckdb
    from service.rdf.vocab import NHSKG
    from service.reference.successions import later_carriers
    from service.returns.codes import graph_successions
    from service.returns.numbers import NumbersStore

    base = tmp_path_factory.mktemp("figures")
    backup_store(returns_env["store"], base / "store")
    store = GraphStore(base / "store")
    lookup = national_lookup
    source = returns_env["numbers"]
    metrics = [str(NHSKG.BedsOccupiedCovid), str(NHSKG.CovidAdmissions)]
    reporters = [
        str(r[0])
        for r in source.con.execute(
            "SELECT DISTINCT org_code FROM reporter WHERE list_contains(?, metric)", [metrics]
        ).fetchall()
    ]
    organisations = sorted(later_carriers(reporters, graph_successions(store)))
    rows = org_area_rows(lookup.placer, organisations=organisations, timelines=lookup.timelines)
    path = base / "numbers.duckdb"
    write_duckdb(rows, path)
    numbers = NumbersStore(path)
    frame = source.con.execute(  # noqa: F841 (read by DuckDB's replacement scan below)
        "SELECT * FROM reported_value WHERE list_contains(?, metric)", [metrics]
    ).fetchnumpy()
    numbers.con.execute(
        "INSERT INTO reported_value SELECT * REPLACE (CAST(period_start AS DATE) AS "
        "period_start, CAST(period_end AS DATE) AS period_end) FROM frame"
    )
    numbers.refresh_reporters()
    return {"store": store, "numbers": numbers, "lookup": lookup, "organisations": organisations}


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    """One local SparkSession (2 cores) for the whole test session, with Java installed first."""
    from service.rollup.spark import spark_session
    from tests.spark_support import ensure_java

    ensure_java()
    session = spark_session("local[2]")
    yield session
    session.stop()
