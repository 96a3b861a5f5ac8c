"""The reference graph as known at a date (`asKnownAt`), on every surface, with real stores: the
embedded sample loaded on one day and a steward's correction recorded through the steward path
two days later (Bournemouth, Christchurch and Poole moved from Dorset LRF to another from
2020-04-01, and University Hospitals Dorset renamed). Asked as known before the correction, the
lookup, the organisation and a roll-up give the old answer; after it, the new one; each answer
states the date it is known at. The store records its writes at the time its clock gives: the
one way to hold a history spanning days in a test (the store is otherwise the real one)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.api.app import create_app
from service.config import Settings
from service.rdf.store import GraphStore
from service.rdf.terms import ROOT
from service.reference import KnownAtError, ReferenceData
from service.reference.known import KnownAtSnapshots
from tests.http_server import serve
from tests.support.auth import bearer
from tests.support.known_history import (
    BCP,
    DORSET,
    NEW_NAME,
    ON,
    OTHER_LRF,
    record_history,
)


@pytest.fixture(scope="module")
def history(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return record_history(sample_store, tmp_path_factory.mktemp("known-at"))


@pytest.fixture(scope="module")
def server(history: dict[str, Any]) -> Iterator[str]:
    settings = Settings(store_path=None, numbers_path=None, access_log_path=None)
    app = create_app(settings, store=history["store"], numbers=history["numbers"])
    with serve(app) as url:
        yield url


def graphql(url: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables},
        headers=bearer("analyst", ["national"]),
        timeout=120,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def nhskg(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "--store", str(store), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )  # fmt: skip


def test_the_reference_as_known_before_the_correction_is_the_old_one(
    history: dict[str, Any],
) -> None:
    now = history["now"]
    then = now.known_at(history["loaded"])
    assert then is not now and then.serial
    assert now.known_at(history["changed"]) is now  # nothing written since: the current one
    day = date.fromisoformat(ON)
    assert then.lookup.lookup("RD3", "LRF", day, "HEADQUARTERS").areas[0]["code"] == DORSET
    assert now.lookup.lookup("RD3", "LRF", day, "HEADQUARTERS").areas[0]["code"] == OTHER_LRF
    assert then.organisations.find("R0D").name != NEW_NAME  # type: ignore[union-attr]
    assert now.organisations.find("R0D").name == NEW_NAME  # type: ignore[union-attr]


def test_a_snapshot_is_built_once_and_the_cache_is_bounded(history: dict[str, Any]) -> None:
    now = ReferenceData.current(history["store"])  # the saved snapshot: a cache of its own
    now.history = KnownAtSnapshots()
    loaded = history["loaded"]
    first = now.known_at(loaded)
    # Asked again, or at the next day (the same graphs known): the same snapshot, not rebuilt.
    assert now.known_at(loaded) is first
    assert now.known_at(loaded + timedelta(days=1)) is first
    assert (now.history.builds, now.history.hits) == (1, 2)
    now.history.capacity = 1
    with pytest.raises(KnownAtError, match="nothing had been loaded"):
        now.known_at(loaded - timedelta(days=1))
    assert len(now.history) == 1


def test_a_date_before_the_first_load_says_when_that_was(history: dict[str, Any]) -> None:
    reference = history["now"]
    with pytest.raises(KnownAtError) as caught:
        reference.known_at(history["loaded"] - timedelta(days=1))
    assert f"recorded on {history['loaded'].isoformat()}" in str(caught.value)


LOOKUP = """query($k: Date) { lookup(code: "RD3", geographyType: "LRF", asOf: "2020-04-06",
    method: "HEADQUARTERS", asKnownAt: $k) { knownAt areas { code } } }"""
ORGANISATION = """query($k: Date) { organisation(code: "R0D", asKnownAt: $k) { name knownAt }
    organisations(filter: {nameContains: "renamed"}, asKnownAt: $k) { totalCount knownAt } }"""
ROLLUP = """query($k: Date) { rollup(metric: "BedsOccupiedCovid", by: "LRF", date: "2020-04-06",
    method: HEADQUARTERS, asKnownAt: $k) { knownAt rows { area { code } value } } }"""


def lrf_totals(body: dict[str, Any]) -> dict[str, float]:
    return {r["area"]["code"]: r["value"] for r in body["data"]["rollup"]["rows"]}


def test_graphql_answers_as_known_before_and_after_the_correction(
    history: dict[str, Any], server: str
) -> None:
    loaded, changed = history["loaded"].isoformat(), history["changed"].isoformat()
    before, after = graphql(server, LOOKUP, k=loaded), graphql(server, LOOKUP, k=changed)
    assert before["data"]["lookup"] == {"knownAt": loaded, "areas": [{"code": DORSET}]}
    assert after["data"]["lookup"] == {"knownAt": changed, "areas": [{"code": OTHER_LRF}]}
    assert graphql(server, LOOKUP)["data"]["lookup"]["knownAt"] is None  # as known now
    old, new = graphql(server, ORGANISATION, k=loaded), graphql(server, ORGANISATION)
    assert old["data"]["organisation"]["name"] != NEW_NAME
    assert old["data"]["organisation"]["knownAt"] == loaded
    assert old["data"]["organisations"] == {"totalCount": 0, "knownAt": loaded}
    assert new["data"]["organisation"]["name"] == NEW_NAME
    assert new["data"]["organisations"]["totalCount"] == 1


def test_a_rollup_as_known_before_the_correction_places_by_the_old_lrf(
    history: dict[str, Any], server: str
) -> None:
    loaded = history["loaded"].isoformat()
    old, new = graphql(server, ROLLUP, k=loaded), graphql(server, ROLLUP)
    assert old["data"]["rollup"]["knownAt"] == loaded
    before, after = lrf_totals(old), lrf_totals(new)
    assert OTHER_LRF not in before and before[DORSET] > 0
    # Poole's and Bournemouth's trusts moved with BCP; Dorset County Hospital stayed.
    assert after[OTHER_LRF] > 0
    assert after[OTHER_LRF] + after[DORSET] == pytest.approx(before[DORSET])
    assert sum(after.values()) == pytest.approx(sum(before.values()))
    # Asked again: the same answer, from the placements built for the first asking.
    assert lrf_totals(graphql(server, ROLLUP, k=loaded)) == before


CASES = """query($k: Date) { rollup(metric: "LabConfirmedCases", by: "LRF", date: "2020-04-06",
    asKnownAt: $k) { method knownAt rows { area { code } value } } }"""


def test_values_reported_by_area_roll_up_by_the_memberships_as_known_then(
    history: dict[str, Any], server: str, tmp_path: Path
) -> None:
    """Cases reported by district are placed by the districts' LRF memberships as the graph
    held them on the day asked (BCP in Dorset LRF before the correction), through GraphQL and
    the CLI alike; as known now, BCP's cases are in the other LRF."""
    loaded = history["loaded"].isoformat()
    old, new = graphql(server, CASES, k=loaded), graphql(server, CASES)
    assert "errors" not in old and "errors" not in new, old.get("errors") or new.get("errors")
    assert (old["data"]["rollup"]["method"], old["data"]["rollup"]["knownAt"]) == (
        "AREA_MEMBERSHIP",
        loaded,
    )
    assert lrf_totals(old) == {DORSET: 16}
    assert lrf_totals(new) == {DORSET: 5, OTHER_LRF: 11}
    assert lrf_totals(graphql(server, CASES, k=loaded)) == {DORSET: 16}  # built once, kept
    history["numbers"].con.execute("CHECKPOINT")  # a copy: this process holds the file open
    copy = tmp_path / "numbers.duckdb"
    shutil.copy(history["numbers_path"], copy)
    ask = ["--numbers", str(copy), "rollup", "LabConfirmedCases", "--by", "LRF", "--date", ON]

    def totals(*extra: str) -> dict[str, float]:
        done = nhskg(history["store"].path, *ask, "--json", *extra)
        assert done.returncode == 0, done.stderr
        return {r["area"]: r["value"] for r in json.loads(done.stdout)["rows"]}

    assert totals("--as-known-at", loaded) == {DORSET: 16}
    assert totals() == {DORSET: 5, OTHER_LRF: 11}


GEOGRAPHY = """query($k: Date) {
    lrf: geography(code: "E48000010", asKnownAt: $k) { knownAt
        children(asOf: "2020-04-06", type: "LAD") { area { code knownAt } } }
    bcp: geography(code: "E06000058", asKnownAt: $k) {
        parents(asOf: "2020-04-06") { area { code types parents(asOf: "2020-04-06") {
            area { code } } } } }
    lrfs: geographies(type: "LRF", asOf: "2020-04-06", asKnownAt: $k) { code knownAt } }"""


def lrfs_of(body: dict[str, Any]) -> set[str]:
    links = body["data"]["bcp"]["parents"]
    return {link["area"]["code"] for link in links if "LRF" in link["area"]["types"]}


def test_geographies_as_known_before_and_after_the_correction(
    history: dict[str, Any], server: str
) -> None:
    """An area's members and parents as known at a date, through every level a query follows
    (a parent's parents are read from the same reference), and which areas a type lists."""
    loaded, changed = history["loaded"].isoformat(), history["changed"].isoformat()
    old, new, now = (graphql(server, GEOGRAPHY, k=k) for k in (loaded, changed, None))
    assert "errors" not in old and "errors" not in new, old.get("errors") or new.get("errors")
    children = {k: {c["area"]["code"] for c in b["data"]["lrf"]["children"]} for k, b in
                (("old", old), ("new", new), ("now", now))}  # fmt: skip
    assert BCP not in children["old"] and BCP in children["new"] and BCP in children["now"]
    assert children["new"] == children["now"] and children["old"] < children["new"]
    assert lrfs_of(old) == {DORSET} and lrfs_of(new) == lrfs_of(now) == {OTHER_LRF}
    assert old["data"]["lrf"]["knownAt"] == loaded and now["data"]["lrf"]["knownAt"] is None
    assert {c["area"]["knownAt"] for c in old["data"]["lrf"]["children"]} == {loaded}
    assert {a["knownAt"] for a in old["data"]["lrfs"]} == {loaded}
    assert {a["code"] for a in old["data"]["lrfs"]} == {a["code"] for a in now["data"]["lrfs"]}
    early = (history["loaded"] - timedelta(days=1)).isoformat()
    errors = graphql(server, GEOGRAPHY, k=early)["errors"]
    assert "nothing had been loaded by " + early in errors[0]["message"]


def test_graphql_refuses_a_date_before_any_load_or_not_a_date(
    history: dict[str, Any], server: str
) -> None:
    early = (history["loaded"] - timedelta(days=1)).isoformat()
    for query in (LOOKUP, ORGANISATION):
        errors = graphql(server, query, k=early)["errors"]
        assert "nothing had been loaded by " + early in errors[0]["message"]
    # A roll-up's asKnownAt is a release date (values as published then): before the first load
    # it places them by the reference as first loaded, the oldest the store holds.
    first = graphql(server, ROLLUP, k=history["loaded"].isoformat())
    assert lrf_totals(graphql(server, ROLLUP, k=early)) == lrf_totals(first)
    malformed = graphql(server, LOOKUP, k="2026-02-30")["errors"]
    assert "cannot represent a Date" in malformed[0]["message"]
    assert "2026-02-30" in malformed[0]["message"]


def test_rest_lookup_as_known_at(history: dict[str, Any], server: str) -> None:
    url = f"{server}/lookup/RD3/LRF"
    params = {"asOf": ON, "method": "HEADQUARTERS"}
    headers = bearer("analyst", ["national"])

    def get(**extra: str) -> httpx.Response:
        return httpx.get(url, params={**params, **extra}, headers=headers, timeout=120)

    loaded, changed = history["loaded"].isoformat(), history["changed"].isoformat()
    before, after = get(asKnownAt=loaded).json(), get(asKnownAt=changed).json()
    assert ([a["code"] for a in before["areas"]], before["known_at"]) == ([DORSET], loaded)
    assert ([a["code"] for a in after["areas"]], after["known_at"]) == ([OTHER_LRF], changed)
    assert get().json()["known_at"] is None
    early = get(asKnownAt=(history["loaded"] - timedelta(days=1)).isoformat())
    assert early.status_code == 422 and early.json()["detail"]["status"] == "before_first_load"
    malformed = get(asKnownAt="last week")
    assert malformed.status_code == 422
    assert "asKnownAt 'last week' is not a date" in malformed.json()["detail"]["message"]
    unsigned = httpx.get(url, params={**params, "asKnownAt": loaded}, timeout=60)
    assert unsigned.status_code == 401


def test_bulk_lookup_as_known_at(history: dict[str, Any], server: str) -> None:
    """POST /lookup/bulk answers each code as GET /lookup does, as known at the day asked (JSON
    field or query parameter; CSV too), and refuses what GET refuses."""
    headers = bearer("analyst", ["national"])
    loaded, changed = history["loaded"].isoformat(), history["changed"].isoformat()
    body = {"codes": ["RD3", "RD9"], "geographyType": "LRF", "asOf": ON, "method": "HEADQUARTERS"}

    def bulk(**extra: Any) -> httpx.Response:
        return httpx.post(
            f"{server}/lookup/bulk", json={**body, **extra}, headers=headers, timeout=120
        )

    for known, lrf in ((loaded, DORSET), (changed, OTHER_LRF)):
        answers = bulk(asKnownAt=known).json()["answers"]
        single = httpx.get(
            f"{server}/lookup/RD3/LRF",
            params={"asOf": ON, "method": "HEADQUARTERS", "asKnownAt": known},
            headers=headers,
            timeout=120,
        ).json()
        assert answers[0] == single and [a["code"] for a in single["areas"]] == [lrf]
        assert (answers[1]["status"], answers[1]["known_at"]) == ("unknown_code", known)
    assert bulk().json()["answers"][0]["known_at"] is None
    as_csv = httpx.post(
        f"{server}/lookup/bulk",
        params={"geographyType": "LRF", "asOf": ON, "method": "HEADQUARTERS", "asKnownAt": loaded},
        content="code\r\nRD3\r\n",
        headers={**headers, "Content-Type": "text/csv"},
        timeout=120,
    )
    row = next(csv.DictReader(io.StringIO(as_csv.text)))
    assert (row["known_at"], row["primary_area_code"]) == (loaded, DORSET)
    early = bulk(asKnownAt=(history["loaded"] - timedelta(days=1)).isoformat())
    assert early.status_code == 422 and early.json()["detail"]["status"] == "before_first_load"
    for bad in ("last week", 20200401):
        refused = bulk(asKnownAt=bad)
        assert refused.status_code == 422, refused.text
        assert "asKnownAt" in refused.json()["detail"]["message"]
    assert bulk(asOf=20200401).status_code == 422  # not a server error
    assert bulk(geographyType=["LRF"]).status_code == 422


def test_cli_lookup_as_known_at(history: dict[str, Any]) -> None:
    path = history["store"].path
    ask = ["lookup", "RD3", "LRF", "--date", ON, "--method", "HEADQUARTERS"]
    loaded, changed = history["loaded"].isoformat(), history["changed"].isoformat()
    before = nhskg(path, *ask, "--as-known-at", loaded)
    assert before.returncode == 0, before.stderr
    assert f"as known at {loaded}" in before.stdout and DORSET in before.stdout
    assert OTHER_LRF not in before.stdout
    after = nhskg(path, *ask, "--as-known-at", changed, "--json")
    assert after.returncode == 0, after.stderr
    assert f'"known_at": "{changed}"' in after.stdout and OTHER_LRF in after.stdout
    early = (history["loaded"] - timedelta(days=1)).isoformat()
    refused = nhskg(path, *ask, "--as-known-at", early)
    assert refused.returncode == 1 and f"nothing had been loaded by {early}" in refused.stderr
    malformed = nhskg(path, *ask, "--as-known-at", "2026-13-01")
    assert malformed.returncode == 2 and "is not a date" in malformed.stderr
    assert "Traceback" not in refused.stderr + malformed.stderr


def test_cli_rollup_as_known_at(history: dict[str, Any], tmp_path: Path) -> None:
    history["numbers"].con.execute("CHECKPOINT")  # a copy: this process holds the file open
    copy = tmp_path / "numbers.duckdb"
    shutil.copy(history["numbers_path"], copy)
    ask = ["--numbers", str(copy), "rollup", "BedsOccupiedCovid", "--by", "LRF", "--date", ON]
    ask += ["--method", "HEADQUARTERS", "--json"]

    def totals(*extra: str) -> dict[str, float]:
        done = nhskg(history["store"].path, *ask, *extra)
        assert done.returncode == 0, done.stderr
        return {r["area"]: r["value"] for r in json.loads(done.stdout)["rows"]}

    before, after = totals("--as-known-at", history["loaded"].isoformat()), totals()
    assert OTHER_LRF not in before and after[OTHER_LRF] > 0
    assert after[OTHER_LRF] + after[DORSET] == pytest.approx(before[DORSET])
    early = (history["loaded"] - timedelta(days=1)).isoformat()
    assert totals("--as-known-at", early) == before  # the reference as first loaded


def test_the_access_policy_applies_as_known_at_too(history: dict[str, Any], server: str) -> None:
    loaded = history["loaded"].isoformat()
    body = {"query": LOOKUP, "variables": {"k": loaded}}
    public = httpx.post(f"{server}/graphql", json=body, timeout=60).json()
    assert public["data"] is None
    assert public["errors"][0]["message"].startswith(("not signed in", "forbidden"))
    elsewhere = httpx.post(
        f"{server}/graphql", json=body, headers=bearer("analyst", ["region:Y62"]), timeout=60
    ).json()  # North West: RD3 (South West) is outside the scope
    assert "RD3 is outside your scope" in elsewhere["errors"][0]["message"]
