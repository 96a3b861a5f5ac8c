"""The load journal: one return batch lands in two stores (values in DuckDB, its graph and
provenance in Oxigraph) that have no transaction in common; the journal makes the pair behave as
one across a crash, a SIGKILL included.

A load writes, in order:
1. the numbers, and a journal row naming the batch, its graph and the batch it supersedes, in
   one DuckDB transaction (committed);
2. the graph, whose record (`prov:generatedAtTime`) is the commit point of the whole load;
3. the journal row's removal.

A process killed anywhere leaves one of three states, and `recover` (run before every load and
whenever a command opens the numbers store for writing, `nhskg serve` included) brings both
stores to old or new together:
- no journal row: nothing was committed in DuckDB; the graph may hold an unfinished graph, which
  is never current and which the next graph writer discards;
- a journal row whose graph is recorded: the load finished in both stores; the row goes
  (roll forward);
- a journal row whose graph is not recorded: the numbers are undone, the earlier batch answers
  again (roll back), in one DuckDB transaction with the row's removal.
Recovery is idempotent: killed during it, it is simply run again.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.rdf.store import GraphStore
from service.returns.numbers import NumbersStore


@dataclass(frozen=True)
class Recovery:
    batch: str
    action: str  # "rolled forward" | "rolled back"

    def line(self) -> str:
        return f"an interrupted load of {self.batch} was {self.action}"


def recover(store: GraphStore, numbers: NumbersStore) -> list[Recovery]:
    """Finish or undo every load the journal shows was interrupted (see the module docstring).
    `store` may be read-only: only the numbers store is written. A read-only numbers store is
    left as it is (the next writer recovers it)."""
    done: list[Recovery] = []
    if numbers.read_only:
        return done
    for batch, graph, old_batch in numbers.journal():
        if store.is_recorded(graph):
            numbers.close_journal(batch)
            done.append(Recovery(batch, "rolled forward"))
        else:
            numbers.undo_batch(batch, old_batch)
            done.append(Recovery(batch, "rolled back"))
    return done
