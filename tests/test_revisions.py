"""Revisions as data over the embedded sample: two real weekly releases cut to sample providers,
the later one with some of its beds values changed. What `revisions` reports (per value, per
area) is checked against a plain comparison of the two files; the release is flagged in the
steward queue beyond the metric's threshold (ontology); GraphQL answers revisions, asKnownAt,
observations with their release, batches, and retires and restores a batch."""

from __future__ import annotations

import asyncio
import csv
import gzip
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from service.api.graphql.context import Context
from service.api.graphql.schema import schema
from service.rdf.store import GraphStore
from service.rdf.vocab import NHSKG
from service.reference import ReferenceData
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.returns.revisions import by_area, revised_releases, revisions
from service.stewardship.queue import queue
from tests.returns_support import WEEKLY_DIR, weekly_name, write_weekly_cut
from tests.support.auth import access, bearer

CODES = {"RA7", "RBD", "RK9", "RH8", "RBL", "RXN"}
SERIES = {"All beds COVID", "MV beds COVID"}
EARLIER, LATER = "2020-11-19", "2020-11-26"
REGIONS = {"South West": "Y58", "North West": "Y62"}
BEDS = str(NHSKG.BedsOccupiedCovid)


def _revise(row: dict[str, str]) -> dict[str, str]:
    """RA7's and RBD's beds for October, one more each (a correction of history)."""
    if (
        row["org_code"] in {"RA7", "RBD"}
        and row["data"] == "All beds COVID"
        and row["date"].startswith("2020-10")
        and row["value"]
    ):
        return {**row, "value": str(float(row["value"]) + 1)}
    return row


def _values(path: Path, series: str) -> dict[tuple[str, str], tuple[str, float]]:
    with gzip.open(path, "rt", newline="") as f:
        return {
            (r["org_code"], r["date"]): (r["nhs_region"], float(r["value"]))
            for r in csv.DictReader(f)
            if r["data"] == series and r["value"]
        }


@pytest.fixture(scope="module")
def env(
    sample_store: GraphStore, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("revisions")
    source = shared_data / WEEKLY_DIR
    files = {
        EARLIER: write_weekly_cut(source / weekly_name(EARLIER), folder, CODES, SERIES),
        LATER: write_weekly_cut(source / weekly_name(LATER), folder, CODES, SERIES, _revise),
    }
    store, numbers = sample_store.copy_in_memory(), NumbersStore(None)
    for path in files.values():
        assert load_return_file(store, numbers, path).status == "loaded"
    return {"store": store, "numbers": numbers, "files": files}


def plain_comparison(
    env: dict[str, Any], series: str
) -> dict[tuple[str, str], tuple[float, float]]:
    before = _values(env["files"][EARLIER], series)
    after = _values(env["files"][LATER], series)
    return {
        key: (before[key][1], after[key][1])
        for key in before.keys() & after.keys()
        if before[key][1] != after[key][1]
    }


def test_revisions_are_the_values_that_differ_between_the_files(env: dict[str, Any]) -> None:
    expected = plain_comparison(env, "All beds COVID")
    assert expected  # the edit made some
    found = revisions(
        env["numbers"], BEDS, date(2020, 8, 1), date(2020, 12, 31),
        (date.fromisoformat(EARLIER), date.fromisoformat(LATER)),
    )  # fmt: skip
    got = {(r.reporter, r.period_start.isoformat()): (r.before, r.after) for r in found}
    assert got == expected
    assert all(r.change == 1 for r in found)
    # Per area: the same revisions summed by the region the file states.
    regions = {k: REGIONS[v[0]] for k, v in _values(env["files"][LATER], "All beds COVID").items()}
    totals: dict[tuple[str, date], list[float]] = defaultdict(lambda: [0, 0.0])
    for key, (before, after) in expected.items():
        total = totals[(regions[key], date.fromisoformat(key[1]))]
        total[0] += 1
        total[1] += after - before
    assert {(a.area, a.period_start): [a.count, a.change] for a in by_area(found)} == totals
    # The MV series was not revised; asked the other way round is an error.
    mv = str(NHSKG.MechanicalVentilationBedsOccupiedCovid)
    assert plain_comparison(env, "MV beds COVID") == {}
    between = (date.fromisoformat(EARLIER), date.fromisoformat(LATER))
    assert revisions(env["numbers"], mv, date(2020, 8, 1), date(2020, 12, 31), between) == []
    with pytest.raises(ValueError, match="earlier release first"):
        revisions(env["numbers"], BEDS, date(2020, 8, 1), date(2020, 12, 31), between[::-1])


def test_a_release_revising_beyond_the_threshold_is_queued(env: dict[str, Any]) -> None:
    revised = {r.metric: r for r in revised_releases(env["numbers"], [BEDS])}
    later = revised[BEDS]
    before = _values(env["files"][EARLIER], "All beds COVID")
    after = _values(env["files"][LATER], "All beds COVID")
    assert later.reissued == len(before.keys() & after.keys())
    assert later.revised == len(plain_comparison(env, "All beds COVID"))
    assert later.share > 0.01  # nhskg:revisionThreshold 0.01 for BedsOccupiedCovid
    items = queue(env["store"], env["numbers"], kinds=["revised_history"])
    assert [(i.code, i.name, i.values) for i in items] == [
        ("BedsOccupiedCovid", weekly_name(LATER), later.revised)
    ]
    assert "more than the 1.0%" in items[0].reason


def run(env: dict[str, Any], query: str) -> tuple[dict[str, Any] | None, list[str]]:
    context = Context(
        access=access("admin"), reference=ReferenceData.build(env["store"]), numbers=env["numbers"]
    )
    result = asyncio.run(schema.execute(query, context_value=context))
    return result.data, [e.message for e in result.errors or []]


def test_graphql_revisions_as_known_at_and_batches(env: dict[str, Any]) -> None:
    data, errors = run(
        env,
        f"""{{ revisions(metric: "BedsOccupiedCovid", from: "2020-10-01", to: "2020-10-31",
                         between: ["{EARLIER}", "{LATER}"], first: 3) {{
                count totalChange values {{ code before after }} areas {{ area count }} }}
              earlier: rollup(metric: "BedsOccupiedCovid", by: "NHS_REGION",
                              date: "2020-10-05", method: RETURN_STATED, asKnownAt: "{EARLIER}") {{
                rows {{ area {{ odsCode }} value }} }}
              later: rollup(metric: "BedsOccupiedCovid", by: "NHS_REGION", date: "2020-10-05",
                            method: RETURN_STATED) {{ rows {{ area {{ odsCode }} value }} }}
              observations(org: "RA7", metric: "BedsOccupiedCovid", from: "2020-10-05",
                           to: "2020-10-05", asKnownAt: "{EARLIER}") {{
                value batch {{ releaseDate dataset }} }}
              batches {{ file releaseDate status valueCount answering }} }}""",
    )
    assert errors == [] and data is not None
    expected = plain_comparison(env, "All beds COVID")
    assert data["revisions"]["count"] == len(expected) and len(data["revisions"]["values"]) == 3
    assert data["revisions"]["totalChange"] == len(expected)
    earlier = {r["area"]["odsCode"]: r["value"] for r in data["earlier"]["rows"]}
    later = {r["area"]["odsCode"]: r["value"] for r in data["later"]["rows"]}
    assert later["Y58"] == earlier["Y58"] + 2 and later["Y62"] == earlier["Y62"]
    [observation] = data["observations"]
    assert observation["batch"] == {
        "releaseDate": EARLIER,
        "dataset": "weekly-covid-admissions-beds",
    }
    assert (
        observation["value"]
        == _values(env["files"][EARLIER], "All beds COVID")[("RA7", "2020-10-05")][1]
    )
    assert [(b["releaseDate"], b["status"]) for b in data["batches"]] == [
        (EARLIER, "current"),
        (LATER, "current"),
    ]
    assert data["batches"][1]["answering"] == data["batches"][1]["valueCount"]


def test_graphql_retires_and_restores_a_batch(env: dict[str, Any]) -> None:
    data, errors = run(env, "{ batches { id file } }")
    assert data is not None
    later = next(b["id"] for b in data["batches"] if b["file"] == weekly_name(LATER))
    data, errors = run(
        env, f'mutation {{ retireBatch(id: "{later}", note: "suspect") {{ status changeNote }} }}'
    )
    assert errors == [] and data == {"retireBatch": {"status": "retired", "changeNote": "suspect"}}
    data, errors = run(
        env,
        '{ rollup(metric: "BedsOccupiedCovid", by: "NHS_REGION", date: "2020-10-05", '
        'method: RETURN_STATED, asKnownAt: "2020-11-01") { rows { value } } }',
    )
    assert errors == [
        "no values of BedsOccupiedCovid had been released by 2020-11-01. "
        "Ask as known at a later date (query batches for the release dates held)."
    ]
    data, errors = run(env, f'mutation {{ restoreBatch(id: "{later}", note: "ok") {{ status }} }}')
    assert errors == [] and data == {"restoreBatch": {"status": "current"}}
    data, errors = run(env, 'mutation { retireBatch(id: "nope", note: "x") { status } }')
    assert errors and "no batch 'nope'" in errors[0]


def test_rest_observations_as_known_at(env: dict[str, Any]) -> None:
    """GET /observations/{code}.ttl?asKnownAt=D over a real server: the value as published."""
    import urllib.request
    from urllib.parse import quote

    from rdflib import Graph

    from service.api.app import create_app
    from service.config import Settings
    from tests.http_server import serve

    app = create_app(
        Settings(store_path=None, numbers_path=None), store=env["store"], numbers=env["numbers"]
    )
    day = "2020-10-05"
    published = {
        release: _values(env["files"][release], "All beds COVID")[("RA7", day)][1]
        for release in (EARLIER, LATER)
    }
    assert published[LATER] == published[EARLIER] + 1
    with serve(app) as url:
        for release, expected in ((EARLIER, published[EARLIER]), (None, published[LATER])):
            query = f"from={day}&to={day}&metric={quote(BEDS)}" + (
                f"&asKnownAt={release}" if release else ""
            )
            asked = urllib.request.Request(f"{url}/observations/RA7.ttl?{query}", headers=bearer())
            with urllib.request.urlopen(asked) as response:
                graph = Graph().parse(data=response.read().decode(), format="turtle")
            values = [float(v) for v in graph.objects(None, NHSKG.reportedValue)]
            assert values == [expected], release
