"""One store suite, two backends: embedded Oxigraph and a remote SPARQL 1.1 store (the Oxigraph
server from PyPI, started on a loopback port). Named graphs, provenance, retirement, known_at,
unfinished writes, copies and dumps behave the same on both."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from service.rdf.dumps import same_dataset, write_dump
from service.rdf.remote_store import RemoteQuadStore, RemoteStoreError
from service.rdf.store import PROVENANCE_GRAPH, GraphStore
from service.rdf.terms import ONTOLOGY_GRAPH
from tests.oxigraph_server import oxigraph_server

EX = "https://example.org/"
VALUE = URIRef(f"{EX}value")


def triples(name: str, n: int) -> list[tuple[URIRef, URIRef, Literal]]:
    return [(URIRef(f"{EX}{name}/{i}"), VALUE, Literal(i)) for i in range(n)]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with oxigraph_server() as url:
        yield url


@pytest.fixture(params=["embedded", "remote"])
def store(request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    if request.param == "embedded":
        yield GraphStore(None)
        return
    remote = RemoteQuadStore(request.getfixturevalue("server"))
    remote.clear()
    yield GraphStore(None, backend=remote)
    remote.close()


def subjects(store: GraphStore) -> set[str]:
    rows = store.select("SELECT DISTINCT ?s WHERE { ?s <https://example.org/value> ?o }")
    return {r["s"] for r in rows}


def test_the_ontology_is_loaded_once(store: GraphStore) -> None:
    assert store.named_graphs() == [str(ONTOLOGY_GRAPH)]
    size = store.quad_count()
    assert size > 500
    GraphStore(None, backend=store._store)  # reopening finds the ontology as it is
    assert store.quad_count() == size


def test_named_graphs_and_bound_selects(store: GraphStore) -> None:
    store.write_graph(f"{EX}graph/a", triples("a", 3))
    store.write_graph(f"{EX}graph/b", triples("b", 2))
    assert {f"{EX}graph/a", f"{EX}graph/b", PROVENANCE_GRAPH} <= set(store.named_graphs())
    assert store.contains_graph(f"{EX}graph/a") and not store.contains_graph(f"{EX}graph/z")
    rows = store.select("SELECT ?s ?o WHERE { ?s <https://example.org/value> ?o }", o=Literal(1))
    assert sorted(r["s"] for r in rows) == [f"{EX}a/1", f"{EX}b/1"]
    named = store.select("SELECT ?g ?s WHERE { GRAPH ?g { ?s ?p ?o } }", g=URIRef(f"{EX}graph/b"))
    assert sorted(r["s"] for r in named) == [f"{EX}b/0", f"{EX}b/1"]
    only_a = store.select("SELECT ?s WHERE { ?s ?p ?o }", graphs=[f"{EX}graph/a"])
    assert len(only_a) == 3


def test_replacing_retires_and_known_at_reads_the_past(store: GraphStore) -> None:
    first = store.write_graph(f"{EX}graph/v1", triples("v1", 2))
    time.sleep(0.01)
    between = datetime.now(UTC)
    time.sleep(0.01)
    second = store.write_graph(f"{EX}graph/v2", triples("v2", 2), retires=[f"{EX}graph/v1"])
    assert first < between < second
    assert store.retired_graphs() == {f"{EX}graph/v1"}
    assert f"{EX}graph/v1" not in store.current_graphs()
    assert subjects(store) == {f"{EX}v2/0", f"{EX}v2/1"}
    then = store.known_at(between)
    assert f"{EX}graph/v1" in then and f"{EX}graph/v2" not in then
    past = store.select("SELECT DISTINCT ?s WHERE { ?s ?p ?o }", graphs=then)
    assert {f"{EX}v1/0", f"{EX}v1/1"} <= {r["s"] for r in past}
    store.retire_graph(f"{EX}graph/v2")
    assert subjects(store) == set()
    assert store.known_at(datetime.now(UTC)) == sorted([str(ONTOLOGY_GRAPH), PROVENANCE_GRAPH])
    # provenance keeps both writes and both retirements
    prov = store.select(
        "SELECT ?g ?p WHERE { GRAPH <https://w3id.org/nhskg/graph/provenance> { ?g ?p ?t } }"
    )
    kinds = {(r["g"], r["p"].rsplit("#", 1)[-1]) for r in prov}
    assert {(f"{EX}graph/v1", "invalidatedAtTime"), (f"{EX}graph/v2", "invalidatedAtTime")} <= kinds
    assert (f"{EX}graph/v2", "generatedAtTime") in kinds


def test_provenance_records_and_the_sparql_dataset(store: GraphStore) -> None:
    store.write_graph(f"{EX}graph/a", triples("a", 2))
    store.write_graph(f"{EX}graph/b", triples("b", 1), retires=[f"{EX}graph/a"])
    store.record_provenance([(URIRef(f"{EX}check/1"), VALUE, Literal(99))])
    assert f"{EX}check/1" in subjects(store)
    current = store.sparql(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s <https://example.org/value> ?o } }"
    )
    assert {r["g"].value for r in current} == {f"{EX}graph/b", PROVENANCE_GRAPH}
    listed = store.sparql(
        "SELECT ?s WHERE { ?s ?p ?o }", default_graphs=[f"{EX}graph/a"], named_graphs=[]
    )
    assert {r["s"].value for r in listed} == {f"{EX}a/0", f"{EX}a/1"}


def test_an_unfinished_write_is_never_current(store: GraphStore) -> None:
    store.write_graph(f"{EX}graph/done", triples("done", 1))
    half = ox.NamedNode(f"{EX}graph/half")
    store._store.bulk_extend(  # a writer that died before recording its write
        [ox.Quad(ox.NamedNode(f"{EX}half/0"), ox.NamedNode(str(VALUE)), ox.Literal("0"), half)]
    )
    store._refresh_current()
    assert store.unfinished_graphs() == [f"{EX}graph/half"]
    assert f"{EX}half/0" not in subjects(store)
    assert f"{EX}graph/half" not in store.current_graphs()
    assert f"{EX}graph/half" not in store.known_at(datetime.now(UTC))


def test_copies_and_dumps_agree(store: GraphStore) -> None:
    store.write_graph(f"{EX}graph/a1", triples("a1", 3))
    store.write_graph(f"{EX}graph/a2", triples("a2", 2), retires=[f"{EX}graph/a1"])
    copy = store.copy_in_memory(current_only=True)
    assert subjects(copy) == subjects(store) == {f"{EX}a2/0", f"{EX}a2/1"}
    assert copy.retired_graphs() == store.retired_graphs()
    out = io.BytesIO()
    write_dump(store, out, "nquads")
    fresh = GraphStore(None)
    fresh.restore(out.getvalue(), ox.RdfFormat.N_QUADS)
    again = io.BytesIO()
    write_dump(fresh, again, "nquads")
    assert same_dataset(out.getvalue(), again.getvalue()).same
    assert fresh.retired_graphs() == {f"{EX}graph/a1"}


def test_both_backends_load_the_sample_to_the_same_reference(
    sample_dir: object, server: str
) -> None:
    """The whole loader (validation slices, named graphs, provenance) on the remote store gives
    the same reference facts as on the embedded one."""
    from service.manifest import load_all
    from service.reference.organisations import OrganisationIndex

    remote = RemoteQuadStore(server)
    remote.clear()
    stores = [GraphStore(None), GraphStore(None, backend=remote)]
    for target in stores:
        results = load_all(target, sample_dir)  # type: ignore[arg-type]
        assert all(r.ok for r in results)
    embedded, distant = stores
    assert embedded.quad_count() == distant.quad_count()
    assert sorted(embedded.named_graphs()) == sorted(distant.named_graphs())
    left, right = OrganisationIndex.build(embedded), OrganisationIndex.build(distant)
    assert {c: (o.name, o.open_date, o.close_date) for c, o in left.by_code.items()} == {
        c: (o.name, o.open_date, o.close_date) for c, o in right.by_code.items()
    }


def test_a_remote_failure_says_what_the_server_answered(server: str) -> None:
    remote = RemoteQuadStore(server)
    with pytest.raises(RemoteStoreError, match="answered 400"):
        remote.query("SELECT ?x WHERE { ?x")


def test_the_sparql_endpoint_serves_a_remote_store(server: str) -> None:
    import httpx

    from service.api.app import create_app
    from service.config import Settings
    from tests.http_server import serve
    from tests.support.auth import bearer

    remote = RemoteQuadStore(server)
    remote.clear()
    store = GraphStore(None, backend=remote)
    store.write_graph(f"{EX}graph/a", triples("a", 3))
    app = create_app(Settings(store_path=None, numbers_path=None), store=store)
    with serve(app) as url:
        response = httpx.get(
            f"{url}/sparql",
            params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s <https://example.org/value> ?o }"},
            headers={"Accept": "application/sparql-results+json", **bearer()},
        )
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "3"


def test_the_cli_dumps_a_remote_store(server: str, tmp_path: object) -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from service.cli import app as cli

    remote = RemoteQuadStore(server)
    remote.clear()
    store = GraphStore(None, backend=remote)
    store.write_graph(f"{EX}graph/a", triples("a", 2))
    out = Path(str(tmp_path)) / "remote.nq"
    result = CliRunner().invoke(cli, ["--store-url", server, "dump", str(out)])
    assert result.exit_code == 0, result.output
    direct = io.BytesIO()
    write_dump(store, direct, "nquads")
    assert same_dataset(out.read_bytes(), direct.getvalue()).same


def test_a_prepared_snapshot_of_a_graph_set_answers_as_the_listed_graphs(
    store: GraphStore,
) -> None:
    store.write_graph(f"{EX}graph/v1", triples("v1", 3))
    time.sleep(0.01)
    then = store.known_at(datetime.now(UTC))
    time.sleep(0.01)
    store.write_graph(f"{EX}graph/v2", triples("v2", 2), retires=[f"{EX}graph/v1"])
    query = "SELECT ?g ?s WHERE { GRAPH ?g { ?s <https://example.org/value> ?o } } ORDER BY ?g ?s"

    def answer() -> list[tuple[str, str]]:
        rows = store.sparql(query, default_graphs=then, named_graphs=then)
        return [(r["g"].value, r["s"].value) for r in rows]

    listed = answer()
    assert {s for _, s in listed} == {f"{EX}v1/{i}" for i in range(3)}
    store.prepare_reading(then)
    assert store._snapshot is not None
    assert answer() == listed
    store.record_provenance([(URIRef(f"{EX}check/1"), VALUE, Literal(1))])
    assert store._snapshot is None  # a write drops it: provenance may have grown
    assert [s for _, s in answer()] == [s for _, s in listed] + [f"{EX}check/1"]
