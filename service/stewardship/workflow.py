"""Check, apply and revert steward change sets; the history of a code.

check: compile, validate against the graph it would produce, and report the diff and the effect
on figures, writing nothing. apply: the same check under the store's write lock, then one graph
per change set with PROV-O (who, when, why). revert: retire that graph, recorded the same way.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rdflib import RDF, Literal, URIRef
from rdflib.term import Node

from service import __version__
from service.geography.refresh import refresh_org_areas
from service.loader import validate_candidate
from service.mapping.spec import PROV
from service.rdf.store import PROVENANCE_GRAPH, GraphStore
from service.rdf.terms import GRAPH, ID
from service.rdf.vocab import NHSKG
from service.returns.numbers import NumbersStore
from service.stewardship.changeset import (
    ChangeSet,
    ChangeSetError,
    CompiledChangeSet,
    compile_changeset,
)
from service.stewardship.effect import FigureEffect, FigureQuestion, figure_effect
from service.validation.report import Finding, ValidationReport

# Given the current store and a scratch store holding the candidate graph too, the effect on a
# figure (see service.stewardship.effect.figure_effect and effect_hook).
EffectHook = Callable[[GraphStore, GraphStore], FigureEffect]


@dataclass
class DryRun:
    changeset: ChangeSet
    report: ValidationReport
    added: dict[str, list[str]] = field(default_factory=dict)  # by organisation / area code
    effect: FigureEffect | None = None
    status: str = "valid"

    def text(self) -> str:
        lines = [f"change set {self.changeset.id}: {self.status}"]
        if not self.report.conforms:
            lines.append(self.report.text())
        for code, triples in sorted(self.added.items()):
            lines.append(f"  {code}:")
            lines += [f"    + {t}" for t in triples]
        if self.effect is not None:
            lines += self.effect.text()
        return "\n".join(lines)


def changeset_graph(changeset_id: str) -> str:
    return str(GRAPH[f"changeset/{changeset_id}"])


def effect_hook(numbers: NumbersStore, question: FigureQuestion) -> EffectHook:
    """The hook `check` calls to compare a figure now and with the change set."""

    def hook(current: GraphStore, candidate: GraphStore) -> FigureEffect:
        return figure_effect(numbers, question, current, candidate)

    return hook


def check(store: GraphStore, changeset: ChangeSet, effect: EffectHook | None = None) -> DryRun:
    """What applying the change set would do: findings, added triples, effect on figures. No
    graph changes; the check itself is recorded in the provenance graph (for history)."""
    dry, compiled = _check(store, changeset, effect)
    store.record_provenance(_check_record(dry, compiled))
    return dry


def _check(
    store: GraphStore, changeset: ChangeSet, effect: EffectHook | None = None
) -> tuple[DryRun, CompiledChangeSet | None]:
    try:
        compiled = compile_changeset(store, changeset)
    except ChangeSetError as exc:
        # The file is well formed but does not fit the data (e.g. ends a membership that is
        # not current): a finding at that change, like any other refusal.
        number = int(m.group(1)) if (m := re.match(r"change (\d+)", str(exc))) else None
        finding = Finding(file=changeset.source, row=number, column=None, value=None, rule=str(exc))
        return DryRun(changeset, ValidationReport(False, [finding]), status="rejected"), None
    report = _validate(store, compiled)
    dry = DryRun(
        changeset, report, added=_diff(compiled), status="valid" if report.conforms else "rejected"
    )
    if report.conforms and effect is not None:
        dry.effect = _effect_of(store, compiled, effect)
    return dry, compiled


def apply(store: GraphStore, changeset: ChangeSet, numbers: NumbersStore | None = None) -> DryRun:
    """Check and write under the write lock, so concurrent stewards cannot interleave. With a
    numbers store, the org_area rows of the organisations the change touches are placed again
    before the lock is released (service/geography/refresh.py); if that fails, the change set's
    graph is retired again, so the two stores never disagree."""
    with store.writing():
        graph = changeset_graph(changeset.id)
        if store.contains_graph(graph):
            raise ChangeSetError(f"change set {changeset.id!r} was already applied; give a new id")
        dry, compiled = _check(store, changeset)
        if compiled is not None and dry.report.conforms:
            store.write_graph(graph, compiled.graph, extra=_provenance(graph, compiled))
            if numbers is not None:
                try:
                    refresh_org_areas(store, numbers, [str(a) for a in compiled.affects])
                except BaseException:
                    store.retire_graph(graph)
                    raise
            dry.status = "applied"
    return dry


def revert(
    store: GraphStore,
    changeset_id: str,
    *,
    author: str,
    reason: str,
    numbers: NumbersStore | None = None,
) -> None:
    """Retire the change set's graph (recorded in the provenance graph) and, with a numbers
    store, place the organisations it touched again."""
    graph = changeset_graph(changeset_id)
    with store.writing():
        if graph not in store.current_graphs():
            raise ValueError(f"no applied change set {changeset_id!r} to revert")
        activity = URIRef(graph + f"#revert-{datetime.now(UTC).timestamp():.0f}")
        affects = {
            row["a"]
            for row in store.select("SELECT ?g ?a WHERE { ?g nhskg:affects ?a }", g=URIRef(graph))
        }
        triples: list[tuple[Node, Node, Node]] = [
            (activity, RDF.type, NHSKG.ChangeSetReversion),
            (activity, NHSKG.changeSetId, Literal(changeset_id)),
            (activity, PROV.invalidated, URIRef(graph)),
            (activity, PROV.wasAssociatedWith, Literal(author)),
            (activity, NHSKG.reason, Literal(reason)),
            (activity, PROV.startedAtTime, Literal(datetime.now(UTC))),
        ]
        triples += [(activity, NHSKG.affects, URIRef(a)) for a in affects]
        store.retire_graph(graph, extra=[(s, p, o, PROVENANCE_GRAPH) for s, p, o in triples])
        if numbers is not None:
            refresh_org_areas(store, numbers, [str(a) for a in affects])


HISTORY = """
SELECT ?node ?activity ?kind ?when ?who ?why ?changeset WHERE {
    ?activity nhskg:affects ?node ; a ?kind ; prov:startedAtTime ?when ;
              nhskg:changeSetId ?changeset .
    OPTIONAL { ?activity prov:wasAssociatedWith ?who }
    OPTIONAL { ?activity nhskg:reason ?why }
} ORDER BY ?when"""


def history(store: GraphStore, code: str) -> list[dict[str, Any]]:
    """Every change set applied or reverted about an organisation or area code, oldest first."""
    rows: list[dict[str, Any]] = []
    for node in (ID[f"org/{code.upper()}"], ID[f"area/{code.upper()}"]):
        rows += store.select(HISTORY, node=node, graphs=store.named_graphs())
    for row in rows:
        row["kind"] = row["kind"].rsplit("#", 1)[-1]
    return sorted(rows, key=lambda r: r["when"])


# ---------------------------------------------------------------- helpers
def _validate(store: GraphStore, compiled: CompiledChangeSet) -> ValidationReport:
    source = compiled.changeset.source

    def locate(
        focus: Node, path: Node | None, value: Node | None
    ) -> tuple[str, int | None, str | None]:
        origin = compiled.origins.get((focus, path)) or compiled.origins.get((focus, None))
        if origin is None:
            return ("(already in the store)", None, None)
        return (source, origin[0], origin[1])

    return validate_candidate(store, compiled.graph, locate, exclude=set())


def _label(node: Node) -> str:
    text = str(node)
    return text.rsplit("#", 1)[-1] if "#" in text else text.removeprefix(str(ID))


def _diff(compiled: CompiledChangeSet) -> dict[str, list[str]]:
    """Added triples grouped by the organisation or area they are about: the first one named in
    the subject's IRI (memberships and operations are named member first), else the object."""
    codes = {str(n).rsplit("/", 1)[-1] for n in compiled.affects}
    grouped: dict[str, list[str]] = defaultdict(list)
    for s, p, o in sorted(compiled.graph):
        text = f"{s} {o}"
        named = [c for c in codes if f"/{c}" in text]
        about = min(named, key=lambda c: text.index(f"/{c}")) if named else _label(s)
        grouped[about].append(f"{_label(s)} {_label(p)} {_label(o)}")
    return dict(grouped)


def _effect_of(store: GraphStore, compiled: CompiledChangeSet, effect: EffectHook) -> FigureEffect:
    """Compare figures now and with the change, the candidate on an in-memory copy: a dry run
    writes nothing."""
    scratch = store.copy_in_memory(current_only=True)
    scratch.write_graph(str(GRAPH[f"pending/{compiled.changeset.id}"]), compiled.graph)
    return effect(store, scratch)


def _check_record(dry: DryRun, compiled: CompiledChangeSet | None) -> list[tuple[Node, Node, Node]]:
    cs = dry.changeset
    now = datetime.now(UTC)
    activity = URIRef(changeset_graph(cs.id) + f"#check-{now.timestamp():.6f}")
    triples: list[tuple[Node, Node, Node]] = [
        (activity, RDF.type, NHSKG.ChangeSetCheck),
        (activity, NHSKG.changeSetId, Literal(cs.id)),
        (activity, PROV.wasAssociatedWith, Literal(cs.author)),
        (activity, NHSKG.reason, Literal(cs.reason)),
        (activity, NHSKG.checkOutcome, Literal(dry.status)),
        (activity, PROV.startedAtTime, Literal(now)),
        (activity, NHSKG.softwareVersion, Literal(__version__)),
    ]
    affects = compiled.affects if compiled is not None else set()
    return triples + [(activity, NHSKG.affects, a) for a in affects]


def _provenance(graph: str, compiled: CompiledChangeSet) -> list[tuple[Node, Node, Node, str]]:
    cs = compiled.changeset
    g = URIRef(graph)
    activity = URIRef(graph + "#apply")
    triples: list[tuple[Node, Node, Node]] = [
        (g, RDF.type, NHSKG.ChangeSet),
        (g, NHSKG.changeSetId, Literal(cs.id)),
        (g, PROV.wasGeneratedBy, activity),
        (activity, RDF.type, NHSKG.ChangeSetApplication),
        (activity, NHSKG.changeSetId, Literal(cs.id)),
        (activity, PROV.wasAssociatedWith, Literal(cs.author)),
        (activity, NHSKG.reason, Literal(cs.reason)),
        (activity, PROV.startedAtTime, Literal(datetime.now(UTC))),
        (activity, NHSKG.softwareVersion, Literal(__version__)),
    ]
    triples += [(g, NHSKG.affects, a) for a in compiled.affects]
    triples += [(activity, NHSKG.affects, a) for a in compiled.affects]
    return [(s, p, o, PROVENANCE_GRAPH) for s, p, o in triples]
