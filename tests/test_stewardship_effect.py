"""The figure-effect hook of the steward dry run on a synthetic store: the embedded sample plus two
sites and a few reported values, so that a site move has a known, non-zero effect on a roll-up by
LRF. (On the real data the Dorset correction changes no figure: tests/test_stewardship_national.)"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.term import Node

from service.rdf.store import GraphStore
from service.rdf.terms import GRAPH, ID
from service.rdf.vocab import NHSKG
from service.returns.numbers import NumbersStore
from service.rollup.model import Method, to_organisations_at
from service.stewardship.changeset import parse_changeset
from service.stewardship.effect import FigureQuestion, canonical, figures_on
from service.stewardship.workflow import apply, check, effect_hook, history, revert
from tests.support.auth import access

BEDS = str(NHSKG.BedsOccupiedCovid)
DORSET, GREATER_MANCHESTER = "E48000009", "E48000013"
DAY = date(2020, 5, 1)
# RD3 (Poole) and RDZ (Bournemouth) report; both merged into R0D on 2020-10-01. RM3 reports too.
REPORTED = {"RD3": 100.0, "RDZ": 50.0, "RM3": 30.0}
QUESTION = FigureQuestion(BEDS, "LRF", DAY, Method.SITES, to_organisations_at(date(2021, 1, 1)))


def _site(code: str, lad: str, operator: str, start: str, end: str | None) -> list[Any]:
    site, op = ID[f"org/{code}"], ID[f"site-operation/test/{code}/{start}"]
    triples: list[tuple[Node, Node, Node]] = [
        (site, RDF.type, NHSKG.Site),
        (site, NHSKG.odsCode, Literal(code)),
        (site, RDFS.label, Literal(f"Test site {code}")),
        (site, NHSKG.locatedIn, ID[f"area/{lad}"]),
        (op, RDF.type, NHSKG.SiteOperation),
        (op, NHSKG.operatedSite, site),
        (op, NHSKG.operator, ID[f"org/{operator}"]),
        (op, NHSKG.validFrom, Literal(date.fromisoformat(start))),
    ]
    if end:
        triples.append((op, NHSKG.validTo, Literal(date.fromisoformat(end))))
    return triples


@pytest.fixture
def store(sample_store: GraphStore) -> GraphStore:
    copy = sample_store.copy_in_memory()
    copy.write_graph(
        str(GRAPH["test/sites"]),
        # A Poole site in Bournemouth, Christchurch and Poole (Dorset LRF) under RD3 until it
        # closed, the same site stated under RD3 again by a stale list in 2023, and a Northern
        # Care Alliance site in Manchester (Greater Manchester LRF).
        _site("RD399", "E06000058", "RD3", "2000-01-01", "2020-09-30")
        + _site("RD399", "E06000058", "RD3", "2023-06-01", "2023-06-01")
        + _site("RM399", "E08000003", "RM3", "2000-01-01", None),
    )
    return copy


@pytest.fixture
def numbers() -> NumbersStore:
    numbers = NumbersStore(None)
    for code, value in REPORTED.items():
        numbers.con.execute(
            "INSERT INTO reported_value VALUES ('b', ?, ?, ?, 'x', 'Y58', ?, ?, ?, ?, NULL, NULL, "
            "NULL, NULL)",
            [code, str(ID[f"org/{code}"]), code, BEDS, DAY, DAY, value],
        )
    return numbers


def move(site: str, to: str, changeset_id: str = "test-move") -> Any:
    return parse_changeset(
        {
            "id": changeset_id,
            "author": "a.steward@example.nhs.uk",
            "reason": "test",
            "changes": [{"move_site": {"site": site, "to": to, "from": "2020-10-01"}}],
        }
    )


def by_area(store: GraphStore, numbers: NumbersStore) -> dict[str, float]:
    return {r.area: r.value for r in figures_on(numbers, QUESTION, store).rows}


def test_a_site_moved_to_another_lrf_changes_the_figures_by_its_share(
    store: GraphStore, numbers: NumbersStore
) -> None:
    # Restated to 2021, RD3 and RDZ are R0D, which runs RD399 (Dorset) by succession; moving
    # Manchester's RM399 to R0D too splits R0D's value between the two sites' LRFs, and leaves
    # RM3 with no site.
    dorset = REPORTED["RD3"] + REPORTED["RDZ"]
    assert by_area(store, numbers) == {DORSET: dorset, GREATER_MANCHESTER: REPORTED["RM3"]}
    dry = check(store, move("RM399", "R0D"), effect_hook(numbers, QUESTION))
    assert dry.status == "valid", dry.text()
    assert dry.effect is not None
    changes = {c.area: (c.before, c.after) for c in dry.effect.changes}
    assert changes == {
        DORSET: (dorset, dorset / 2),
        GREATER_MANCHESTER: (REPORTED["RM3"], dorset / 2),
    }
    assert "RM3" in {u.organisation for u in dry.effect.after.unmapped}
    assert "E48000009" in dry.text() and "-75" in dry.text()
    assert by_area(store, numbers) == {DORSET: dorset, GREATER_MANCHESTER: REPORTED["RM3"]}


def test_after_apply_the_figures_are_the_dry_runs_and_after_revert_they_are_back(
    store: GraphStore, numbers: NumbersStore
) -> None:
    before = figures_on(numbers, QUESTION, store)
    dry = check(store, move("RM399", "R0D"), effect_hook(numbers, QUESTION))
    assert dry.effect is not None
    assert apply(store, move("RM399", "R0D")).status == "applied"
    assert canonical(figures_on(numbers, QUESTION, store)) == canonical(dry.effect.after)
    revert(store, "test-move", author="b.steward@example.nhs.uk", reason="wrong trust")
    back = figures_on(numbers, QUESTION, store, fresh=True)  # no snapshot reused
    assert canonical(back) == canonical(before)
    steps = [(h["kind"], h["changeset"]) for h in history(store, "RM399")]
    assert steps == [
        ("ChangeSetCheck", "test-move"),
        ("ChangeSetApplication", "test-move"),
        ("ChangeSetReversion", "test-move"),
    ]


def test_a_move_corrects_a_stale_statement_instead_of_overlapping_it(store: GraphStore) -> None:
    # The stale 2023 statement (RD3, closed) would overlap an open-ended R0D operation from
    # 2020-10-01; the move corrects it, and the 2018-style operation that ended with RD3 stays.
    dry = check(store, move("RD399", "R0D"))
    assert dry.status == "valid", dry.text()
    corrects = [t for t in dry.added["RD399"] if " corrects " in t]
    assert len(corrects) == 1 and "2023-06-01" in corrects[0]
    assert not any("validTo" in t for t in dry.added["RD399"])


def test_without_the_correction_the_one_operator_rule_refuses_the_move(
    store: GraphStore,
) -> None:
    # The same statement written by hand, without nhskg:corrects, is refused by the shapes.
    op = URIRef(str(ID["site-operation/by-hand/RD399"]))
    from rdflib import Graph

    from service.loader import validate_candidate

    candidate = Graph()
    candidate.add((op, RDF.type, NHSKG.SiteOperation))
    candidate.add((op, NHSKG.operatedSite, ID["org/RD399"]))
    candidate.add((op, NHSKG.operator, ID["org/R0D"]))
    candidate.add((op, NHSKG.validFrom, Literal(date(2020, 10, 1))))
    report = validate_candidate(store, candidate, lambda f, p, v: ("x", None, None), exclude=set())
    assert not report.conforms
    assert any("overlaps another" in f.rule for f in report.findings)


def test_graphql_check_reports_the_same_effect(store: GraphStore, numbers: NumbersStore) -> None:
    import asyncio

    import yaml

    from service.api.graphql.context import Context
    from service.api.graphql.schema import schema
    from service.reference import ReferenceData

    text = yaml.safe_dump(
        {
            "id": "gql-move",
            "author": "x",
            "reason": "test",
            "changes": [{"move_site": {"site": "RM399", "to": "R0D", "from": "2020-10-01"}}],
        }
    )
    mutation = """mutation($cs: String!, $figure: FigureInput) {
        checkChangeSet(changeSet: $cs, figure: $figure) {
            status effect { rowsCompared changes { area before after change } } } }"""
    figure = {
        "metric": "BedsOccupiedCovid",
        "areaType": "LRF",
        "date": DAY.isoformat(),
        "method": "SITES",
        "restateAt": "2021-01-01",
    }
    context = Context(
        reference=ReferenceData.build(store), numbers=numbers, access=access("steward")
    )
    result = asyncio.run(
        schema.execute(mutation, {"cs": text, "figure": figure}, context_value=context)
    )
    assert result.errors is None and result.data is not None
    effect = result.data["checkChangeSet"]["effect"]
    dry = check(store, parse_changeset(yaml.safe_load(text)), effect_hook(numbers, QUESTION))
    assert dry.effect is not None
    assert effect["changes"] == [
        {"area": c.area, "before": c.before, "after": c.after, "change": c.change}
        for c in dry.effect.changes
    ]
    assert len(effect["changes"]) == 2
    wrong = asyncio.run(
        schema.execute(
            mutation,
            {"cs": text, "figure": {**figure, "method": "GUESS"}},
            context_value=context,
        )
    )
    assert wrong.errors and "cannot compare figures" in wrong.errors[0].message


def test_an_unknown_area_type_is_refused_with_the_known_ones(
    store: GraphStore, numbers: NumbersStore
) -> None:
    from dataclasses import replace

    from service.geography.assign import UnknownAreaType

    with pytest.raises(UnknownAreaType, match=r"known types: .*LRF"):
        check(store, move("RM399", "R0D"), effect_hook(numbers, replace(QUESTION, area_type="X")))


def test_a_scoped_steward_sees_the_effect_on_its_own_organisations_only(
    store: GraphStore, numbers: NumbersStore
) -> None:
    """RM3 (North West) is outside a South West steward's scope: its 30 beds in Greater
    Manchester are in no figure that steward is shown, before or after."""
    import asyncio

    import yaml

    from service.api.graphql.context import Context
    from service.api.graphql.schema import schema
    from service.reference import ReferenceData

    text = yaml.safe_dump(
        {
            "id": "gql-move-scoped",
            "author": "x",
            "reason": "test",
            "changes": [{"move_site": {"site": "RM399", "to": "R0D", "from": "2020-10-01"}}],
        }
    )
    mutation = """mutation($cs: String!, $figure: FigureInput) {
        checkChangeSet(changeSet: $cs, figure: $figure) {
            effect { changes { area before after change } } } }"""
    figure = {
        "metric": "BedsOccupiedCovid",
        "areaType": "LRF",
        "date": DAY.isoformat(),
        "method": "SITES",
        "restateAt": "2021-01-01",
    }
    reference = ReferenceData.build(store)
    answers = {}
    for scope in ("national", "region:Y58"):
        context = Context(
            reference=reference, numbers=numbers, access=access("steward", [scope], reference)
        )
        result = asyncio.run(
            schema.execute(mutation, {"cs": text, "figure": figure}, context_value=context)
        )
        assert result.errors is None and result.data is not None
        answers[scope] = result.data["checkChangeSet"]["effect"]["changes"]
    dorset = {"area": DORSET, "before": 150.0, "after": 75.0, "change": -75.0}
    assert answers["national"] == [
        dorset,
        {"area": GREATER_MANCHESTER, "before": 30.0, "after": 75.0, "change": 45.0},
    ]
    # R0D's half of its beds moves to Greater Manchester with the site; RM3's 30 are not shown.
    assert answers["region:Y58"] == [
        dorset,
        {"area": GREATER_MANCHESTER, "before": None, "after": 75.0, "change": 75.0},
    ]
