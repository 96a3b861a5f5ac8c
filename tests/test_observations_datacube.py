"""The Data Cube view of reported values: qb:Observation in a qb:DataSet with a structure,
integer values for counts, readable IRIs, and the W3C Data Cube integrity constraints (those
that apply to a slice) hold, over the real HTTP server."""

from __future__ import annotations

import httpx
import pyoxigraph as ox
import pytest

from service.api.app import create_app
from service.config import Settings
from service.rdf.store import GraphStore
from service.rdf.terms import ONTOLOGY_DIR, SAMPLE_DATA_DIR
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from tests.http_server import serve
from tests.support.auth import bearer

SAMPLE_RETURN = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"
PREFIXES = """
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX nhskg: <https://w3id.org/nhskg/def#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
COMPONENT = "(qb:dimension|qb:measure|qb:attribute|qb:componentProperty)"
# Integrity constraints of the W3C Data Cube Recommendation (section 11), each an ASK that is
# true when violated; IC-3 and IC-4 read the component properties through the shorthand ones.
INTEGRITY = {
    "IC-1 unique data set": """ASK {
        { ?obs a qb:Observation . FILTER NOT EXISTS { ?obs qb:dataSet ?d } }
        UNION { ?obs a qb:Observation ; qb:dataSet ?d1, ?d2 . FILTER (?d1 != ?d2) } }""",
    "IC-2 unique DSD": """ASK { { ?ds a qb:DataSet . FILTER NOT EXISTS { ?ds qb:structure ?s } }
        UNION { ?ds a qb:DataSet ; qb:structure ?s1, ?s2 . FILTER (?s1 != ?s2) } }""",
    "IC-3 DSD includes a measure": f"""ASK {{ ?dsd a qb:DataStructureDefinition .
        FILTER NOT EXISTS {{ ?dsd qb:component/{COMPONENT} [a qb:MeasureProperty] }} }}""",
    "IC-4 dimensions have a range": f"""ASK {{ ?dsd qb:component/{COMPONENT} ?dim .
        ?dim a qb:DimensionProperty . FILTER NOT EXISTS {{ ?dim rdfs:range [] }} }}""",
    "IC-11 all dimensions required": """ASK {
        ?obs qb:dataSet/qb:structure/qb:component/qb:dimension ?dim .
        FILTER NOT EXISTS { ?obs ?dim [] } }""",
    "IC-12 no duplicate observations": """ASK { ?o1 qb:dataSet ?ds . ?o2 qb:dataSet ?ds .
        FILTER (?o1 != ?o2)
        FILTER NOT EXISTS { ?ds qb:structure/qb:component/qb:dimension ?dim .
                            ?o1 ?dim ?v1 . ?o2 ?dim ?v2 . FILTER (?v1 != ?v2) } }""",
    "IC-14 all measures present": """ASK { ?obs qb:dataSet/qb:structure/qb:component/qb:measure ?m .
        FILTER NOT EXISTS { ?obs ?m [] } }""",
    "IC-19 codes from the code list": """ASK {
        ?obs qb:dataSet/qb:structure/qb:component/qb:dimension ?dim .
        ?dim qb:codeList ?list . ?list a skos:ConceptScheme . ?obs ?dim ?v .
        FILTER NOT EXISTS { ?v skos:inScheme ?list } }""",
}


@pytest.fixture(scope="module")
def cube(sample_store: GraphStore) -> tuple[ox.Store, NumbersStore, str]:
    store = sample_store.copy_in_memory()
    numbers = NumbersStore(None)
    assert load_return_file(store, numbers, SAMPLE_RETURN).status == "loaded"
    [code] = numbers.con.execute(
        "SELECT org_code FROM reported_value GROUP BY ALL ORDER BY count(*) DESC, org_code LIMIT 1"
    ).fetchone()
    app = create_app(Settings(store_path=None, numbers_path=None), store=store, numbers=numbers)
    with serve(app) as url:
        response = httpx.get(f"{url}/observations/{code}.ttl", headers=bearer())
    assert response.status_code == 200
    out = ox.Store()
    out.load(response.content, format=ox.RdfFormat.TURTLE)
    return out, numbers, code


def test_every_value_is_a_qb_observation_in_a_data_set(
    cube: tuple[ox.Store, NumbersStore, str],
) -> None:
    out, numbers, code = cube
    [(expected,)] = numbers.con.execute(
        "SELECT count(*) FROM reported_value WHERE org_code = ? OR reported_code = ?", [code, code]
    ).fetchall()
    [row] = out.query(
        PREFIXES + "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a qb:Observation ; qb:dataSet "
        "[ a qb:DataSet ; qb:structure [ a qb:DataStructureDefinition ] ] }"
    )
    assert int(row["n"].value) == expected > 0


def test_counts_are_integers_and_iris_are_readable(
    cube: tuple[ox.Store, NumbersStore, str],
) -> None:
    out, numbers, _ = cube
    [(publication,)] = numbers.con.execute("SELECT publication FROM batch").fetchall()
    values = list(
        out.query(PREFIXES + "SELECT ?o ?v WHERE { ?o a qb:Observation ; nhskg:reportedValue ?v }")
    )
    assert values and all(
        r["v"].datatype.value == "http://www.w3.org/2001/XMLSchema#integer" for r in values
    )
    for r in values:
        iri = r["o"].value
        tail = iri.removeprefix("https://w3id.org/nhskg/id/observation/")
        assert "://" not in tail and "%2F" not in tail, iri
        assert tail.startswith(f"{publication}/")


@pytest.mark.parametrize("constraint", sorted(INTEGRITY))
def test_data_cube_integrity_constraints_hold(
    cube: tuple[ox.Store, NumbersStore, str], constraint: str
) -> None:
    out, _, _ = cube
    checked = ox.Store()
    checked.bulk_extend(out)
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):  # the code lists live in the ontology
        checked.load(path=str(path), format=ox.RdfFormat.TURTLE)
    assert not bool(checked.query(PREFIXES + INTEGRITY[constraint])), constraint


def test_averages_keep_their_decimals() -> None:
    from service.reference.metrics import MetricIndex
    from service.returns.datacube import typed_value

    metrics = MetricIndex.build(GraphStore(None))
    average = metrics.find("OvernightBedsOccupied")
    count = metrics.find("BedsOccupied")
    assert average is not None and count is not None
    assert typed_value(12.5, average.iri, metrics).datatype.endswith("#decimal")
    assert typed_value(12.0, average.iri, metrics).datatype.endswith("#decimal")
    assert typed_value(12.0, count.iri, metrics).toPython() == 12


def test_every_metric_states_its_value_datatype() -> None:
    from rdflib import RDF, Graph, Namespace

    nhskg = Namespace("https://w3id.org/nhskg/def#")
    ontology = Graph().parse(ONTOLOGY_DIR / "metrics.ttl", format="turtle")
    metrics = set(ontology.subjects(RDF.type, nhskg.Metric))
    assert len(metrics) > 40
    missing = [m for m in metrics if len(set(ontology.objects(m, nhskg.valueDatatype))) != 1]
    assert missing == []
