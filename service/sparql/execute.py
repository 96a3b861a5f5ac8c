"""Evaluate a read-only SPARQL query under a result cap and a time limit, off the event loop.

Each query is evaluated and written in a forked child process (a few milliseconds: the child
shares the parent's store and in-memory view, copy-on-write), watched from a worker thread. The
cap and the time limit are checked between solutions; a query whose first solution alone takes
longer than the limit (a large aggregate) is stopped by killing its child at the deadline, as
Oxigraph cannot cancel a query. At most `max_concurrent` queries run at once.
"""

from __future__ import annotations

import gc
import multiprocessing
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import anyio
import pyoxigraph as ox

from service.rdf.store import PREFIXES, GraphStore
from service.sparql.hidden import Dataset, HiddenFrontDoor

# The first keyword after the prologue (PREFIX/BASE) and comments says query or update.
_COMMENT = re.compile(r"#[^\n]*")
_PROLOGUE = re.compile(r"^\s*(?:(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s+<[^>]*>)\s*)*", re.I)
_UPDATE = re.compile(r"^(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.I)


class QueryRefused(Exception):
    """A query not run, or stopped: `status` is the HTTP status, `message` says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_results: int = 10_000  # solutions (SELECT) or triples (CONSTRUCT, DESCRIBE)
    timeout_s: float = 10.0
    max_concurrent: int = 2


@dataclass(frozen=True)
class GraphSet:
    """The dataset a query reads. Both None: the current graphs (their union as the default
    graph, each as a named graph). `known_at`: the graphs as known then, likewise."""

    default: list[str] | None = None
    named: list[str] | None = None
    known_at: datetime | None = None

    def resolve(self, store: GraphStore) -> tuple[list[str] | None, list[str] | None]:
        if self.known_at is not None:
            graphs = store.known_at(self.known_at)
            if sorted(graphs) == sorted(store.current_graphs()):
                return None, None  # nothing changed since: the current graphs, read directly
            return graphs, graphs
        if self.default is None and self.named is None:
            return None, None
        return (self.default or []), (self.named or [])


@dataclass
class Answer:
    kind: str  # "solutions", "boolean" or "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    boolean: bool = False
    triples: list[Any] = field(default_factory=list)


def is_update(text: str) -> bool:
    body = _PROLOGUE.sub("", _COMMENT.sub("", text), count=1)
    return bool(_UPDATE.match(body.lstrip()))


def evaluate(
    store: GraphStore,
    query: str,
    graphs: tuple[list[str] | None, list[str] | None],
    limits: Limits,
    deadline: float,
    hidden: Dataset | None = None,
) -> Answer:
    """Run `query` over the (default, named) graphs of `GraphSet.resolve` and collect its
    answer, stopping past the cap or the deadline. `hidden`: the copy without the front door
    (service/sparql/hidden.py) a caller who is not an approver reads instead."""
    if is_update(query):
        raise QueryRefused(403, read_only_message())
    default, named = graphs
    if hidden is None:
        run = partial(store.sparql, default_graphs=default, named_graphs=named)
    else:
        run = partial(hidden[0].query, prefixes=PREFIXES, **hidden[1])
    outcome = _collect(run, query, limits, deadline)
    if isinstance(outcome, QueryRefused):
        raise outcome  # raised here, where no Oxigraph iterator is alive (see _collect)
    return outcome


def _collect(
    run: Callable[[str], Any], query: str, limits: Limits, deadline: float
) -> Answer | QueryRefused:
    """The answer, or why it was stopped, returned rather than raised: Oxigraph's results may be
    dropped only on the thread that made them, and a raised exception would carry them (in its
    traceback's frames) to the event loop's thread."""
    try:
        results = run(query)
    except SyntaxError as exc:
        return QueryRefused(400, f"SPARQL syntax error: {exc}")
    if isinstance(results, ox.QueryBoolean):
        return Answer("boolean", boolean=bool(results))
    if isinstance(results, ox.QuerySolutions):
        variables = [v.value for v in results.variables]
        rows: list[tuple[Any, ...]] = []
        for solution in results:
            stop = _check(len(rows), limits, deadline, "solutions")
            if stop:
                return stop
            rows.append(tuple(solution[v] for v in variables))
        return Answer("solutions", variables=variables, rows=rows)
    triples: list[Any] = []
    for triple in results:
        stop = _check(len(triples), limits, deadline, "triples")
        if stop:
            return stop
        triples.append(triple)
    return Answer("graph", triples=triples)


def _check(count: int, limits: Limits, deadline: float, what: str) -> QueryRefused | None:
    if count >= limits.max_results:
        return QueryRefused(
            422,
            f"the answer has more than {limits.max_results:,} {what}, the cap of this endpoint; "
            "add a LIMIT (and OFFSET to page), or narrow the query",
        )
    if time.monotonic() > deadline:
        return QueryRefused(503, time_limit_message(limits))
    return None


def time_limit_message(limits: Limits) -> str:
    return (
        f"the query was stopped after {limits.timeout_s:g} s, the time limit of this endpoint; "
        "narrow the query or add a LIMIT"
    )


def read_only_message() -> str:
    return (
        "this endpoint is read-only: SPARQL Update is refused. The graph changes only through "
        "loads (nhskg load) and steward change sets (nhskg change apply)"
    )


@dataclass(frozen=True)
class Reply:
    status: int
    media_type: str
    body: bytes


Writer = Callable[[Answer], Reply]


class SparqlEndpoint:
    """The endpoint's store, limits and slots (one per app)."""

    def __init__(self, store: GraphStore, limits: Limits | None = None) -> None:
        self.store = store
        self.hidden = HiddenFrontDoor(store)
        self.limits = limits or Limits()
        self._slots = threading.BoundedSemaphore(self.limits.max_concurrent)

    async def run(
        self, query: str, graphs: GraphSet, write: Writer, *, front_door: bool = False
    ) -> Reply:
        """Evaluate `query` and write its answer with `write`, in a child process.
        `front_door`: the caller may read the front door's graphs (an approver)."""
        if not self._slots.acquire(blocking=False):
            return _refusal(
                QueryRefused(
                    503,
                    f"{self.limits.max_concurrent} SPARQL queries are running already, the most "
                    "this endpoint runs at once; try again shortly",
                )
            )
        try:
            return await anyio.to_thread.run_sync(
                self._run_in_child, query, graphs, write, front_door
            )
        finally:
            self._slots.release()

    def _run_in_child(self, query: str, graphs: GraphSet, write: Writer, front_door: bool) -> Reply:
        resolved = graphs.resolve(self.store)
        # what the query reads in memory, built once here, not in each child
        hidden = None if front_door else self.hidden.dataset(resolved)
        if hidden is None and (resolved == (None, None) or resolved[0] == resolved[1]):
            self.store.prepare_reading(resolved[0])
        deadline = time.monotonic() + self.limits.timeout_s
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(
            target=_child,
            args=(sender, self.store, query, resolved, self.limits, deadline, write, hidden),
        )
        child.start()
        sender.close()
        try:
            if receiver.poll(self.limits.timeout_s + 0.5):
                try:
                    status, media, body = receiver.recv()
                    return Reply(status, media, body)
                except EOFError:  # the child died without answering
                    return _refusal(QueryRefused(500, "the query failed in its worker"))
            return _refusal(QueryRefused(503, time_limit_message(self.limits)))
        finally:
            receiver.close()
            if child.is_alive():
                child.kill()
            child.join()


def _child(
    sender: Any,
    store: GraphStore,
    query: str,
    graphs: tuple[list[str] | None, list[str] | None],
    limits: Limits,
    deadline: float,
    write: Writer,
    hidden: Dataset | None,
) -> None:
    # A forked child of a threaded server holds copies of objects other threads were changing
    # at the fork: the cyclic collector walking them crashed a child once (a segfault in a
    # clean test run, 2026-12-04). The child runs one query and exits; reference counting frees
    # what it makes.
    gc.disable()
    store.after_fork()
    try:
        reply = write(evaluate(store, query, graphs, limits, deadline, hidden))
    except QueryRefused as exc:
        reply = _refusal(exc)
    sender.send((reply.status, reply.media_type, reply.body))
    sender.close()


def _refusal(exc: QueryRefused) -> Reply:
    return Reply(exc.status, "text/plain; charset=utf-8", (exc.message + "\n").encode())
