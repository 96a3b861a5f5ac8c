"""The return shapes executed as DuckDB queries, for bulk files (a million values) that pySHACL
cannot hold as triples.

Core constraints of the per-value shape are translated from shapes/returns.ttl (minCount, maxCount,
datatype, minInclusive, class); a constraint this compiler does not know fails loudly, so a shape
cannot silently stop being checked. Each SPARQL constraint carries its nhskg:tabularEquivalent.
tests/test_returns_validation.py runs both engines on valid and broken batches and requires
identical findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import duckdb
import numpy as np
from rdflib import RDF, XSD, Graph, URIRef
from rdflib.term import Node

from service.rdf.vocab import NHSKG
from service.returns.context import BatchContext, return_shapes
from service.returns.periods import day_array
from service.validation.report import Finding
from service.validation.shacl import SH, ontology_graph

# Where each property of a reported value lives in the candidate table.
COLUMNS = {
    NHSKG.metric: "metric",
    NHSKG.reportingOrganisation: "org_iri",
    NHSKG.reportedCode: "reported_code",
    NHSKG.reportedValue: "value",
    NHSKG.periodStart: "period_start",
}


@dataclass(frozen=True)
class Rule:
    sql: str  # SELECT id FROM candidate ... : the values that break the rule
    message: str
    shape: str
    severity: str


class UnsupportedShape(ValueError):
    """A shape uses a constraint the vectorised engine does not translate."""


def _present(col: str) -> str:
    return "(value IS NOT NULL OR raw IS NOT NULL)" if col == "value" else f"{col} IS NOT NULL"


def _property_conditions(shapes: Graph, prop: Node, col: str) -> list[str]:
    conds = []
    for p, o in shapes.predicate_objects(prop):
        if p in (SH.path, SH.message, SH.severity, SH.name, SH.description):
            continue
        if p == SH.minCount:
            conds.append(f"NOT {_present(col)}" if int(o) >= 1 else "FALSE")  # type: ignore[call-overload]
        elif p == SH.maxCount:
            continue  # one column holds one value: never more than one
        elif p == SH.datatype and o == XSD.decimal and col == "value":
            conds.append("raw IS NOT NULL")
        elif p == SH.datatype and o == XSD.date and col.startswith("period"):
            continue  # periods are parsed into dates by the reader or the layout is rejected
        elif p == SH.minInclusive and col == "value":
            conds.append(f"(raw IS NOT NULL OR value < {float(o)})")  # type: ignore[arg-type]
        elif p == SH["class"]:
            conds.append(f"{col} NOT IN (SELECT iri FROM instance WHERE class = '{o}')")
        else:
            raise UnsupportedShape(f"cannot translate {p} {o} on column {col}")
    return conds


@lru_cache(maxsize=1)
def compiled_rules() -> tuple[Rule, ...]:
    shapes = return_shapes()
    rules: list[Rule] = []
    for shape in shapes.subjects(SH.targetClass, NHSKG.ReportedValue):
        for prop in shapes.objects(shape, SH.property):
            path = shapes.value(prop, SH.path)
            if not isinstance(path, URIRef) or path not in COLUMNS:
                raise UnsupportedShape(f"no candidate column for {path}")
            severity = _severity(shapes, prop, shape)
            message = str(shapes.value(prop, SH.message))
            for cond in _property_conditions(shapes, prop, COLUMNS[path]):
                rules.append(
                    Rule(f"SELECT id FROM candidate WHERE {cond}", message, str(shape), severity)
                )
    for shape in shapes.subjects(SH.targetClass, NHSKG.ReturnBatch):
        for constraint in shapes.objects(shape, SH.sparql):
            sql = shapes.value(constraint, NHSKG.tabularEquivalent)
            if sql is None:
                raise UnsupportedShape(
                    f"SPARQL constraint of {shape} has no nhskg:tabularEquivalent"
                )
            message = str(shapes.value(constraint, SH.message))
            severity = _severity(shapes, constraint, shape)
            rules.append(Rule(str(sql), message, str(shape), severity))
    return tuple(rules)


def _severity(shapes: Graph, node: Node, shape: Node) -> str:
    value = shapes.value(node, SH.severity) or shapes.value(shape, SH.severity) or SH.Violation
    return str(value).rsplit("#", 1)[-1]


def _connect(ctx: BatchContext) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    v = ctx.values
    columns = {  # noqa: F841 (read by DuckDB's replacement scan below)
        "id": np.arange(len(v), dtype=np.int64),
        "org_iri": np.array(ctx.resolution.org_iri, dtype=object),
        "reported_code": np.array(v.reported_codes(), dtype=object),
        "stated_region": np.array(v.region, dtype=object),
        "metric": np.array(v.metric, dtype=object),
        "period_start": day_array(v.period_start),
        "value": np.array([x if x is not None else np.nan for x in v.value], dtype=np.float64),
        "raw": np.array(v.raw, dtype=object),
    }
    con.execute(
        "CREATE TABLE candidate AS SELECT * REPLACE (CAST(period_start AS DATE) AS period_start, "
        "CASE WHEN isnan(value) THEN NULL ELSE value END AS value) FROM columns"
    )
    registered = list(ctx.registered.values())
    con.execute("CREATE TABLE organisation (iri VARCHAR, open_date DATE, close_date DATE)")
    _insert(con, "organisation", [(r.iri, r.open_date, r.close_date) for r in registered])
    instances = [(r.iri, str(NHSKG.Organisation)) for r in registered]
    known = {r.iri for r in registered}
    instances += [(iri, str(NHSKG.Organisation)) for iri in set(ctx.resolution.org_iri) - known]
    instances += [(str(m), str(NHSKG.Metric)) for m in _metrics()]
    con.execute("CREATE TABLE instance (iri VARCHAR, class VARCHAR)")
    _insert(con, "instance", instances)
    con.execute("CREATE TABLE metric_relation (metric VARCHAR, relation VARCHAR, other VARCHAR)")
    _insert(con, "metric_relation", list(_metric_relations()))
    con.execute("CREATE TABLE metric_bound (metric VARCHAR, maximum DOUBLE, whole BOOLEAN)")
    _insert(con, "metric_bound", list(_metric_bounds()))
    return con


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[tuple[object, ...]]) -> None:
    """Rows in by column (DuckDB's executemany runs one statement per row: 0.2 s here)."""
    if not rows:
        return
    names = [c[0] for c in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    columns = {  # noqa: F841 (read by DuckDB's replacement scan below)
        name: np.array([r[i] for r in rows], dtype=object) for i, name in enumerate(names)
    }
    con.execute(f"INSERT INTO {table} SELECT * FROM columns")


@lru_cache(maxsize=1)
def _metrics() -> tuple[URIRef, ...]:
    return tuple(
        s for s in ontology_graph().subjects(RDF.type, NHSKG.Metric) if isinstance(s, URIRef)
    )


@lru_cache(maxsize=1)
def _metric_relations() -> tuple[tuple[str, str, str], ...]:
    graph = ontology_graph()
    return tuple(
        (str(s), str(p).rsplit("#", 1)[-1], str(o))
        for p in (NHSKG.atMost, NHSKG.subsetOf)
        for s, o in graph.subject_objects(p)
    )


@lru_cache(maxsize=1)
def _metric_bounds() -> tuple[tuple[str, float | None, bool], ...]:
    """(metric, plausible maximum, counts whole units) of each metric, from the ontology."""
    graph = ontology_graph()
    out = []
    for metric in _metrics():
        maximum = graph.value(metric, NHSKG.plausibleMaximum)
        whole = graph.value(metric, NHSKG.countsWholeUnits)
        out.append(
            (
                str(metric),
                float(maximum) if maximum is not None else None,  # type: ignore[arg-type]
                bool(whole is not None and whole.toPython() is True),  # type: ignore[attr-defined]
            )
        )
    return tuple(out)


def vectorised_findings(ctx: BatchContext, *, batch_rules_only: bool = False) -> list[Finding]:
    """Every rule as DuckDB queries; or only the batch-wide SPARQL constraints' twins (the load of
    a small batch runs the per-value shapes in pySHACL and these here)."""
    con = _connect(ctx)
    findings = []
    batch_shapes = {str(s) for s in return_shapes().subjects(SH.targetClass, NHSKG.ReturnBatch)}
    for rule in compiled_rules():
        if batch_rules_only and rule.shape not in batch_shapes:
            continue
        for i in sorted({row[0] for row in con.execute(rule.sql).fetchall()}):
            findings.append(ctx.finding(int(i), rule.message, rule.shape, rule.severity))
    con.close()
    return findings
