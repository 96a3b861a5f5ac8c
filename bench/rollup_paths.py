"""The same roll-up by LRF, four ways, over the same synthetic data. Each path is a pair: a loader
(synthetic system -> something queryable) and a query (that, metric, start, end, restatement
day -> {LRF code: total}).

(a) rdflib: an in-memory Graph of RDF Data Cube observations plus the restatement and placement
    mappings as triples, one SPARQL query (what a user of the stack writes first);
(b) pyoxigraph: the same triples and the same query in Oxigraph's native SPARQL engine;
(c) DuckDB: hand-written SQL over a flat table of values and a precomputed (organisation, LRF,
    share) table (the practical floor);
(d) ours: the project's roll-up engine (bench/rollup_engine.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyoxigraph as ox
from rdflib import RDF, XSD, Graph, Literal, URIRef

from bench.rollup_data import SyntheticSystem
from bench.rollup_model import org_area_at, placements, restatement

QB = "http://purl.org/linked-data/cube#"
SDMX_DIM = "http://purl.org/linked-data/sdmx/2009/dimension#"
SDMX_MEASURE = "http://purl.org/linked-data/sdmx/2009/measure#"
B = "https://w3id.org/nhskg/bench#"  # the benchmark's own dimension and mapping properties
ID = "https://w3id.org/nhskg/id/"
XSD_DATE, XSD_DOUBLE = str(XSD.date), str(XSD.double)

# The naive query. The values in it come from the benchmark's own constants, never from a user, so
# they are written into the text (Oxigraph substitutes only projected variables).
QUERY = """PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX sdmxd: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmxm: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX b: <https://w3id.org/nhskg/bench#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?area (SUM(?value * ?restated * ?placed) AS ?total) WHERE {
  { ?obs a qb:Observation ; b:metric <METRIC> ; sdmxd:refPeriod DAY ;
         b:organisation ?org ; sdmxm:obsValue ?value .
    FILTER_DAYS }
  ?r b:restatedAt "AT"^^xsd:date ; b:from ?org ; b:to ?current ; b:restatementShare ?restated .
  ?p b:placedOrganisation ?current ; b:areaType "LRF" ; b:area ?area ; b:placementShare ?placed ;
     b:validFrom ?from .
  OPTIONAL { ?p b:validTo ?to }
  FILTER (?from <= "AT"^^xsd:date && (!BOUND(?to) || "AT"^^xsd:date <= ?to))
} GROUP BY ?area"""


def sparql(metric: str, start: date, end: date, at: date, *, grouped: bool = False) -> str:
    """One date binds the period in the pattern (the obvious way to write it); a range filters.
    Each engine gets the form it runs faster, which makes the comparison kinder to them: rdflib
    joins a flat pattern in an order that multiplies the mappings before the observations (30x
    slower at small sizes), so for rdflib the observations are a group of their own (`grouped`);
    Oxigraph's optimiser orders the flat pattern well but not the grouped one (40x slower)."""
    if start == end:
        day, days = f'"{start.isoformat()}"^^xsd:date', ""
    else:
        day = "?day"
        days = (
            f'FILTER (?day >= "{start.isoformat()}"^^xsd:date '
            f'&& ?day <= "{end.isoformat()}"^^xsd:date)'
        )
    text = (
        QUERY
        if grouped
        else QUERY.replace("  { ?obs", "  ?obs").replace("FILTER_DAYS }", "FILTER_DAYS")
    )
    return (
        text.replace("METRIC", metric)
        .replace("DAY", day, 1)
        .replace("FILTER_DAYS", days)
        .replace("AT", at.isoformat())
    )


def _area_code(term: str) -> str:
    return term.rsplit("/", 1)[-1]


def mapping_rows(system: SyntheticSystem, at: date) -> Iterator[tuple[str, str, str | float]]:
    """The restatement at `at` and every placement as (subject, property, object) IRIs/values."""
    for org, targets in sorted(restatement(system, at).items()):
        for i, (target, share) in enumerate(targets):
            node = f"{ID}restatement/{at.isoformat()}/{org}/{i}"
            yield node, B + "restatedAt", at.isoformat()
            yield node, B + "from", f"{ID}org/{org}"
            yield node, B + "to", f"{ID}org/{target}"
            yield node, B + "restatementShare", share
    for i, (org, area_type, area, share, valid_from, valid_to) in enumerate(placements(system)):
        node = f"{ID}placement/{i}"
        yield node, B + "placedOrganisation", f"{ID}org/{org}"
        yield node, B + "areaType", area_type
        yield node, B + "area", f"{ID}area/{area}"
        yield node, B + "placementShare", share
        yield node, B + "validFrom", valid_from.isoformat()
        if valid_to is not None:
            yield node, B + "validTo", valid_to.isoformat()


DATE_PROPS = {B + "restatedAt", B + "validFrom", B + "validTo"}


def _rdflib_object(prop: str, obj: str | float) -> URIRef | Literal:
    if isinstance(obj, float):
        return Literal(obj, datatype=XSD.double)
    if prop in DATE_PROPS:
        return Literal(obj, datatype=XSD.date)
    return URIRef(obj) if obj.startswith("http") else Literal(obj)


# -- (a) rdflib ---------------------------------------------------------------------------------


def rdflib_load(system: SyntheticSystem, at: date) -> Graph:
    """Five triples per observation; terms are shared objects so memory is the graph's own."""
    g = Graph()
    add = g.add
    kind, dims = URIRef(QB + "Observation"), [URIRef(B + "organisation"), URIRef(B + "metric")]
    period, measure = URIRef(SDMX_DIM + "refPeriod"), URIRef(SDMX_MEASURE + "obsValue")
    orgs = {o: URIRef(f"{ID}org/{o}") for o in system.current + system.predecessors}
    metrics = {m: URIRef(m) for m in system.metrics}
    days: dict[Any, Literal] = {}
    values: dict[float, Literal] = {}
    for i, (org, metric, day, value) in enumerate(
        zip(system.org, system.metric, system.day.tolist(), system.value.tolist(), strict=True)
    ):
        obs = URIRef(f"{ID}obs/{i}")
        add((obs, RDF.type, kind))
        add((obs, dims[0], orgs[org]))
        add((obs, dims[1], metrics[metric]))
        add((obs, period, days.get(day) or days.setdefault(day, Literal(day, datatype=XSD.date))))
        add((obs, measure, values.get(value) or values.setdefault(value, Literal(value))))
    for s, p, o in mapping_rows(system, at):
        add((URIRef(s), URIRef(p), _rdflib_object(p, o)))
    return g


def rdflib_query(g: Graph, metric: str, start: date, end: date, at: date) -> dict[str, float]:
    return {
        _area_code(str(r[0])): float(r[1].toPython())  # type: ignore[index]
        for r in g.query(sparql(metric, start, end, at, grouped=True))
    }


# -- (b) pyoxigraph ------------------------------------------------------------------------------


def _nt_object(prop: str, obj: str | float) -> str:
    if isinstance(obj, float):
        return f'"{obj!r}"^^<{XSD_DOUBLE}>'
    if prop in DATE_PROPS:
        return f'"{obj}"^^<{XSD_DATE}>'
    return f"<{obj}>" if obj.startswith("http") else f'"{obj}"'


def ntriples(system: SyntheticSystem, at: date, chunk: int = 200_000) -> Iterator[bytes]:
    """The same triples as rdflib_load, as N-Triples in chunks of `chunk` observations."""
    head = f"> <{RDF.type}> <{QB}Observation> .\n"
    org_p, metric_p = f"> <{B}organisation> <{ID}org/", f"> <{B}metric> <"
    day_p, value_p = f'> <{SDMX_DIM}refPeriod> "', f'> <{SDMX_MEASURE}obsValue> "'
    n = len(system.value)
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        days = system.day[lo:hi].astype(str).tolist()
        lines = []
        for i, org, metric, day, value in zip(
            range(lo, hi), system.org[lo:hi], system.metric[lo:hi], days,
            system.value[lo:hi].tolist(), strict=True,
        ):  # fmt: skip
            s = f"<{ID}obs/{i}"
            lines.append(
                f"{s}{head}{s}{org_p}{org}> .\n{s}{metric_p}{metric}> .\n"
                f'{s}{day_p}{day}"^^<{XSD_DATE}> .\n{s}{value_p}{value!r}"^^<{XSD_DOUBLE}> .\n'
            )
        yield "".join(lines).encode()
    yield "".join(
        f"<{s}> <{p}> {_nt_object(p, o)} .\n" for s, p, o in mapping_rows(system, at)
    ).encode()


def oxigraph_load(system: SyntheticSystem, at: date, path: Path | None) -> ox.Store:
    store = ox.Store(str(path)) if path else ox.Store()
    for data in ntriples(system, at):
        store.bulk_load(data, ox.RdfFormat.N_TRIPLES)
    return store


def oxigraph_query(
    store: ox.Store, metric: str, start: date, end: date, at: date
) -> dict[str, float]:
    rows = store.query(sparql(metric, start, end, at))
    return {_area_code(r["area"].value): float(r["total"].value) for r in rows}  # type: ignore[union-attr]


# -- (c) DuckDB ----------------------------------------------------------------------------------


def duckdb_load(system: SyntheticSystem, at: date) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    values = {  # noqa: F841 (read by DuckDB's replacement scan)
        "org": system.org,
        "metric": system.metric,
        "day": system.day.astype("datetime64[s]"),
        "value": system.value,
    }
    con.execute(
        "CREATE TABLE obs AS SELECT org, metric, CAST(day AS DATE) AS day, value FROM values "
        "ORDER BY metric, day"
    )
    mapping = org_area_at(system, "LRF", at)
    con.execute("CREATE TABLE org_lrf (restated_at DATE, org VARCHAR, area VARCHAR, share DOUBLE)")
    con.executemany("INSERT INTO org_lrf VALUES (?, ?, ?, ?)", [(at, *m) for m in mapping])
    return con


DUCKDB_QUERY = """
SELECT m.area, sum(o.value * m.share)
FROM obs o JOIN org_lrf m ON m.org = o.org AND m.restated_at = ?
WHERE o.metric = ? AND o.day BETWEEN ? AND ? GROUP BY m.area"""


def duckdb_query(
    con: duckdb.DuckDBPyConnection, metric: str, start: date, end: date, at: date
) -> dict[str, float]:
    return {a: float(t) for a, t in con.execute(DUCKDB_QUERY, [at, metric, start, end]).fetchall()}
