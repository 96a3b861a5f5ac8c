"""GET /observations/{code}.ttl: reported values read back as RDF Data Cube observations over the
real HTTP server, agreeing with the numbers store value for value."""

from __future__ import annotations

import httpx
from rdflib import Graph, URIRef

from service.api.app import create_app
from service.config import Settings
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from tests.http_server import serve
from tests.support.auth import bearer

SAMPLE_RETURN = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"

CUBE = """
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX nhskg: <https://w3id.org/nhskg/def#>
SELECT (COUNT(?o) AS ?n) (SUM(?v) AS ?total) WHERE {
    ?o a nhskg:ReportedValue ; nhskg:metric ?m ; nhskg:reportedValue ?v ;
       nhskg:inBatch ?batch ; nhskg:periodStart ?day .
    ?batch qb:structure ?dsd .
    FILTER (?m = ?metric)
}"""


def test_an_organisations_values_read_as_data_cube_observations(sample_store: GraphStore) -> None:
    store = sample_store.copy_in_memory()
    numbers = NumbersStore(None)
    assert load_return_file(store, numbers, SAMPLE_RETURN).status == "loaded"
    code, metric, count, total = numbers.con.execute(
        "SELECT org_code, metric, count(*), sum(value) FROM reported_value "
        "GROUP BY ALL ORDER BY sum(value) DESC, org_code, metric LIMIT 1"
    ).fetchone()
    app = create_app(Settings(store_path=None, numbers_path=None), store=store, numbers=numbers)
    with serve(app) as url:
        response = httpx.get(
            f"{url}/observations/{code.lower()}.ttl", params={"metric": metric}, headers=bearer()
        )
        unknown = httpx.get(f"{url}/observations/ZZZ.ttl", headers=bearer())
        bad_metric = httpx.get(
            f"{url}/observations/{code}.ttl", params={"metric": "Nope"}, headers=bearer()
        )
        backwards = httpx.get(
            f"{url}/observations/{code}.ttl",
            params={"from": "2020-05-01", "to": "2020-04-01"},
            headers=bearer(),
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    [row] = graph.query(CUBE, initBindings={"metric": URIRef(metric)})
    assert (int(row[0]), float(row[1])) == (count, total) and total > 0
    # Unknown code, unknown metric, from after to: errors of the documented shape, not empty 200s.
    assert unknown.status_code == 404 and unknown.json()["detail"]["status"] == "unknown_code"
    assert bad_metric.status_code == 422
    assert bad_metric.json()["detail"]["status"] == "unknown_metric"
    assert backwards.status_code == 422
    assert backwards.json()["detail"]["status"] == "from_after_to"
