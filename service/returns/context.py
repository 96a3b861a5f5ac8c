"""Everything the batch rules look at: candidate values, the organisations they resolve to, the
batch they would form; and how a broken rule on one value becomes a finding with its cell."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rdflib import Graph

from service.rdf.terms import SHAPES_DIR
from service.reference.reporters import Registered
from service.returns.candidate import CandidateValues
from service.returns.codes import Resolution
from service.validation.report import Finding

SHAPES_FILE = SHAPES_DIR / "returns.ttl"


@lru_cache(maxsize=1)
def return_shapes() -> Graph:
    graph = Graph()
    graph.parse(SHAPES_FILE, format="turtle")
    return graph


@dataclass
class BatchContext:
    values: CandidateValues
    resolution: Resolution
    batch_iri: str
    registered: dict[str, Registered]

    def value_node(self, i: int) -> str:
        return f"{self.batch_iri}/value/{i}"

    def index_of(self, node: str) -> int | None:
        prefix = f"{self.batch_iri}/value/"
        return int(node[len(prefix) :]) if node.startswith(prefix) else None

    def finding(self, i: int, rule: str, shape: str | None, severity: str) -> Finding:
        v = self.values
        number = v.value[i]
        shown = (
            v.raw[i] if v.raw[i] is not None else (f"{number:g}" if number is not None else None)
        )
        return Finding(
            file=v.file,
            row=v.row[i],
            column=f"{v.sheet[i]}!{v.cell[i]}",
            value=shown,
            rule=rule,
            shape=shape,
            focus=self.value_node(i),
            severity=severity,
        )


def finding_key(f: Finding) -> tuple[str | None, int | None, str, str | None, str]:
    """What two engines must agree on for each finding."""
    return (f.column, f.row, f.rule, f.shape, f.severity)
