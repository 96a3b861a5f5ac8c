"""The registered reporters and the succession index, saved beside the store
(service/reference/reporters.py, SuccessionIndex.saved): always what the queries would answer
now, on a real on-disk store, through returns loads, a steward's typing of an unregistered
provider and the replacement of the return that named it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import ORG, RDF, RDFS, Literal

from service.rdf.store import GraphStore
from service.rdf.terms import GRAPH, ID, SAMPLE_DATA_DIR
from service.rdf.vocab import NHSKG
from service.reference import reporters, saved
from service.reference.successions import SuccessionIndex
from service.reference.unregistered import known_unregistered
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from tests.support.stores import copy_store

SAMPLE_RETURN = SAMPLE_DATA_DIR / "returns" / "covid-hospital-activity-2020-08-13-long-sw-nw.csv"

# The definition the saved answer must equal: the query the loader ran before it was saved.
REGISTERED = """
SELECT DISTINCT ?org ?code ?open ?close WHERE {
    { SELECT DISTINCT ?org ?code WHERE {
        ?type rdfs:subClassOf* nhskg:Organisation .
        FILTER (?type != nhskg:UnregisteredProvider)
        ?org a ?type ; nhskg:odsCode ?code . } }
    FILTER NOT EXISTS { ?org a nhskg:UnregisteredProvider }
    OPTIONAL { ?org nhskg:openDate ?open }
    OPTIONAL { ?org nhskg:closeDate ?close }
}"""
UNREGISTERED_CODES = """
SELECT DISTINCT ?code WHERE { ?org a nhskg:UnregisteredProvider ; nhskg:odsCode ?code }"""


def queried(store: GraphStore) -> dict[str, tuple[str, Any, Any]]:
    out: dict[str, tuple[str, Any, Any]] = {}
    for r in store.select(REGISTERED):
        out.setdefault(str(r["code"]).upper(), (r["org"], r["open"], r["close"]))
    return out


def saved_answer(store: GraphStore) -> dict[str, tuple[str, Any, Any]]:
    return {
        code: (r.iri, r.open_date, r.close_date)
        for code, r in reporters.reference_organisations(store).items()
    }


@pytest.fixture
def env(sample_store: GraphStore, tmp_path: Path) -> dict[str, Any]:
    store = copy_store(sample_store, tmp_path / "store")
    numbers = NumbersStore(tmp_path / "numbers.duckdb")
    result = load_return_file(store, numbers, SAMPLE_RETURN)
    assert result.status == "loaded", result.report.text()
    return {"store": store, "numbers": numbers, "path": tmp_path}


def reopened(env: dict[str, Any]) -> GraphStore:
    """The store as the next process opens it (no in-memory copy, the saved files read)."""
    env["store"].close()
    env["store"] = GraphStore(env["path"] / "store")
    return env["store"]


def test_the_saved_reporters_are_the_query_s_answer_and_are_read_back(env: dict[str, Any]) -> None:
    store = reopened(env)
    assert saved_answer(store) == queried(store)
    path = saved.snapshot_path(store, reporters.FILE_NAME)
    assert path is not None and path.is_file()
    written = path.stat().st_mtime_ns
    store = reopened(env)
    assert saved_answer(store) == queried(store)
    assert path.stat().st_mtime_ns == written  # read back, not found again
    assert known_unregistered(store) == {
        str(r["code"]).upper() for r in store.select(UNREGISTERED_CODES)
    }
    assert known_unregistered(store)  # the sample return names unregistered providers


def test_a_returns_load_keeps_the_saved_reporters(env: dict[str, Any]) -> None:
    store = reopened(env)
    saved_answer(store)
    path = saved.snapshot_path(store, reporters.FILE_NAME)
    assert path is not None
    written = path.stat().st_mtime_ns
    # The same publication's later release: its own graph, its own batch.
    other = env["path"] / "covid-hospital-activity-2020-08-20-long-sw-nw.csv"
    lines = SAMPLE_RETURN.read_text().splitlines()
    other.write_text("\n".join(lines[:-5]) + "\n")
    assert load_return_file(store, env["numbers"], other).status == "loaded"
    store = reopened(env)
    assert saved_answer(store) == queried(store)
    assert path.stat().st_mtime_ns == written


def test_a_provider_a_steward_types_answers_once_its_return_is_replaced(
    env: dict[str, Any],
) -> None:
    store = reopened(env)
    code = sorted(known_unregistered(store))[0]
    org = ID[f"org/{code}"]
    # A steward gives the provider a class (and its ODS code) in a graph of their own.
    store.write_graph(
        str(GRAPH["changeset/test-assign"]),
        [(org, RDF.type, NHSKG.NHSTrust), (org, NHSKG.odsCode, Literal(code)),
         (org, RDFS.label, Literal("Assigned"))],
    )  # fmt: skip
    store = reopened(env)
    assert code not in saved_answer(store)  # still typed unregistered by the return's graph
    assert saved_answer(store) == queried(store)
    # The return that named it is replaced (its graph retired): the provider is registered now.
    for graph in store.current_graphs():
        if graph.startswith(str(GRAPH["returns/"])):
            store.retire_graph(graph)
    store = reopened(env)
    assert code in queried(store)
    assert saved_answer(store) == queried(store)


def test_the_saved_succession_index_follows_a_new_event(env: dict[str, Any]) -> None:
    store = reopened(env)
    steps = [s.event for s in SuccessionIndex.from_store(store).steps]
    assert [s.event for s in SuccessionIndex.saved(store).steps] == steps
    assert [s.event for s in SuccessionIndex.saved(reopened(env)).steps] == steps
    event = ID["event/test-merger"]
    reopened(env).write_graph(
        str(GRAPH["changeset/test-merger"]),
        [
            (event, RDF.type, ORG.ChangeEvent),
            (event, NHSKG.effectiveDate, Literal(date(2021, 4, 1))),
            (event, ORG.originalOrganization, ID["org/RA9"]),
            (event, ORG.resultingOrganization, ID["org/R0D"]),
        ],
    )
    store = reopened(env)
    fresh = [s.event for s in SuccessionIndex.from_store(store).steps]
    assert fresh != steps  # the new event is read
    assert [s.event for s in SuccessionIndex.saved(store).steps] == fresh


def _organisation_classes(store: GraphStore) -> set[str]:
    rows = store.select("SELECT ?c WHERE { ?c rdfs:subClassOf* nhskg:Organisation }")
    return {str(r["c"]) for r in rows} | {str(NHSKG.Site)}


def numbers_graphs_state_only_their_unregistered_providers(store: GraphStore) -> list[str]:
    """What service/reference/reporters.py relies on, checked on every graph of returns and of
    values by area: any subject with an ODS code, dates or an organisation class there is typed
    unregistered in that graph, and no change event is stated there. Problems, in words."""
    problems = []
    organisation_classes = _organisation_classes(store)
    org_facts = {str(NHSKG.odsCode), str(NHSKG.openDate), str(NHSKG.closeDate)}
    for graph in store.named_graphs():
        if not graph.startswith(saved.NUMBERS_GRAPHS):
            continue
        unregistered, facts = set(), set()
        for q in store._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            p, o = q.predicate.value, q.object
            if p == str(RDF.type) and o.value == str(NHSKG.UnregisteredProvider):
                unregistered.add(q.subject.value)
            elif (p == str(RDF.type) and o.value in organisation_classes) or p in org_facts:
                facts.add(q.subject.value)
            elif p in (str(ORG.originalOrganization), str(ORG.resultingOrganization)):
                problems.append(f"{graph} states a change event {q.subject.value}")
        problems += [f"{graph} states facts of {s}, not unregistered there" for s in facts
                     - unregistered]  # fmt: skip
    return problems


def test_return_graphs_state_only_their_unregistered_providers(env: dict[str, Any]) -> None:
    store = env["store"]
    assert any(g.startswith(str(GRAPH["returns/"])) for g in store.named_graphs())
    assert numbers_graphs_state_only_their_unregistered_providers(store) == []


def test_national_return_graphs_state_only_their_unregistered_providers(
    returns_env: dict[str, Any],
) -> None:
    store = returns_env["store"]
    assert any(g.startswith(str(GRAPH["returns/"])) for g in store.named_graphs())
    assert numbers_graphs_state_only_their_unregistered_providers(store) == []
