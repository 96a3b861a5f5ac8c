"""A validation report a data steward can act on: file, row, column, value, rule, shape."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field

from rdflib import RDF, Graph, Namespace
from rdflib.term import Node

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Finding:
    """One broken rule at one place in one source file."""

    file: str
    row: int | None  # 1-based line in the file (header counted); None when not row-specific
    column: str | None
    value: str | None
    rule: str  # the rule in plain words
    shape: str | None = None  # IRI of the SHACL shape, or None for layout problems
    focus: str | None = None  # IRI of the node the rule was checked on
    severity: str = "Violation"

    def line(self) -> str:
        where = f"{self.file}"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        value = f" value {self.value!r}:" if self.value is not None else ""
        shape = f" [{self.shape}]" if self.shape else ""
        return f"{where}:{value} {self.rule}{shape}"


@dataclass
class ValidationReport:
    conforms: bool
    findings: list[Finding] = field(default_factory=list)
    results_graph: Graph | None = None  # the standard SHACL results graph, when SHACL ran

    def text(self, limit: int = 50) -> str:
        if self.conforms:
            return "conforms: no rule is broken"
        lines = [f"rejected: {len(self.findings)} problem(s)"]
        lines += ["  " + f.line() for f in self.findings[:limit]]
        if len(self.findings) > limit:
            lines.append(f"  ... and {len(self.findings) - limit} more (see the JSON report)")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(
            {"conforms": self.conforms, "findings": [asdict(f) for f in self.findings]}, indent=2
        )

    def results_turtle(self) -> str:
        return self.results_graph.serialize(format="turtle") if self.results_graph else ""


def result_triples(
    node: Node,
    *,
    component: Node,
    shape: Node,
    severity: Node,
    focus: Node,
    value: Node | None,
    path: Node | None,
    messages: Iterable[Node],
    constraint: Node | None = None,
) -> Iterator[tuple[Node, Node, Node]]:
    """The triples of one sh:ValidationResult as pySHACL writes them (the compiled checks and the
    whole-graph SPARQL constraints report in the same standard results graph)."""
    yield node, RDF.type, SH.ValidationResult
    yield node, SH.sourceConstraintComponent, component
    yield node, SH.sourceShape, shape
    if constraint is not None:
        yield node, SH.sourceConstraint, constraint
    yield node, SH.resultSeverity, severity
    yield node, SH.focusNode, focus
    if value is not None:
        yield node, SH.value, value
    if path is not None:
        yield node, SH.resultPath, path
    for message in messages:
        yield node, SH.resultMessage, message
