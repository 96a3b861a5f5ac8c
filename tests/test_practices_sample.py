"""GP practices from ODS epraccur (issue 16), on the embedded sample plus real slices
(tests/fixtures/practices/README.md): the mapping's triples and its refusals, placement through
the commissioner (up through memberships; LRF through the commissioner's districts only where
they all lie in one LRF), the reasons when a practice is not placed, and one practice looked up
by the CLI, the REST route over a real HTTP server and GraphQL, with the access policy."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from typer.testing import CliRunner

from service.api.app import create_app
from service.cli import app as cli
from service.config import Settings
from service.geography.lookup import Lookup, LookupFailure
from service.loader import load_file, map_file
from service.manifest import load_all
from service.mapping.engine import MappedBatch
from service.mapping.spec import load_mapping
from service.rdf.store import GraphStore
from service.rdf.terms import ID
from service.rdf.vocab import NHSKG
from tests.http_server import serve
from tests.support.auth import bearer

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests/fixtures/practices"
EPRACCUR = FIXTURES / "ods/epraccur-2025-04.csv"
DAY = date(2025, 4, 1)
DORSET_PRACTICE = (
    "J81009"  # commissioned by 11J (NHS Dorset), whose districts are all in Dorset LRF
)
MORECAMBE_PRACTICE = "A82003"  # 01K (Morecambe Bay): districts in three LRFs


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("practices-store")
    store = GraphStore(path)
    assert all(r.ok for r in load_all(store, ROOT / "data/sample"))
    lsoa = FIXTURES / "ons/lookup_lsoa11_sicbl22_icb22_ltla22.csv"
    for file, mapping in [(lsoa, "ons-lad-subicb-2021"), (EPRACCUR, "ods-epraccur")]:
        result = load_file(store, file, mapping)
        assert result.status == "loaded", result.report.text()
    store.close()
    return path


@pytest.fixture(scope="module")
def store(store_dir: Path) -> Iterator[GraphStore]:
    opened = GraphStore(store_dir, read_only=True)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def lookup(store: GraphStore) -> Lookup:
    return Lookup.from_store(store)


def _rows(code: str) -> list[list[str]]:
    with EPRACCUR.open(encoding="utf-8") as f:
        return [r for r in csv.reader(f) if r[0] == code]


def test_the_mapping_states_dates_status_setting_record_and_commissioning() -> None:
    mapping = load_mapping("ods-epraccur")
    batch = map_file(EPRACCUR, mapping, "2025-04-01")
    assert isinstance(batch, MappedBatch)
    triples = set(batch.triples)
    practice = URIRef(ID["org/" + DORSET_PRACTICE])
    [row] = _rows(DORSET_PRACTICE)
    assert (practice, NHSKG.practiceStatusCode, Literal(row[12])) in triples
    setting = Literal(row[25], datatype=XSD.integer)
    assert (practice, NHSKG.prescribingSettingCode, setting) in triples
    commissioning = URIRef(ID[f"practice-commissioning/epraccur/2025-04-01/{DORSET_PRACTICE}"])
    assert (commissioning, NHSKG.commissionerCode, Literal("11J")) in triples
    record = URIRef(ID[f"ods-record/2025-04-01/{DORSET_PRACTICE}"])
    assert (record, NHSKG.statedRegionCode, Literal(row[2])) in triples
    # A row with no commissioner (sub-type Z) has no commissioning at all, not an empty one.
    with EPRACCUR.open(encoding="utf-8") as f:
        [unallocated] = [r[0] for r in csv.reader(f) if r[14] == ""]
    none = URIRef(ID[f"practice-commissioning/epraccur/2025-04-01/{unallocated}"])
    assert not any(s == none for s, _, _ in triples)


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        (12, "X", "ODS status is one letter"),
        (16, "20000101", "cannot end before it starts"),
        (14, "TOOLONGCODE", "names one commissioner by its ODS code"),
        (25, "four", "prescribing setting"),
    ],
)
def test_a_broken_row_is_refused_with_the_rule(
    store_dir: Path, tmp_path: Path, column: int, value: str, rule: str
) -> None:
    [row] = _rows(DORSET_PRACTICE)
    row[column] = value
    bad = tmp_path / "epraccur-2025-05.csv"
    bad.write_text(",".join(f'"{v}"' for v in row) + "\n", encoding="utf-8")
    copy = tmp_path / "store"
    shutil.copytree(store_dir, copy)
    result = load_file(GraphStore(copy), bad, "ods-epraccur", dry_run=True)
    assert result.status == "rejected"
    assert rule in result.report.text(), result.report.text()


def test_a_practice_is_placed_through_its_commissioner(lookup: Lookup) -> None:
    placer = lookup.practices
    want = {
        "SUB_ICB": "E38000045",  # NHS Dorset ICB - 11J
        "ICB": "E54000041",
        "NHS_REGION": "E40000006",  # South West
        "LRF": "E48000009",  # Dorset, through its districts (Dorset, BCP)
    }
    for area_type, area in want.items():
        placed = placer.areas(DORSET_PRACTICE, area_type, DAY)
        assert placed.shares == {area: 1.0}, (area_type, placed.reason)
        assert placed.commissioner == "11J" and placed.source == "ods-epraccur"
    lrf = placer.areas(DORSET_PRACTICE, "LRF", DAY)
    assert lrf.basis == "commissioner's districts"
    assert set(lrf.districts) == {"E06000058", "E06000059"}
    assert placer.areas(DORSET_PRACTICE, "ICB", DAY).basis == "commissioner"


def test_a_practice_whose_commissioner_spans_lrfs_is_not_placed_and_says_so(
    lookup: Lookup,
) -> None:
    placed = lookup.practices.areas(MORECAMBE_PRACTICE, "LRF", DAY)
    assert placed.shares == {}
    assert "spans more than one LRF" in str(placed.reason)
    assert "E48000018" in str(placed.reason)  # Lancashire, with Lancaster
    assert lookup.practices.areas(MORECAMBE_PRACTICE, "ICB", DAY).shares == {"E54000048": 1.0}


def test_practices_in_no_english_area_and_days_not_held_say_why(lookup: Lookup) -> None:
    with EPRACCUR.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    welsh = next(r[0] for r in rows if r[14] == "7A1")
    hub = next(r[0] for r in rows if r[14] == "13Q")
    unallocated = next(r[0] for r in rows if r[14] == "")
    closed = next(r for r in rows if r[12] == "C" and r[14] == "11J")
    placer = lookup.practices
    assert "7A1" in str(placer.areas(welsh, "NHS_REGION", DAY).reason)
    assert "is no CCG or sub-ICB location" in str(placer.areas(hub, "ICB", DAY).reason)
    assert "no commissioning" in str(placer.areas(unallocated, "ICB", DAY).reason)
    after = placer.areas(closed[0], "ICB", DAY)
    assert after.shares == {} and f"closed on {date.fromisoformat(_iso(closed[11]))}" in str(
        after.reason
    )
    assert placer.areas("Z99999", "ICB", DAY).reason == "unknown GP practice 'Z99999'"
    # Before the day the practice joined 11J no commissioner is held: nothing is extended back.
    [row] = _rows(DORSET_PRACTICE)
    before = date.fromisoformat(_iso(row[15])).replace(day=1)
    earlier = placer.areas(DORSET_PRACTICE, "ICB", before.replace(year=before.year - 1))
    assert earlier.shares == {} and "no commissioning" in str(earlier.reason)


def _iso(yyyymmdd: str) -> str:
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}"


def test_practice_counts_equal_the_practices_listed_in_each_area(lookup: Lookup) -> None:
    placer = lookup.practices
    counts = placer.counts("LRF", DAY)
    assert counts == {"E48000009": float(len(placer.in_area("E48000009", "LRF", DAY)))}
    by_icb = placer.counts("ICB", DAY)
    open_11j = [p for p in placer.practices.by_code.values() if p.open_on(DAY) and p.commissionings]
    assert sum(by_icb.values()) == sum(
        1 for p in open_11j if p.commissionings[-1].commissioner in ("11J", "01K")
    )


def test_lookup_before_a_practice_opened_is_refused(lookup: Lookup) -> None:
    [row] = _rows(DORSET_PRACTICE)
    with pytest.raises(LookupFailure) as caught:
        lookup.lookup(DORSET_PRACTICE, "LRF", date(1900, 1, 1), "HEADQUARTERS")
    assert caught.value.status == "not_yet_open"
    assert caught.value.details["opened"] == _iso(row[10])


@pytest.fixture(scope="module")
def url(store: GraphStore) -> Iterator[str]:
    app = create_app(Settings(store_path=None, numbers_path=None), store=store)
    with serve(app) as base:
        yield base


def test_cli_rest_and_graphql_agree_on_a_practice(store_dir: Path, url: str) -> None:
    cli_run = CliRunner().invoke(
        cli,
        [
            "--store",
            str(store_dir),
            "lookup",
            DORSET_PRACTICE,
            "LRF",
            "--date",
            "2025-04-01",
            "--json",
        ],
    )
    assert cli_run.exit_code == 0, cli_run.output
    by_cli = json.loads(cli_run.stdout)
    rest = httpx.get(
        f"{url}/lookup/{DORSET_PRACTICE}/LRF",
        params={"asOf": "2025-04-01"},
        headers=bearer(),
        timeout=60,
    )
    assert rest.status_code == 200, rest.text
    by_rest = rest.json()
    query = """query($code: String!) {
      organisation(code: $code, asOf: "2025-04-01") { code name
        ... on GPPractice { status statusLabel prescribingSetting prescribingSettingLabel
          commissioner { commissioner validFrom source }
          geographies(types: ["LRF", "NHS_REGION"]) { type basis areas { code share } } } }
      lookup(code: $code, geographyType: "LRF", asOf: "2025-04-01") {
        status method areas { code share } } }"""
    body = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": {"code": DORSET_PRACTICE}},
        headers=bearer(),
        timeout=60,
    ).json()
    assert "errors" not in body, body
    practice = body["data"]["organisation"]
    assert (
        by_cli["areas"]
        == by_rest["areas"]
        == [{"code": "E48000009", "name": by_rest["areas"][0]["name"], "share": 1.0}]
    )
    assert by_cli["status"] == by_rest["status"] == body["data"]["lookup"]["status"] == "practice"
    assert body["data"]["lookup"]["method"] == by_rest["method"] == "COMMISSIONER"
    lrf, region = practice["geographies"]
    assert [a["code"] for a in lrf["areas"]] == ["E48000009"]
    assert lrf["basis"] == "commissioner's districts"
    assert region["areas"] == [{"code": "E40000006", "share": 1.0}]
    assert practice["commissioner"]["commissioner"] == "11J"
    assert practice["statusLabel"] == "active" and practice["prescribingSettingLabel"]
    text = CliRunner().invoke(
        cli, ["--store", str(store_dir), "lookup", DORSET_PRACTICE, "LRF", "--date", "2025-04-01"]
    )
    assert "E48000009" in text.stdout and "commissioner's districts" in text.stdout


def test_cli_lookup_bad_input(store_dir: Path) -> None:
    base = ["--store", str(store_dir), "lookup"]
    bad_date = CliRunner().invoke(cli, [*base, DORSET_PRACTICE, "LRF", "--date", "2025-13-01"])
    assert bad_date.exit_code == 2
    unknown = CliRunner().invoke(cli, [*base, "J8100", "LRF", "--date", "2025-04-01"])
    assert unknown.exit_code == 1 and "unknown_code" in unknown.output
    bad_type = CliRunner().invoke(cli, [*base, DORSET_PRACTICE, "LRFX", "--date", "2025-04-01"])
    assert bad_type.exit_code == 2 and "unknown geography type" in bad_type.output


def test_practices_in_an_area_and_the_access_policy(url: str, lookup: Lookup) -> None:
    query = """{ practices(in: "E48000009", asOf: "2025-04-01") {
        share practice { code ... on GPPractice { status } } } }"""
    national = httpx.post(
        f"{url}/graphql", json={"query": query}, headers=bearer(), timeout=60
    ).json()
    assert "errors" not in national, national
    codes = [p["practice"]["code"] for p in national["data"]["practices"]]
    want = [p.code for p, _ in lookup.practices.in_area("E48000009", "LRF", DAY)]
    assert codes == want and DORSET_PRACTICE in codes and len(codes) > 50
    # Scoped to the North West (Y62): Dorset's practices (ODS states Y58) are out of scope.
    north_west = bearer("analyst", ["region:Y62"])
    scoped = httpx.post(f"{url}/graphql", json={"query": query}, headers=north_west, timeout=60)
    assert scoped.json()["data"]["practices"] == []
    refused = httpx.get(
        f"{url}/lookup/{DORSET_PRACTICE}/LRF",
        params={"asOf": "2025-04-01"},
        headers=north_west,
        timeout=60,
    )
    assert refused.status_code == 403
    assert httpx.get(f"{url}/lookup/{DORSET_PRACTICE}/LRF", timeout=60).status_code in (401, 403)
    public = httpx.post(f"{url}/graphql", json={"query": query}, timeout=60).json()
    assert public["data"] is None or public["data"].get("practices") is None
    assert "errors" in public
    bad = httpx.post(
        f"{url}/graphql",
        json={"query": '{ practices(in: "E99999999", asOf: "2025-04-01") { share } }'},
        headers=bearer(),
        timeout=60,
    ).json()
    assert "unknown area code" in bad["errors"][0]["message"]
