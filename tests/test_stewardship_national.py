"""Steward change sets and the steward queue on the real data (../shared/data).

The Dorset correction: the June 2023 NHS hospital list still files Poole Hospital (RD304) under
RD3, which closed on 2020-09-30 when RD3 and RDZ merged into R0D.
mappings/changes/dorset-rd3-sites-to-r0d.yaml moves the sites the list files under RD3 to R0D
from 2020-10-01. The figure compared is COVID-19 beds occupied (the COVID publication, 2020-04-15)
by LRF, organisations placed by their sites, values restated to the organisations of 2021-01-01
(after the merger; the publication ends in August 2020, so only a restatement reaches R0D).

On the real data the correction changes no figure, and the test asserts that computed zero: the
reference already reads a site whose operator closed as passing to the operator's successors
(nhskg:SiteOperation), so R0D runs RD304 after 2020-10-01 with or without the change set, and the
stale 2023 statement (RD3, a closed trust) resolves to R0D too. The same holds for every other
reasonable choice we tried: other area types, the list's own date (2023-06-01), A&E 2024-25 as
reported (R0D reports itself). What the change set does change is the evidence: the statement
that R0D operates RD304 is now stated, not inferred, and the stale one is corrected (shown in the
diff). tests/test_stewardship_effect.py proves on a synthetic store that a move with an effect
is reported row by row.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from service.rdf.store import GraphStore
from service.rdf.terms import ROOT
from service.rdf.vocab import NHSKG
from service.reference.unregistered import known_unregistered
from service.rollup.model import Method, to_organisations_at
from service.stewardship.changeset import read_changeset
from service.stewardship.effect import FigureQuestion, canonical, figures_on
from service.stewardship.queue import queue
from service.stewardship.workflow import apply, check, effect_hook, history, revert
from tests.support.stores import backup_store

CHANGE_SET = ROOT / "mappings/changes/dorset-rd3-sites-to-r0d.yaml"
COVID_DAY = date(2020, 4, 15)
QUESTION = FigureQuestion(
    str(NHSKG.BedsOccupiedCovid),
    "LRF",
    COVID_DAY,
    Method.SITES,
    to_organisations_at(date(2021, 1, 1)),
)
DORSET_LRF = "E48000009"


@pytest.fixture(scope="module")
def env(returns_env: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of the national store with the COVID publication, for this module to change."""
    target = tmp_path_factory.mktemp("steward-national") / "store"
    backup_store(returns_env["store"], target)
    return {**returns_env, "store": GraphStore(target)}


def sites_filed_under(path: Path, parent: str) -> set[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        code, stated = header.index("OrganisationCode"), header.index("ParentODSCode")
        # The re-saved list has an unnamed index column first: data rows are one longer.
        return {r[code + 1] for r in rows if len(r) > stated + 1 and r[stated + 1] == parent}


def test_the_change_set_moves_every_site_the_2023_list_files_under_rd3(shared_data: Path) -> None:
    changeset = read_changeset(CHANGE_SET)
    moves = [c.fields for c in changeset.changes if c.kind == "move_site"]
    filed = sites_filed_under(shared_data / "ods/hospitals-2023-06.csv", "RD3")
    assert filed and {m["site"] for m in moves} == filed
    assert {(m["to"], str(m["from"])) for m in moves} == {("R0D", "2020-10-01")}


def test_dorset_correction_check_apply_revert(env: dict[str, Any]) -> None:
    store, numbers = env["store"], env["numbers"]
    changeset = read_changeset(CHANGE_SET)
    graphs = store.current_graphs()
    before = figures_on(numbers, QUESTION, store)

    # The roll-up is not vacuous: restated to 2021, RD3's and RDZ's beds are R0D's, and R0D's
    # sites place a share of them in Dorset LRF.
    reported = numbers.con.execute(
        "SELECT sum(value) FROM reported_value WHERE metric = ? AND period_start = ? "
        "AND org_code IN ('RD3', 'RDZ')",
        [QUESTION.metric, COVID_DAY],
    ).fetchone()[0]
    dorset = next(r for r in before.rows if r.area == DORSET_LRF)
    r0d = [c for c in dorset.contributors if c.organisation == "R0D"]
    assert reported > 0 and sum(c.value for c in r0d) == pytest.approx(reported)
    assert all(0 < c.share <= 1 for c in r0d)

    dry = check(store, changeset, effect_hook(numbers, QUESTION))
    assert dry.status == "valid", dry.text()
    assert set(dry.added) == {"RD304"}  # the diff, grouped by organisation
    assert any(
        "corrects site-operation/nhs-hospitals/2023-06-01/RD304" in t for t in dry.added["RD304"]
    )
    assert dry.effect is not None and canonical(dry.effect.before) == canonical(before)
    assert dry.effect.changes == []  # the computed effect is zero (see the module docstring)
    assert canonical(dry.effect.after) == canonical(before)
    assert "no row changes" in dry.text()
    assert store.current_graphs() == graphs  # a dry run changes no graph

    assert apply(store, changeset).status == "applied"
    assert canonical(figures_on(numbers, QUESTION, store)) == canonical(dry.effect.after)

    revert(store, changeset.id, author="b.steward@example.nhs.uk", reason="test of revert")
    assert store.current_graphs() == graphs
    back = figures_on(numbers, QUESTION, store, fresh=True)  # no snapshot reused
    assert canonical(back) == canonical(before)

    for code in ("RD304", "R0D"):
        steps = [(h["kind"], h["changeset"]) for h in history(store, code)]
        assert steps == [
            ("ChangeSetCheck", changeset.id),
            ("ChangeSetApplication", changeset.id),
            ("ChangeSetReversion", changeset.id),
        ]


def test_queue_lists_the_covid_publications_unregistered_providers(env: dict[str, Any]) -> None:
    items = queue(env["store"], env["numbers"], kinds=["unregistered_provider"])
    unregistered = set(env["covid"].unregistered)
    queued = {i.code for i in items}
    # Other tests in the session load more returns into the same stores (A&E files name their
    # own independent-sector providers): every queued code must be one the graph holds as
    # unregistered, and the COVID publication's must all be there.
    assert unregistered and unregistered <= queued
    assert queued <= known_unregistered(env["store"])
    counts = dict(
        env["numbers"]
        .con.execute("SELECT org_code, count(*) FROM reported_value GROUP BY org_code")
        .fetchall()
    )
    assert all(i.values == counts[i.code] and i.related for i in items)


def test_queue_lists_trusts_whose_placement_methods_conflict(
    env: dict[str, Any], geo_placer: Any
) -> None:
    day = date(2021, 1, 1)
    items = queue(env["store"], kinds=["method_conflict"], on=day, placer=geo_placer)
    assert items
    for item in items:
        answer = geo_placer.place(item.code, "LRF", day)
        assert answer.conflicts and set(item.related) == set(answer.conflicts.values())
        assert len(item.related) > 1
    queued = {i.code for i in items}
    agreeing = [
        o.code
        for o in geo_placer.reference.organisations.values()
        if o.open_on(day) and o.code not in queued
    ][:10]
    assert agreeing
    assert all(geo_placer.place(code, "LRF", day).conflicts is None for code in agreeing)


def test_queue_lists_the_inferred_successions(env: dict[str, Any]) -> None:
    items = queue(env["store"], kinds=["succession_type"])
    dorset = [i for i in items if set(i.details["predecessors"]) == {"RD3", "RDZ"}]
    assert len(dorset) == 1 and dorset[0].related == ("R0D",)
    assert dorset[0].details["basis"] == "inferred"
