"""Queries read the current graphs. Once a graph is retired they read an in-memory copy of the
current graphs, kept up to date by every write (service/rdf/store.py `_reading`); these tests check
that copy answers exactly as the store read through the list of current graphs does, through
loads that replace graphs, retirements, provenance records and a reopened store."""

from __future__ import annotations

from pathlib import Path

from rdflib import Literal, URIRef

from service.rdf.store import GraphStore

EX = "https://example.org/"
COUNT = "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s ORDER BY ?s"
NAMED = "SELECT ?g ?s ?o WHERE { GRAPH ?g { ?s <https://example.org/value> ?o } } ORDER BY ?g ?s"


def triples(name: str, n: int) -> list[tuple[URIRef, URIRef, Literal]]:
    return [(URIRef(f"{EX}{name}/{i}"), URIRef(f"{EX}value"), Literal(i)) for i in range(n)]


def same_as_listed_graphs(store: GraphStore) -> None:
    """The current state read as it is served equals it read through the graphs one by one."""
    current = store.current_graphs()
    for query in (COUNT, NAMED):
        listed = store.select(query, graphs=current)
        served = store.select(query)
        if query == NAMED:  # GRAPH ?g ranges over every named graph: keep the current ones
            served = [r for r in served if str(r["g"]) in current]
            listed = [r for r in listed if str(r["g"]) in current]
        assert served == listed


def test_the_current_view_follows_every_write(tmp_path: Path) -> None:
    store = GraphStore(tmp_path / "store")
    store.write_graph(f"{EX}graph/a1", triples("a1", 5))
    store.write_graph(f"{EX}graph/b", triples("b", 3))
    assert store._view is None  # nothing retired: the union of all graphs is read directly
    same_as_listed_graphs(store)

    store.write_graph(f"{EX}graph/a2", triples("a2", 4), retires=iter([f"{EX}graph/a1"]))
    same_as_listed_graphs(store)
    assert store._view is not None  # a graph is retired: the copy answers
    subjects = {str(r["s"]) for r in store.select(COUNT)}
    assert f"{EX}a2/0" in subjects and f"{EX}a1/0" not in subjects and f"{EX}b/2" in subjects

    # Writes after the copy was made reach it: a new graph, a provenance record, a retirement.
    store.write_graph(f"{EX}graph/c", triples("c", 2))
    store.record_provenance([(URIRef(f"{EX}check/1"), URIRef(f"{EX}value"), Literal(99))])
    store.retire_graph(f"{EX}graph/b")
    same_as_listed_graphs(store)
    subjects = {str(r["s"]) for r in store.select(COUNT)}
    assert {f"{EX}c/1", f"{EX}check/1"} <= subjects
    assert not any(s.startswith(f"{EX}b/") for s in subjects)
    rows = store.lexical_select("SELECT ?o WHERE { <https://example.org/check/1> ?p ?o }")
    assert rows == [{"o": "99"}]

    store.close()
    reopened = GraphStore(tmp_path / "store", read_only=True)
    same_as_listed_graphs(reopened)
    assert {str(r["s"]) for r in reopened.select(COUNT)} == subjects


def test_a_copy_of_the_current_graphs_reads_as_one_union() -> None:
    store = GraphStore(None)
    store.write_graph(f"{EX}graph/a1", triples("a1", 5))
    store.write_graph(f"{EX}graph/a2", triples("a2", 4), retires=[f"{EX}graph/a1"])
    everything = store.copy_in_memory()
    current = store.copy_in_memory(current_only=True)
    assert f"{EX}graph/a1" in everything.named_graphs()
    assert f"{EX}graph/a1" not in current.named_graphs()
    mine = (  # blank nodes of the ontology are renamed by a copy: compare the example's own
        "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), STR(ex:))) } "
        "GROUP BY ?s ORDER BY ?s"
    ).replace("ex:", f"<{EX}>")
    assert current.select(mine) == everything.select(mine) == store.select(mine)
    subjects = {str(r["s"]) for r in store.select(mine)}
    assert {f"{EX}a2/{i}" for i in range(4)} <= subjects and f"{EX}a1/0" not in subjects
    assert current._view is None and everything._view is not None
    assert current.retired_graphs() == store.retired_graphs()  # provenance came along


def test_a_writable_store_keeps_the_copy_a_reference_read_made(tmp_path: Path) -> None:
    """A writable store keeps the in-memory copy `reading_in_memory` makes, even with nothing
    retired (a steward's check, apply and revert then read the reference without copying the
    store three times), and every later write reaches it; a scratch copy of the current
    graphs taken from it is the one taken from disk; a read-only store drops its copy."""
    store = GraphStore(tmp_path / "store")
    store.write_graph(f"{EX}graph/a", triples("a", 5))
    with store.reading_in_memory():
        same_as_listed_graphs(store)
    assert store._view is not None and not store.retired_graphs()

    store.write_graph(f"{EX}graph/b", triples("b", 3))
    store.record_provenance([(URIRef(f"{EX}check/1"), URIRef(f"{EX}value"), Literal(99))])
    same_as_listed_graphs(store)
    from_view = store.copy_in_memory(current_only=True)
    from_disk = GraphStore(tmp_path / "store", read_only=True)
    assert from_disk.select(NAMED) == store.select(NAMED)
    mine = (
        f"SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{EX}')) }} }}"
    )
    assert len(from_view.select(mine)) == 5 + 3 + 1 + 2  # and when each graph was written
    assert from_view.select(mine + " ORDER BY ?g ?s ?p ?o") == from_disk.copy_in_memory(
        current_only=True
    ).select(mine + " ORDER BY ?g ?s ?p ?o")
    assert from_view.current_graphs() == store.current_graphs()

    store.retire_graph(f"{EX}graph/a")
    same_as_listed_graphs(store)
    subjects = {str(r["s"]) for r in store.select(COUNT)}
    assert f"{EX}b/2" in subjects and f"{EX}check/1" in subjects
    assert not any(s.startswith(f"{EX}a/") for s in subjects)

    with from_disk.reading_in_memory():
        assert from_disk._view is not None
    assert from_disk._view is None  # read-only: nothing retired when opened, copy dropped


def test_the_quad_count_follows_every_kind_of_write() -> None:
    """The count is kept between writes (a national scan takes 0.2 s); every write drops it."""
    store = GraphStore(None)
    counts = [store.quad_count()]
    store.write_graph(f"{EX}graph/a", triples("a", 3))
    counts.append(store.quad_count())
    store.record_provenance([(URIRef(f"{EX}check/1"), URIRef(f"{EX}value"), Literal(1))])
    counts.append(store.quad_count())
    store.retire_graph(f"{EX}graph/a")
    counts.append(store.quad_count())
    assert counts == sorted(set(counts)), counts  # each write added quads, each count saw them
    assert counts[-1] == len(store._store)
