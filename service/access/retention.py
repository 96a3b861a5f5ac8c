"""Retention: a dataset's end of use date. Past it, its values are withdrawn from every answer
(moved out of reported_value into withdrawn_value, its batches marked withdrawn); a purge
deletes them for good and is itself recorded in the graph (nhskg:RetentionPurge, PROV-O).

The end of use is data in the graph (the dataset's nhskg:endOfUse, its own named graph) and in
the numbers store's `retention` table, which the service checks once a day."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime

from rdflib import RDF, Literal, URIRef
from rdflib.term import Node

from service.mapping.spec import PROV
from service.rdf.store import GraphStore
from service.rdf.terms import GRAPH, ID
from service.rdf.vocab import NHSKG
from service.returns.numbers import NumbersStore

TABLES = """
CREATE TABLE IF NOT EXISTS retention (dataset VARCHAR PRIMARY KEY, end_of_use DATE NOT NULL);
CREATE TABLE IF NOT EXISTS withdrawn_value AS SELECT * FROM reported_value LIMIT 0;
ALTER TABLE withdrawn_value ADD COLUMN IF NOT EXISTS area_type VARCHAR;
ALTER TABLE withdrawn_value ADD COLUMN IF NOT EXISTS marker VARCHAR;
ALTER TABLE withdrawn_value ALTER COLUMN value DROP NOT NULL;
"""


class RetentionError(ValueError):
    """A retention step that cannot be taken as asked (the message says why)."""


@dataclass(frozen=True)
class Purge:
    dataset: str
    values: int
    activity: str


def _tables(numbers: NumbersStore) -> None:
    numbers.con.execute(TABLES)


def dataset_id(numbers: NumbersStore, dataset: str) -> str:
    """The dataset as the batches name it (its id, given as the id or its IRI)."""
    rows = numbers.con.execute("SELECT DISTINCT dataset FROM batch").fetchall()
    known = sorted(r[0] for r in rows)
    asked = dataset.rstrip("/").rsplit("/", 1)[-1]
    if asked in known:
        return str(asked)
    raise RetentionError(f"no dataset {dataset!r} in the numbers store; known: {', '.join(known)}")


def dataset_iri(ident: str) -> str:
    return str(ID[f"dataset/{ident}"])  # as service/returns/graph.py names it


def set_end_of_use(store: GraphStore, numbers: NumbersStore, dataset: str, end: date) -> str:
    ident = dataset_id(numbers, dataset)
    iri = dataset_iri(ident)
    _tables(numbers)
    key = hashlib.sha256(f"{iri}|{end.isoformat()}".encode()).hexdigest()[:12]
    graph = str(GRAPH[f"access/retention/{key}"])
    with store.writing():
        if not store.contains_graph(graph):
            store.write_graph(graph, [(URIRef(iri), NHSKG.endOfUse, Literal(end))])
    numbers.con.execute("INSERT OR REPLACE INTO retention VALUES (?, ?)", [ident, end])
    return iri


class Retention:
    """Withdraws the values of datasets past their end of use; checked at most once a day."""

    def __init__(self, numbers: NumbersStore | None) -> None:
        self.numbers = numbers
        self._checked: date | None = None
        self._lock = threading.Lock()

    def check(self, today: date | None = None) -> int:
        today = today or date.today()
        if self.numbers is None or self._checked == today:
            return 0
        if getattr(self.numbers, "read_only", False):  # `nhskg serve` withdrew them at start
            self._checked = today
            return 0
        with self._lock:
            if self._checked == today:
                return 0
            moved = withdraw_expired(self.numbers, today)
            self._checked = today
            return moved


def withdraw_expired(numbers: NumbersStore, today: date) -> int:
    """Move the values of every dataset whose end of use is before `today` out of answers."""
    _tables(numbers)
    con = numbers.con
    expired = [
        r[0]
        for r in con.execute(
            "SELECT dataset FROM retention WHERE end_of_use < ?", [today]
        ).fetchall()
    ]
    if not expired:
        return 0
    batches = [
        r[0]
        for r in con.execute(
            "SELECT batch_id FROM batch WHERE list_contains(?, dataset) AND status <> 'withdrawn'",
            [expired],
        ).fetchall()
    ]
    if not batches:
        return 0
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute(
            "SELECT count(*) FROM reported_value WHERE list_contains(?, batch_id)", [batches]
        ).fetchone()
        con.execute(
            "INSERT INTO withdrawn_value BY NAME SELECT * FROM reported_value "
            "WHERE list_contains(?, batch_id)",
            [batches],
        )
        con.execute("DELETE FROM reported_value WHERE list_contains(?, batch_id)", [batches])
        con.execute(
            "UPDATE batch SET status = 'withdrawn' WHERE list_contains(?, batch_id)", [batches]
        )
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    numbers.refresh_reporters()
    return int(row[0]) if row else 0


def purge(
    store: GraphStore, numbers: NumbersStore, dataset: str, by: str, today: date | None = None
) -> Purge:
    """Delete a dataset's values for good (only past its end of use); record the purge."""
    today = today or date.today()
    ident = dataset_id(numbers, dataset)
    iri = dataset_iri(ident)
    _tables(numbers)
    end = numbers.con.execute(
        "SELECT end_of_use FROM retention WHERE dataset = ?", [ident]
    ).fetchone()
    if end is None:
        raise RetentionError(f"{iri} has no end of use date; set one first")
    if end[0] >= today:
        raise RetentionError(f"{iri} may be used until {end[0]}; it cannot be purged before")
    withdraw_expired(numbers, today)
    con = numbers.con
    batches = [
        r[0]
        for r in con.execute("SELECT batch_id FROM batch WHERE dataset = ?", [ident]).fetchall()
    ]
    row = con.execute(
        "SELECT count(*) FROM withdrawn_value WHERE list_contains(?, batch_id)", [batches]
    ).fetchone()
    count = int(row[0]) if row else 0
    con.execute("DELETE FROM withdrawn_value WHERE list_contains(?, batch_id)", [batches])
    con.execute("UPDATE batch SET status = 'purged' WHERE list_contains(?, batch_id)", [batches])
    now = datetime.now(UTC)
    activity = URIRef(
        ID[f"access/purge/{hashlib.sha256(f'{iri}|{now}'.encode()).hexdigest()[:12]}"]
    )
    triples: list[tuple[Node, Node, Node]] = [
        (activity, RDF.type, NHSKG.RetentionPurge),
        (activity, PROV.used, URIRef(iri)),
        (activity, PROV.wasAssociatedWith, Literal(by)),
        (activity, PROV.startedAtTime, Literal(now)),
        (activity, NHSKG.valueCount, Literal(count)),
        (activity, NHSKG.endOfUse, Literal(end[0])),
    ]
    with store.writing():
        store.record_provenance(triples)
    return Purge(iri, count, str(activity))
