"""Shared fixtures. The national data is loaded once per session, into an on-disk store."""

from __future__ import annotations

import atexit
import itertools
import json
import os
import pickle
import re
import shutil
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from service.rdf.store import GraphStore
from service.rdf.terms import ROOT, SAMPLE_DATA_DIR
from tests.support.built_once import built_once
from tests.support.stores import backup_store, copy_store

SHARED_DATA = ROOT.parent / "shared" / "data"

# One local issuer (signing key + JWKS) and one access log per test session, never the repo's
# var/: tests mint tokens with tests/support/auth.py through the same path as `nhskg token issue`.
_AUTH = Path(tempfile.mkdtemp(prefix="nhskg-test-auth-"))
atexit.register(shutil.rmtree, _AUTH, ignore_errors=True)  # each pytest process makes its own
os.environ["NHSKG_AUTH_DIR"] = str(_AUTH)
os.environ["NHSKG_ACCESS_LOG"] = str(_AUTH / "access-log.jsonl")
for _name in ("NHSKG_AUTH_JWKS", "NHSKG_AUTH_ISSUER", "NHSKG_AUTH_AUDIENCE", "NHSKG_AUTH"):
    os.environ.pop(_name, None)


# Tests that read the national data share the session's national stores (minutes to build; one
# build for all workers, tests/support/built_once.py). `make test` runs each test file whole on
# one pytest-xdist worker (`--dist loadfile`), handed out in collection order (with
# `--no-loadscope-reorder`: by default xdist hands out the files with most tests first), so the
# files are collected in an order that keeps every worker busy: the first national file (its
# worker builds the national stores), then a share of the other files for the other workers
# meanwhile ((W - 1) / W of them with W workers: the build takes about as long as that share on
# W - 1 workers), then national and other files in turn, the slowest of each first.
_NATIONAL_FIXTURES = re.compile(
    r"\b(shared_data|national_store|national_reference|national_lookup|geo_placer|returns_env|"
    r"figures_env)\b"
)
# National files measured at a minute or more, started first for a shorter tail.
_SLOW_NATIONAL = ("tests/test_figures_national.py", "tests/test_dashboards_browser.py")


# Files with Spark tests run on one worker, one after the other, so one JVM serves them all
# (the `spark` fixture is per worker session: each worker that asks starts its own JVM).
_SPARK = re.compile(r"\bpytest\.mark\.spark\b")


@cache
def _source(path: str) -> str:
    source = Path(__file__).parent.parent / path
    return source.read_text(encoding="utf-8") if source.is_file() else ""


def uses_national_data(path: str) -> bool:
    return bool(_NATIONAL_FIXTURES.search(_source(path)))


def uses_spark(path: str) -> bool:
    return bool(_SPARK.search(_source(path)))


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile`, with the files that use Spark as one unit of work (see _SPARK)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class OneJvmScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return "spark" if uses_spark(path) else path

    return OneJvmScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return  # one process: collection order
    by_file: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    national = [f for f in _SLOW_NATIONAL if f in by_file]
    national += [f for f in by_file if uses_national_data(f) and f not in national]
    others = sorted(
        (f for f in by_file if not uses_national_data(f)), key=lambda f: -len(by_file[f])
    )
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "2"))
    ahead = len(others) * (workers - 1) // workers
    order = national[:1] + others[:ahead]
    order += [f for pair in itertools.zip_longest(national[1:], others[ahead:]) for f in pair if f]
    items[:] = [item for f in _spark_together(order) for item in by_file[f]]


def _spark_together(order: list[str]) -> list[str]:
    """The Spark files moved together (one unit of work: pytest_xdist_make_scheduler), where
    the first of them that needs the national data was: the unit waits for no national build."""
    spark = [f for f in order if uses_spark(f)]
    if not spark:
        return order
    anchor = next((f for f in spark if uses_national_data(f)), spark[0])
    out: list[str] = []
    for f in order:
        if f == anchor:
            out += spark
        elif f not in spark:
            out.append(f)
    return out


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
    yield from _unwritten(store)


def _unwritten(store: GraphStore) -> Iterator[GraphStore]:
    """A store shared by every test of a worker, failing the session if one of them wrote to it:
    a write (even a steward's dry run, which records provenance) changes what tests that run later
    compare against, so an outcome would depend on the order. Write to a copy instead."""
    quads = len(store._store)  # counted, not the cached quad_count a stale cache would repeat
    yield store
    assert len(store._store) == quads, f"a test wrote to the shared store {store.path}"


@pytest.fixture(scope="session")
def national_store(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GraphStore]:
    """Every manifest file from ../shared/data, loaded once per test session (on disk), with its
    reference snapshot saved beside it (tests/support/built_once.py: one build for all
    workers, a copy each)."""

    def build(target: Path) -> None:
        from service.manifest import load_all
        from service.reference import ReferenceData

        store = GraphStore(tmp_path_factory.mktemp("national-build") / "store")
        results = load_all(store, shared_data)
        assert all(r.ok for r in results), [r.report.text() for r in results if not r.ok]
        ReferenceData.current(store)  # saved with the store: every copy reads it
        backup_store(store, target)

    yield from _unwritten(GraphStore(built_once(tmp_path_factory, "national-store", build)))


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
    publication (about a million values) loaded once per session (one build for all workers)."""
    from service.returns.numbers import NumbersStore

    def build(target: Path) -> None:
        from service.reference import ReferenceData
        from service.returns.load import load_return_file

        store = copy_store(national_store, tmp_path_factory.mktemp("returns-build") / "store")
        numbers = NumbersStore(store.path.parent / "numbers.duckdb")  # type: ignore[union-attr]
        result = load_return_file(
            store, numbers, shared_data / "returns/covid-hospital-activity-2020-08-13.xlsx"
        )
        assert result.status == "loaded", result.report.text()
        ReferenceData.current(store)  # saved with the store, so its copies read it
        target.mkdir()
        backup_store(store, target / "store")
        numbers.close()
        shutil.copyfile(numbers.path, target / "numbers.duckdb")  # type: ignore[arg-type]
        (target / "covid.pickle").write_bytes(pickle.dumps(result))

    built = built_once(tmp_path_factory, "returns", build)
    return {
        "store": GraphStore(built / "store"),
        "numbers": NumbersStore(built / "numbers.duckdb"),
        "covid": pickle.loads((built / "covid.pickle").read_bytes()),
    }


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

    def build(target: Path) -> None:
        source = returns_env["numbers"]
        metrics = [str(NHSKG.BedsOccupiedCovid), str(NHSKG.CovidAdmissions)]
        reporters = [
            str(r[0])
            for r in source.con.execute(
                "SELECT DISTINCT org_code FROM reporter WHERE list_contains(?, metric)", [metrics]
            ).fetchall()
        ]
        organisations = sorted(later_carriers(reporters, graph_successions(returns_env["store"])))
        lookup = national_lookup
        rows = org_area_rows(lookup.placer, organisations=organisations, timelines=lookup.timelines)
        target.mkdir()
        backup_store(returns_env["store"], target / "store")
        write_duckdb(rows, target / "numbers.duckdb")
        numbers = NumbersStore(target / "numbers.duckdb")
        frame = source.con.execute(  # noqa: F841 (read by DuckDB's replacement scan below)
            "SELECT * FROM reported_value WHERE list_contains(?, metric)", [metrics]
        ).fetchnumpy()
        numbers.con.execute(
            "INSERT INTO reported_value SELECT * REPLACE (CAST(period_start AS DATE) AS "
            "period_start, CAST(period_end AS DATE) AS period_end) FROM frame"
        )
        numbers.refresh_reporters()
        numbers.close()
        (target / "organisations.json").write_text(json.dumps(organisations))

    built = built_once(tmp_path_factory, "figures", build)
    return {
        "store": GraphStore(built / "store"),
        "numbers": NumbersStore(built / "numbers.duckdb"),
        "lookup": national_lookup,
        "organisations": json.loads((built / "organisations.json").read_text()),
    }


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    """One local SparkSession (2 cores) for the whole test session, with Java installed first."""
    from service.rollup.spark import spark_session
    from tests.spark_support import ensure_java

    ensure_java()
    session = spark_session("local[2]")
    yield session
    session.stop()
