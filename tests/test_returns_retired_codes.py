"""A&E returns of 2018 still list trusts merged that April (RR1 into RRK) beside their successors:
each such row is restated with a warning, not taken for a duplicate of the successor's row, and
the successor's roll-up and observations count both."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from service.api.graphql.numbers_resolvers import OBSERVATIONS
from service.rdf.vocab import NHSKG
from service.returns.codes import graph_successions, successor_on
from service.returns.context import finding_key
from service.returns.load import load_return_file
from service.returns.readers import read_return
from service.returns.shacl_check import shacl_findings
from service.returns.spec import mapping_for
from service.returns.vectorised import vectorised_findings
from service.rollup.engine import rollup
from service.rollup.model import Method, organisation
from tests.test_returns_validation import _context

JUNE_2018 = "returns/ae-monthly-xls/18-jun.xls"
JUNE = date(2018, 6, 1)
RETIRED = ("RR1", "RY1")  # merged before June 2018 (README of ../shared/data), still reporting


@pytest.fixture(scope="module")
def june(returns_env: dict[str, Any], shared_data: Path) -> Any:
    result = load_return_file(returns_env["store"], returns_env["numbers"], shared_data / JUNE_2018)
    successions = graph_successions(returns_env["store"])
    successors = {code: successor_on(code, JUNE, successions) for code in RETIRED}
    return result, successors


def test_june_2018_loads_and_warns_about_retired_codes(june: Any) -> None:
    result, successors = june
    assert result.status == "loaded", result.report.text()
    for code, (successor,) in successors.items():
        assert successor != code
        warned = [w for w in result.warnings if f"{code} was succeeded by {successor}" in w.rule]
        assert warned and all(w.severity == "Warning" for w in warned)
    assert not any("More than one value" in w.rule for w in result.warnings)


# RR1 (acute) into RRK; RY1 (community: minor injury units only) into its successor.
@pytest.mark.parametrize(
    ("code", "metric"),
    [("RR1", str(NHSKG.AEAttendancesType1)), ("RY1", str(NHSKG.AEAttendancesOther))],
)
def test_successor_rollup_and_observations_count_both_rows(
    returns_env: dict[str, Any], shared_data: Path, june: Any, code: str, metric: str
) -> None:
    _, successors = june
    (successor,) = successors[code]
    path = shared_data / JUNE_2018
    values = read_return(path, mapping_for(path.name))
    in_file: dict[str, list[float]] = {code: [], successor: []}
    for c, m, v in zip(values.code, values.metric, values.value, strict=True):
        if c in in_file and m == metric and v is not None:
            in_file[c].append(v)
    # one row each in the file; the retired code's has attendances
    assert len(in_file[code]) == len(in_file[successor]) == 1 and in_file[code][0] > 0
    both = in_file[code][0] + in_file[successor][0]
    numbers = returns_env["numbers"]
    result = rollup(
        numbers, metric, "NHS_REGION", JUNE, Method.RETURN_STATED, scope=organisation(successor)
    )
    assert result.rows and sum(r.value for r in result.rows) == pytest.approx(both, rel=1e-12)
    assert all(c.organisation == successor for r in result.rows for c in r.contributors)
    rows = numbers.con.execute(
        OBSERVATIONS.replace("{values}", numbers.values),
        {
            "code": successor,
            "metric": metric,
            "start": JUNE,
            "end": JUNE,
            "limit": 100,
            "regions": None,
        },
    ).fetchall()
    assert {(r[0], r[1]) for r in rows} == {(successor, code), (successor, successor)}
    assert sum(r[5] for r in rows) == pytest.approx(both)


@pytest.mark.parametrize("broken", [False, True])
def test_engines_agree_on_june_2018_and_reject_a_true_duplicate(
    returns_env: dict[str, Any], shared_data: Path, broken: bool
) -> None:
    ctx = _context(returns_env, shared_data / JUNE_2018, "ae-monthly-xls")
    v = ctx.values
    if broken:  # the RR1 row's first value given twice: a duplicate of one reported code
        i = v.code.index("RR1")
        for column in ("code", "name", "region", "metric", "period_start", "period_end"):
            getattr(v, column).append(getattr(v, column)[i])
        for column in ("value", "raw", "sheet", "cell", "row"):
            getattr(v, column).append(getattr(v, column)[i])
        ctx.resolution.org_iri.append(ctx.resolution.org_iri[i])
        ctx.resolution.org_code.append(ctx.resolution.org_code[i])
    shacl = {finding_key(f) for f in shacl_findings(ctx, batch_rules="sparql")}
    duck = {finding_key(f) for f in vectorised_findings(ctx)}
    assert shacl == duck
    duplicates = {k for k in duck if "More than one value" in k[2]}
    assert bool(duplicates) == broken
    if broken:
        assert {k[1] for k in duplicates} == {v.row[-1]}
