"""The fast validation path against plain pySHACL with every shape, on the same data.

The fast path runs core constraints in pySHACL and each SPARQL-based constraint as one
whole-graph query in Oxigraph. Both must give the same verdict and the same results. The SPARQL
constraints are discovered from shapes/*.ttl, and each must have a valid and a broken case in
tests/validation_cases/, so a new constraint cannot go untested.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from service.validation import rulebook
from service.validation.core_queries import CoreCheck
from service.validation.report import ValidationReport
from service.validation.rulebook import SH
from service.validation.shacl import validate_graph, validate_graph_pyshacl

CASES = Path(__file__).parent / "validation_cases"
VALID = sorted((CASES / "valid").glob("*.ttl"))
INVALID = sorted((CASES / "invalid").glob("*.ttl"))
ILL_TYPED = sorted((CASES / "ill-typed").glob("*.ttl"))
CONSTRAINTS = rulebook.sparql_constraints(rulebook.shapes_graph())

Result = tuple[Node, Node, Node | None, frozenset[str], Node | None, Node | None, Node | None]


def nowhere(focus: Node, path: Node | None, value: Node | None) -> tuple[str, None, None]:
    return ("case", None, None)


def _term(node: Node | None) -> Node | None:
    # Oxigraph and rdflib spell a plain string literal differently; the RDF term is the same.
    if isinstance(node, Literal) and node.datatype == XSD.string:
        return Literal(str(node))
    return node


def results(report: ValidationReport) -> set[Result]:
    """(focus node, source shape, value, messages, path, constraint component, severity) of every
    result in the SHACL results graph."""
    graph = report.results_graph
    assert graph is not None
    found = set()
    for r in graph.subjects(RDF.type, SH.ValidationResult):
        focus, shape = graph.value(r, SH.focusNode), graph.value(r, SH.sourceShape)
        assert focus is not None and shape is not None
        messages = frozenset(str(m) for m in graph.objects(r, SH.resultMessage))
        value = _term(graph.value(r, SH.value))
        path = graph.value(r, SH.resultPath)
        component = graph.value(r, SH.sourceConstraintComponent)
        severity = graph.value(r, SH.resultSeverity)
        found.add((focus, _shape_key(shape), value, messages, path, component, severity))
    return found


def _shape_key(shape: Node) -> Node:
    # Property shapes are blank nodes, relabelled per run: name them by node shape and path.
    if not isinstance(shape, BNode):
        return shape
    shapes = rulebook.shapes_graph()
    holder = shapes.value(None, SH.property, shape)
    return Literal(f"{holder} {sorted(str(t) for t in shapes.predicate_objects(shape))}")


def both(data: Graph) -> tuple[ValidationReport, ValidationReport]:
    return validate_graph_pyshacl(data, nowhere), validate_graph(data, nowhere)


def load_case(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


@cache
def reference_report(path: Path) -> ValidationReport:
    return validate_graph_pyshacl(load_case(path), nowhere)


def sparql_results(report: ValidationReport, constraint: rulebook.SparqlConstraint) -> set[Node]:
    graph = report.results_graph
    assert graph is not None
    return {
        r
        for r in graph.subjects(SH.sourceConstraintComponent, SH.SPARQLConstraintComponent)
        if graph.value(r, SH.sourceConstraint) == constraint.node
    }


@pytest.mark.parametrize("case", VALID + INVALID, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fast_path_agrees_with_pyshacl(case: Path) -> None:
    reference, fast = reference_report(case), validate_graph(load_case(case), nowhere)
    assert fast.conforms == reference.conforms == (case.parent.name == "valid")
    assert results(fast) == results(reference)


@pytest.mark.parametrize("case", ILL_TYPED, ids=lambda p: p.stem)
def test_ill_typed_literals_differ_only_in_sparql_results(case: Path) -> None:
    """rdflib compares ill-typed literals in SPARQL FILTERs where SPARQL 1.1 and Oxigraph raise a
    type error; both paths reject the data through sh:datatype (see validation_cases/README.md)."""
    reference, fast = both(load_case(case))
    assert not fast.conforms and not reference.conforms
    assert results(fast) <= results(reference)
    assert any("datatype" in str(s) for _, s, *_ in results(fast))
    sparql_shapes = {c.shape for c in CONSTRAINTS}
    assert {shape for _, shape, *_ in results(reference) - results(fast)} <= sparql_shapes


def _constraint_id(constraint: rulebook.SparqlConstraint) -> str:
    message = str(constraint.messages[0]) if constraint.messages else constraint.select
    return f"{str(constraint.shape).rsplit('#')[-1]}: {message[:40]}"


@pytest.mark.parametrize("constraint", CONSTRAINTS, ids=_constraint_id)
def test_every_sparql_constraint_has_a_valid_and_a_broken_case(
    constraint: rulebook.SparqlConstraint,
) -> None:
    """A valid case gives the constraint focus nodes and it stays silent; a broken case makes
    plain pySHACL report it (so the differential test above really exercises it)."""
    quiet, broken = [], []
    for case in VALID + INVALID:
        data = load_case(case)
        has_targets = any((None, RDF.type, c) in data for c in _classes(constraint))
        reported = sparql_results(reference_report(case), constraint)
        if reported:
            broken.append(case.stem)
        elif has_targets and case.parent.name == "valid":
            quiet.append(case.stem)
    assert quiet, f"no valid case in {CASES}/valid gives {constraint.shape} focus nodes"
    assert broken, f"no case in {CASES}/invalid breaks the SPARQL constraint of {constraint.shape}"


def test_every_sparql_constraint_runs_on_the_fast_path() -> None:
    """The shapes in this repository need no pySHACL fallback; if one does, say which and why."""
    slow = {str(c.shape): c.unsafe for c in CONSTRAINTS if c.unsafe}
    assert slow == {}


def _classes(constraint: rulebook.SparqlConstraint) -> set[Node]:
    ontology = rulebook.ontology_graph()
    found: set[Node] = set()
    for target in constraint.targets.classes:
        found |= set(ontology.transitive_subjects(RDFS.subClassOf, target))
    return found


# ---------------------------------------------------------------------------- compiled core checks
# Every core constraint the fast path runs as a query (service/validation/core_queries.py) is
# exercised on generated data: for each compiled property shape, focus nodes of its targets with
# no value, each value of a palette (well- and ill-typed dates and decimals, codes that do and do
# not match the shapes' patterns, strings with a trailing newline, language-tagged strings,
# typed, sub-typed and untyped IRIs, a blank node) and pairs of values. Plain pySHACL and the fast
# path must report the same results, and every compiled check must both fire and stay quiet.

EX = "https://example.org/generated/"
CODES = "RJ1 RJ122 E48000001 W41000001 E06000001 E12000001 E40000001 Y56 QOP E54000001"
CODES += " E38000001 E02000001 E10000001 W00 G6V2S rj1 RJ1X R 12345678"
DATES = ["2020-01-01", "2020-02-29", "2019-02-29", "2020-01-31", "20200101", "2021-06-30"]
DECIMALS = ["0.5", "1", "1.0", "1.5", "0", "-9.5", "51.5", "62", "1e5", "abc", ".5", "+0.25"]
UNTYPED = URIRef(EX + "untyped")


def _name(cls: Node) -> str:
    return str(cls).rsplit("#", 1)[-1]


def values_for(components: set[Node], classes: set[Node]) -> list[Node]:
    """The palette of values worth trying against a path with these constraint components."""
    odd: list[Node] = [UNTYPED, BNode("b0"), Literal("name", lang="en")]
    odd += [Literal("2019-02-29", datatype=XSD.date), Literal("abc", datatype=XSD.decimal)]
    dates = [Literal(d, datatype=XSD.date) for d in DATES] + [Literal("2020-01-01")]
    numbers = [Literal(d, datatype=XSD.decimal) for d in DECIMALS]
    numbers += [Literal("1", datatype=XSD.integer), Literal("0.5", datatype=XSD.double)]
    numbers += [Literal("0.5"), Literal("true", datatype=XSD.boolean)]
    codes = [Literal(c) for c in CODES.split()] + [
        Literal("RJ1\n"),
        Literal("1.0", datatype=XSD.decimal),
    ]
    instances = [URIRef(EX + kind + _name(c)) for c in sorted(classes) for kind in ("is/", "sub/")]
    values = [*odd, Literal("A name"), Literal("RJ1")]
    for component, extra in [
        (SH.DatatypeConstraintComponent, dates + numbers),
        (SH.PatternConstraintComponent, codes),
        (SH.ClassConstraintComponent, instances),
        (SH.MinInclusiveConstraintComponent, numbers),
        (SH.MaxInclusiveConstraintComponent, numbers),
        (SH.MinExclusiveConstraintComponent, numbers),
    ]:
        if component in components:
            values += [v for v in extra if v not in values]
    return values


def generated_data() -> Graph:
    from service.validation.shacl import default_rulebook

    rules = default_rulebook()
    ontology = rulebook.ontology_graph()
    shapes = rulebook.shapes_graph()
    classes = {o for c in rules.checks for o in shapes.objects(c.shape, SH["class"])}
    data = Graph()
    for c in sorted(classes):
        # An instance of the class itself and, where there is one, of a subclass.
        data.add((URIRef(EX + "is/" + _name(c)), RDF.type, c))
        for sub in ontology.subjects(RDFS.subClassOf, c):
            data.add((URIRef(EX + "sub/" + _name(c)), RDF.type, sub))
    compared = {
        p
        for s, o in shapes.subject_objects(SH.lessThanOrEquals)
        for p in (o, shapes.value(s, SH.path))
    }
    # One set of focus nodes per node shape and path (several property shapes may share a path).
    by_path: dict[tuple[Node, Node | None], set[Node]] = {}
    others: dict[tuple[Node, Node | None], set[Node]] = {}
    for c in rules.checks:
        key = (_holder(shapes, c.shape), c.path)
        by_path.setdefault(key, set()).add(c.component)
        if c.other is not None:
            others.setdefault(key, set()).add(c.other)
    dates = [Literal(d, datatype=XSD.date) for d in DATES] + [Literal("2020-01-01")]
    n = 0
    for (holder, path), components in sorted(by_path.items(), key=str):
        targets = rulebook.targets_of(shapes, holder)
        variants: list[list[tuple[Node, Node]]] = [[]]
        if path is not None:
            values = values_for(components, classes)
            variants += [[(path, v)] for v in values]
            variants += [
                [(path, a), (path, b)]
                for a, b in zip(values, values[1:] + values[:1], strict=True)
                if not one_value(a, b)
            ]
        for other in others.get((holder, path), ()):
            variants += [[(path, a), (other, b)] for a, b in comparable(dates)]
        for variant in variants:
            if any(isinstance(v, BNode) and p in compared for p, v in variant):
                continue  # pySHACL stops with an error on a blank node in sh:lessThanOrEquals
            n += 1
            focus = URIRef(f"{EX}focus/{n}")
            for cls in targets.classes[:1]:
                data.add((focus, RDF.type, cls))
            for p in targets.subjects_of[:1]:
                data.add((focus, p, URIRef(EX + "is/LocalAuthorityDistrict")))
            for p, v in variant:
                data.add((focus, p, v))
    return data


def one_value(a: Node, b: Node) -> bool:
    """Two spellings of one typed value ("1"^^xsd:decimal and "1.0"^^xsd:decimal): Oxigraph
    keeps one canonical form, so the store holds one value where rdflib's graph holds two, and
    sh:maxCount 1 differs. The fast path counts values as the store will hold them."""
    return (
        isinstance(a, Literal)
        and isinstance(b, Literal)
        and a != b
        and a.datatype == b.datatype is not None
        and a.value is not None
        and a.value == b.value
    )


def comparable(values: list[Literal]) -> list[tuple[Literal, Literal]]:
    """Pairs pySHACL can compare for sh:lessThanOrEquals: on the others (an ill-typed date
    against a date) it stops with a TypeError, where the fast path reports a violation."""
    pairs = []
    for a in values:
        for b in values:
            try:
                _ = a <= b
            except TypeError:
                continue
            pairs.append((a, b))
    return pairs


def _holder(shapes: Graph, shape: Node) -> Node:
    return shapes.value(None, SH.property, shape) or shape


def without_sparql(shapes: Graph) -> Graph:
    """The shapes without their sh:sparql constraints: the generated data is built for the
    compiled core checks (one focus node per variant of each path), and pySHACL's SPARQL runs
    once per focus node in rdflib, 37 s of the 44 s it takes on the whole rulebook here. Every
    SPARQL constraint is compared on its own valid and broken case above."""
    kept = Graph()
    for prefix, namespace in shapes.namespaces():
        kept.bind(prefix, namespace)
    for triple in shapes:
        if triple[1] != SH.sparql:
            kept.add(triple)
    return kept


@cache
def generated_reports() -> tuple[ValidationReport, ValidationReport]:
    from service.validation.shacl import Rulebook

    shapes = without_sparql(rulebook.shapes_graph())
    data = generated_data()
    reference = validate_graph_pyshacl(data, nowhere, shapes)
    return reference, validate_graph(data, nowhere, Rulebook.from_shapes(shapes))


@cache
def generated_once() -> Graph:
    """The generated data, built once for the checks below to read (never validated: the
    validators get their own copy above)."""
    return generated_data()


def test_compiled_core_checks_agree_with_pyshacl_on_generated_data() -> None:
    reference, fast = generated_reports()
    assert not reference.conforms and not fast.conforms
    assert results(fast) == results(reference)
    assert default_checks_unchanged_without_sparql()


def default_checks_unchanged_without_sparql() -> bool:
    """Taking the SPARQL constraints out leaves the compiled checks the loader runs as they are
    (the comparison above is of those)."""
    from service.validation.shacl import Rulebook, default_rulebook

    stripped = Rulebook.from_shapes(without_sparql(rulebook.shapes_graph()))
    return [_check_id(c) for c in stripped.checks] == [
        _check_id(c) for c in default_rulebook().checks
    ]


def _check_id(check: CoreCheck) -> str:
    shape, component = check.shape, check.component
    return f"{_shape_key(shape)}: {str(component).rsplit('#', 1)[-1]}"[-90:]


def _compiled_checks() -> list[CoreCheck]:
    from service.validation.shacl import default_rulebook

    return list(default_rulebook().checks)


@pytest.mark.parametrize("check", _compiled_checks(), ids=_check_id)
def test_every_compiled_check_fires_and_stays_quiet_on_generated_data(check: CoreCheck) -> None:
    """pySHACL reports the check on some generated focus node and not on another of its
    targets, so the agreement above covers both verdicts of every compiled constraint."""
    reference, _ = generated_reports()
    graph = reference.results_graph
    assert graph is not None
    shape, component = check.shape, check.component
    fired = {
        graph.value(r, SH.focusNode)
        for r in graph.subjects(SH.sourceShape, shape)
        if graph.value(r, SH.sourceConstraintComponent) == component
    }
    assert fired, f"no generated focus node breaks {_check_id(check)}"
    shapes = rulebook.shapes_graph()
    holder = _holder(shapes, shape)
    targets = rulebook.targets_of(shapes, holder)
    data = generated_once()
    focus_nodes = {s for c in targets.classes for s in data.subjects(RDF.type, c)}
    focus_nodes |= {s for p in targets.subjects_of for s in data.subjects(p, None)}
    assert focus_nodes - fired, f"every generated focus node breaks {_check_id(check)}"


def test_judging_some_nodes_gives_the_whole_graph_results_on_those_nodes() -> None:
    """The loader judges only the nodes a batch describes (`only`): their focus nodes are found
    one by one, not by the target query over the whole slice. On the generated data, with a
    judged set of every third subject, instances of subclasses, a node the data never mentions
    and a value that is only an object, the results are the whole graph's on those nodes."""
    from service.validation import core_queries, whole_graph
    from service.validation.shacl import default_rulebook

    data = generated_once()
    store = whole_graph.data_store([data, rulebook.ontology_graph()])
    checks = default_rulebook().checks
    originals = core_queries.typed_literals(data)
    subjects = sorted(set(data.subjects()), key=str)
    judged = set(subjects[::3]) | {URIRef(EX + "nowhere"), URIRef(EX + "is/LocalAuthorityDistrict")}
    judged |= {s for s in subjects if str(s).startswith(EX + "sub/")}

    def found(only: set[Node] | None) -> set[tuple[Node, Node, Node]]:
        return {
            (r.focus, r.check.shape, r.check.component)
            for r in core_queries.run_checks(store, checks, originals, only=only)
        }

    whole = found(None)
    some = found(judged)
    assert some == {r for r in whole if r[0] in judged}
    assert len(some) > 50 and len(whole) > len(some)
