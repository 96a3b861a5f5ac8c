"""Retention over real HTTP on the embedded sample: a dataset past its end of use is withdrawn
from every answer, a purge deletes its values for good and is recorded; neither happens early."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from service.access.retention import RetentionError, purge, set_end_of_use
from service.api.app import create_app
from service.cli import app as cli
from service.config import Settings
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from tests.http_server import serve
from tests.support.auth import bearer

SAMPLE_RETURN = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"
DATASET = "covid-hospital-activity"
OBSERVATIONS = """{ observations(org: "RA7", metric: "BedsOccupiedCovid") { value } }"""


def _ask(url: str) -> dict[str, object]:
    return httpx.post(
        f"{url}/graphql", json={"query": OBSERVATIONS}, headers=bearer(), timeout=60
    ).json()


def test_past_its_end_of_use_a_dataset_is_withdrawn_then_purged(
    sample_store: GraphStore, tmp_path: Path
) -> None:
    store = sample_store.copy_in_memory()
    numbers = NumbersStore(tmp_path / "numbers.duckdb")
    assert load_return_file(store, numbers, SAMPLE_RETURN).status == "loaded"
    held = numbers.value_count()
    settings = Settings(store_path=None, numbers_path=None, access_log_path=None)
    # Still in use until tomorrow: answered, and no purge.
    set_end_of_use(store, numbers, DATASET, date.today() + timedelta(days=1))
    with serve(create_app(settings, store=store, numbers=numbers)) as url:
        values = _ask(url)["data"]["observations"]  # type: ignore[index]
    assert len(values) > 0
    with pytest.raises(RetentionError, match="cannot be purged before"):
        purge(store, numbers, DATASET, by="ivy@nhs.net")
    # Past it: withdrawn from answers, still held until purged.
    set_end_of_use(store, numbers, DATASET, date.today() - timedelta(days=1))
    with serve(create_app(settings, store=store, numbers=numbers)) as url:
        assert _ask(url) == {"data": {"observations": []}}
    assert numbers.value_count() == 0
    withdrawn = numbers.con.execute("SELECT count(*) FROM withdrawn_value").fetchone()
    assert withdrawn == (held,)
    done = purge(store, numbers, DATASET, by="ivy@nhs.net")
    assert done.values == held
    assert numbers.con.execute("SELECT count(*) FROM withdrawn_value").fetchone() == (0,)
    [record] = store.select(
        "SELECT ?who ?n WHERE { ?p a nhskg:RetentionPurge ; prov:wasAssociatedWith ?who ; "
        "nhskg:valueCount ?n }"
    )
    assert (record["who"], record["n"]) == ("ivy@nhs.net", held)


def test_cli_sets_an_end_of_use_and_refuses_an_unknown_dataset(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    numbers = NumbersStore(tmp_path / "numbers.duckdb")
    store = GraphStore(store_dir)
    assert load_return_file(store, numbers, SAMPLE_RETURN).status == "loaded"
    store.close()
    numbers.close()
    runner = CliRunner()
    base = ["--store", str(store_dir), "--numbers", str(tmp_path / "numbers.duckdb")]
    ok = runner.invoke(cli, [*base, "retention", "set", DATASET, "2030-03-31"])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.strip().endswith("covid-hospital-activity may be used until 2030-03-31")
    bad = runner.invoke(cli, [*base, "retention", "set", "nonsense", "2030-03-31"])
    assert bad.exit_code == 2 and "no dataset 'nonsense'" in bad.output
    early = runner.invoke(cli, [*base, "retention", "purge", DATASET, "--by", "ivy"])
    assert early.exit_code == 1 and "cannot be purged before" in early.output
