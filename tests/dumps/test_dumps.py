"""Dumps of the whole graph (N-Quads, TriG, JSON-LD with its context) over real HTTP, the CLI,
and the round trip into a fresh store compared as datasets."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Dataset, Literal, URIRef
from typer.testing import CliRunner

from service.api.app import create_app
from service.cli import app as cli
from service.config import Settings
from service.rdf.dumps import context, same_dataset, write_dump
from service.rdf.store import GraphStore
from tests.http_server import serve
from tests.support.auth import bearer, sign_httpx
from tests.support.stores import backup_store


def nquads(store: GraphStore, *, current_only: bool = False) -> bytes:
    out = io.BytesIO()
    write_dump(store, out, "nquads", current_only=current_only)
    return out.getvalue()


@pytest.fixture(autouse=True)
def signed_in(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The whole graph with its history: an admin's requests."""
    return sign_httpx(monkeypatch, "admin")


@pytest.fixture(scope="module")
def base_url(sample_store: GraphStore) -> Iterator[str]:
    with serve(create_app(Settings(store_path=None, numbers_path=None), store=sample_store)) as url:
        yield url


def test_nquads_dump_round_trips_into_a_fresh_store(
    base_url: str, sample_store: GraphStore
) -> None:
    response = httpx.get(f"{base_url}/dump.nq", timeout=60)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/n-quads")
    fresh = GraphStore(None)
    fresh.restore(response.content, ox.RdfFormat.N_QUADS)
    assert fresh.quad_count() == sample_store.quad_count()
    comparison = same_dataset(nquads(sample_store), nquads(fresh))
    assert comparison.same, comparison.text()
    assert sorted(fresh.current_graphs()) == sorted(sample_store.current_graphs())


def test_trig_dump_holds_every_quad(base_url: str, sample_store: GraphStore) -> None:
    response = httpx.get(f"{base_url}/dump.trig", timeout=60)
    assert response.status_code == 200
    dataset = Dataset()
    dataset.parse(data=response.text, format="trig")
    quads = list(dataset.quads((None, None, None, None)))
    assert len(quads) == sample_store.quad_count()
    assert {str(q[3]) for q in quads} == set(sample_store.named_graphs())
    back = ox.serialize(
        ox.parse(response.content, format=ox.RdfFormat.TRIG), format=ox.RdfFormat.N_QUADS
    )
    assert back is not None and same_dataset(nquads(sample_store), back).same


def test_jsonld_dump_uses_the_published_context_and_reads_back_the_same(
    base_url: str, sample_store: GraphStore
) -> None:
    published = httpx.get(f"{base_url}/context.jsonld").json()
    assert published == context()
    response = httpx.get(f"{base_url}/dump.jsonld", timeout=60)
    assert response.status_code == 200
    document = response.json()
    assert document["@context"] == published["@context"]
    assert any(key.startswith("nhskg:") for node in document["@graph"][0]["@graph"] for key in node)
    parsed = ox.Dataset(ox.parse(response.content, format=ox.RdfFormat.JSON_LD))
    back = ox.serialize(parsed, format=ox.RdfFormat.N_QUADS)
    assert back is not None
    comparison = same_dataset(nquads(sample_store), back)
    assert comparison.same, comparison.text()


def test_current_dump_leaves_retired_graphs_out_and_the_whole_dump_keeps_them() -> None:
    store = GraphStore(None)
    s, p = URIRef("urn:nhskg:test:s"), URIRef("urn:nhskg:test:p")
    store.write_graph("urn:nhskg:test:old", [(s, p, Literal("old"))])
    store.write_graph(
        "urn:nhskg:test:new", [(s, p, Literal("new"))], retires=["urn:nhskg:test:old"]
    )
    whole, current = nquads(store).decode(), nquads(store, current_only=True).decode()
    assert '"old"' in whole and "invalidatedAtTime" in whole
    assert '"old"' not in current and '"new"' in current
    fresh = GraphStore(None)
    fresh.restore(whole.encode(), ox.RdfFormat.N_QUADS)
    assert fresh.retired_graphs() == {"urn:nhskg:test:old"}  # history survives the round trip


def test_comparison_finds_a_changed_quad_and_ignores_blank_node_labels() -> None:
    base = (
        b'<urn:a> <urn:p> "1" <urn:g> .\n_:x <urn:p> _:y <urn:g> .\n_:y <urn:q> "two" <urn:g> .\n'
    )
    relabelled = base.replace(b"_:x", b"_:b0").replace(b"_:y", b"_:b1")
    assert same_dataset(base, relabelled).same
    changed = base.replace(b'"1"', b'"2"')
    result = same_dataset(base, changed)
    assert not result.same and result.only_left == ['<urn:a> <urn:p> "1" <urn:g> .']
    blank_changed = base.replace(b'"two"', b'"three"')
    assert not same_dataset(base, blank_changed).same


def test_cli_dump_and_restore(tmp_path: Path, sample_store: GraphStore) -> None:
    runner = CliRunner()
    source = tmp_path / "source"
    out = tmp_path / "whole.nq"
    backup_store(sample_store, source)  # the CLI opens a store directory
    result = runner.invoke(cli, ["--store", str(source), "dump", str(out)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "target"
    result = runner.invoke(cli, ["--store", str(target), "restore", str(out)])
    assert result.exit_code == 0, result.output
    again = runner.invoke(cli, ["--store", str(target), "restore", str(out)])
    assert again.exit_code == 2 and "--replace" in again.output
    restored = GraphStore(target)
    assert same_dataset(out.read_bytes(), nquads(restored)).same
    bad = runner.invoke(cli, ["--store", str(source), "dump", str(tmp_path / "x.txt")])
    assert bad.exit_code == 2 and ".nq" in bad.output


@pytest.mark.national
def test_national_graph_round_trips_through_nquads(
    national_store: GraphStore, tmp_path: Path
) -> None:
    started = time.perf_counter()
    dump = tmp_path / "national.nq"
    with dump.open("wb") as out:
        write_dump(national_store, out, "nquads")
    fresh = GraphStore(None)  # a fresh store in memory (the CLI restores into a directory)
    fresh.restore(dump, ox.RdfFormat.N_QUADS)
    comparison = same_dataset(dump.read_bytes(), nquads(fresh))
    seconds = time.perf_counter() - started
    assert comparison.same, comparison.text()
    assert comparison.quads[0] == national_store.quad_count() > 700_000
    print(f"national N-Quads round trip: {comparison.quads[0]:,} quads, {seconds:.1f} s")


def test_dumps_need_an_admin(base_url: str) -> None:
    """The whole graph, front-door records and history included: not for an analyst or anyone."""
    analyst = httpx.get(f"{base_url}/dump.nq", headers=bearer("analyst"))
    assert analyst.status_code == 403, analyst.text
    anonymous = httpx.get(f"{base_url}/dump.trig", headers={"Authorization": ""})
    assert anonymous.status_code == 401, anonymous.text
