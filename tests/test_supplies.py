"""Supply Chain 360 on the embedded sample (its real week of the COVID return, South West and North
West trusts): the SYNTHETIC stock-and-flow return generated for those trusts, loaded through its
declarative mapping, rolled up by LRF and NHS region through GraphQL as a signed-in analyst.

Days of stock by LRF equal a plain pandas computation over the generated file (sum of stock over
sum of daily use, over the trusts placed in the LRF that reported both); the generator is
deterministic with a seed and uses the real mechanical-ventilation beds as ventilator demand;
a return with a negative stock or an unknown code is rejected whole, with the finding, and
changes neither store; supplies are closed to the public role and labelled synthetic."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from service.access.policy import Access, AccessDenied
from service.access.principal import PUBLIC
from service.api.graphql.context import Context
from service.api.graphql.schema import schema
from service.geography.assign import Placer
from service.manifest import load_returns_all, materialise_for_returns
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.rdf.vocab import NHSKG
from service.reference import ReferenceData
from service.reference.reporters import reference_organisations, reference_sites
from service.reference.unregistered import steward_queue
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.rollup.engine import rollup
from service.rollup.model import Method
from service.supplies.by_trust import stock_by_trust
from service.supplies.generate import SYNTHETIC, generate, read_demand
from service.supplies.split import hospital_split
from tests.returns_support import snapshot
from tests.support.auth import access
from tests.support.sites import real_ods_dir, sample_with_sites
from tests.support.stores import backup_store

NAME = "supplies-synthetic-stock-and-flow-2020-04-12.csv"


@pytest.fixture(scope="module")
def env(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("supplies")
    backup_store(sample_store, folder / "store")
    store = GraphStore(folder / "store")
    numbers = NumbersStore(folder / "numbers.duckdb")
    assert all(r.ok for r in load_returns_all(store, numbers, SAMPLE_DATA_DIR))
    known = set(reference_organisations(store))
    generated = folder / "generated" / NAME
    generated.parent.mkdir()
    rows = generate(numbers, generated, 7, known)
    assert rows > 0
    result = load_return_file(store, numbers, generated)
    assert result.status == "loaded", result.report.text()
    numbers.close()
    materialise_for_returns(store, folder / "numbers.duckdb")
    return {
        "folder": folder,
        "store": store,
        "numbers": NumbersStore(folder / "numbers.duckdb"),
        "file": generated,
        "known": known,
        "reference": ReferenceData.build(store),
    }


def run(env: dict[str, Any], query: str, role: str = "analyst") -> tuple[Any, list[str]]:
    """As a signed-in `role`; "public": with no token (the public role has none)."""
    who = (
        Access(PUBLIC)
        if role == "public"
        else access(role, ("national",), env["reference"], env["numbers"])
    )
    context = Context(reference=env["reference"], access=who, numbers=env["numbers"])
    result = asyncio.run(schema.execute(query, context_value=context))
    return result.data, [e.message for e in result.errors or []]


# The placements the sample materialises: catchment shares by LRF (fractions), ODS regions.
METHODS = {"LRF": "CATCHMENT", "NHS_REGION": "ODS_STATED"}


def placements(numbers: NumbersStore, area_type: str, day: str) -> pd.DataFrame:
    return numbers.con.execute(
        "SELECT org_code, area_code, share FROM org_area WHERE method = ? "
        "AND area_type = ? AND (valid_from IS NULL OR valid_from <= CAST(? AS DATE)) "
        "AND (valid_to IS NULL OR CAST(? AS DATE) <= valid_to)",
        [METHODS[area_type], area_type, day, day],
    ).df()


def pandas_days_of_stock(file: Path, places: pd.DataFrame, item: str, day: str) -> pd.Series:
    """Plain pandas: per area, sum of stock held over sum of the day's use, over the trusts
    placed there that reported both."""
    frame = pd.read_csv(file)
    frame = frame[frame["date"] == day]
    wide = frame.pivot_table(index="org_code", columns="series", values="value", aggfunc="sum")
    both = wide[[f"{item} held", f"{item} used"]].dropna().reset_index()
    placed = both.merge(places, on="org_code")
    placed["held"] = placed[f"{item} held"] * placed["share"]
    placed["used"] = placed[f"{item} used"] * placed["share"]
    sums = placed.groupby("area_code")[["held", "used"]].sum()
    sums = sums[sums["used"] > 0]
    return (sums["held"] / sums["used"]).sort_index()


QUERY = """{ rollup(metric: "%s", by: "%s", date: "%s", method: %s) {
    kind synthetic syntheticNotice
    metric { key numerator denominator openToPublic strainThreshold { value direction } }
    rows { area { code } value numerator denominator onePart coverage { reported expected }
           strain { flagged thresholdValue direction reason } } } }"""


@pytest.mark.parametrize(
    ("metric", "item"),
    [
        ("FFP3RespiratorsDaysOfStock", "FFP3 respirators"),
        ("GlovesDaysOfStock", "gloves"),
        ("MedicalOxygenDaysOfStock", "medical oxygen"),
    ],
)
@pytest.mark.parametrize("area_type", ["LRF", "NHS_REGION"])
def test_days_of_stock_by_area_equal_a_plain_pandas_computation(
    env: dict[str, Any], metric: str, item: str, area_type: str
) -> None:
    day = "2020-04-09"
    data, errors = run(env, QUERY % (metric, area_type, day, METHODS[area_type]))
    assert not errors, errors
    answer = data["rollup"]
    got = pd.Series({r["area"]["code"]: r["value"] for r in answer["rows"]}).sort_index()
    expected = pandas_days_of_stock(
        env["file"], placements(env["numbers"], area_type, day), item, day
    )
    assert len(expected) >= 2
    pd.testing.assert_series_equal(got, expected, check_names=False, rtol=1e-12)
    assert answer["kind"] == "Ratio"
    assert answer["metric"]["numerator"] == metric.replace("DaysOfStock", "Held")
    assert answer["metric"]["denominator"] == metric.replace("DaysOfStock", "Used")
    for row in answer["rows"]:
        assert row["value"] == pytest.approx(row["numerator"] / row["denominator"])
        threshold = answer["metric"]["strainThreshold"]
        assert threshold["direction"] == "StrainBelow"
        assert row["strain"]["flagged"] == (row["value"] < threshold["value"])
        assert row["coverage"]["reported"] <= row["coverage"]["expected"]


def test_days_of_stock_is_not_a_mean_of_the_trusts_days(env: dict[str, Any]) -> None:
    """The ratio of the sums differs from the mean of each trust's own days of stock wherever a
    region has trusts of different sizes: the answer is the former."""
    day = "2020-04-09"
    data, _ = run(env, QUERY % ("FFP3RespiratorsDaysOfStock", "NHS_REGION", day, "ODS_STATED"))
    frame = pd.read_csv(env["file"])
    frame = frame[frame["date"] == day].pivot_table(
        index="org_code", columns="series", values="value"
    )
    own = (frame["FFP3 respirators held"] / frame["FFP3 respirators used"]).rename("own")
    places = placements(env["numbers"], "NHS_REGION", day).set_index("org_code")
    means = places.join(own, how="inner").groupby("area_code")["own"].mean()
    differs = [
        r for r in data["rollup"]["rows"] if abs(r["value"] - means[r["area"]["code"]]) > 1e-6
    ]
    assert len(differs) == len(data["rollup"]["rows"]) >= 2


def test_supplies_answers_are_labelled_synthetic(env: dict[str, Any]) -> None:
    data, errors = run(
        env, QUERY % ("VentilatorUtilisation", "NHS_REGION", "2020-04-09", "ODS_STATED")
    )
    assert not errors, errors
    assert data["rollup"]["synthetic"] is True
    assert "SYNTHETIC" in data["rollup"]["syntheticNotice"]
    assert NAME in data["rollup"]["syntheticNotice"]
    # A real metric's answer carries no notice.
    real = QUERY % ("BedsOccupiedCovid", "NHS_REGION", "2020-04-09", "ODS_STATED")
    data, errors = run(env, real.replace("metric { key numerator", "metric { key"))
    assert not errors, errors
    assert data["rollup"]["synthetic"] is False and data["rollup"]["syntheticNotice"] is None
    batches = (
        env["numbers"]
        .con.execute("SELECT dataset, file FROM batch WHERE mapping = 'supplies-stock-and-flow'")
        .fetchall()
    )
    assert batches == [("supply-chain-360-synthetic", NAME)]
    with env["file"].open() as handle:
        assert {row["data_status"] for row in csv.DictReader(handle)} == {SYNTHETIC}


def test_supplies_are_not_open_to_the_public(env: dict[str, Any]) -> None:
    data, errors = run(
        env, QUERY % ("FFP3RespiratorsDaysOfStock", "LRF", "2020-04-09", "CATCHMENT"), "public"
    )
    assert data is None or data.get("rollup") is None
    assert errors and "token" in errors[0]
    # A real aggregate stays open to the public role.
    data, errors = run(
        env,
        '{ rollup(metric: "BedsOccupiedCovid", by: "NHS_REGION", date: "2020-04-09", '
        "method: ODS_STATED) { rows { value } } }",
        "public",
    )
    assert not errors and data["rollup"]["rows"]
    # The policy itself, for any other read path.
    with pytest.raises(AccessDenied):
        Access(PUBLIC).require_metric("GownsHeld", open_to_public=False)
    access("analyst").require_metric("GownsHeld", open_to_public=False)


def test_ventilators_in_use_are_the_real_mechanical_ventilation_beds(env: dict[str, Any]) -> None:
    numbers = env["numbers"]
    real = dict(
        numbers.con.execute(
            "SELECT org_code || ' ' || CAST(period_start AS VARCHAR), value FROM reported_value "
            "WHERE metric = ?",
            [str(NHSKG.MechanicalVentilationBedsOccupied)],
        ).fetchall()
    )
    used = dict(
        numbers.con.execute(
            "SELECT org_code || ' ' || CAST(period_start AS VARCHAR), value FROM reported_value "
            "WHERE metric = ?",
            [str(NHSKG.VentilatorsInUse)],
        ).fetchall()
    )
    common = set(real) & set(used)
    assert len(common) >= 0.9 * len(used) > 0
    assert all(used[k] == real[k] for k in common)


def test_the_generator_is_deterministic_with_a_seed(env: dict[str, Any], tmp_path: Path) -> None:
    def digest(seed: int, name: str) -> str:
        path = tmp_path / name
        generate(env["numbers"], path, seed, env["known"])
        return hashlib.sha256(path.read_bytes()).hexdigest()

    assert digest(7, "a.csv") == digest(7, "b.csv")
    assert digest(7, "a.csv") == hashlib.sha256(env["file"].read_bytes()).hexdigest()
    assert digest(8, "c.csv") != digest(7, "a.csv")


def _broken(env: dict[str, Any], tmp_path: Path, edit: Any) -> Path:
    rows = list(csv.reader(env["file"].open()))
    rows = edit(rows)
    path = tmp_path / NAME.replace("2020-04-12", "2020-04-13")
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


def test_a_negative_stock_rejects_the_whole_return(env: dict[str, Any], tmp_path: Path) -> None:
    def negative(rows: list[list[str]]) -> list[list[str]]:
        i = next(i for i, r in enumerate(rows) if r[3] == "gowns held")
        rows[i][4] = "-40"
        return rows

    path = _broken(env, tmp_path, negative)
    before = snapshot(env["store"], env["numbers"])
    result = load_return_file(env["store"], env["numbers"], path)
    assert result.status == "rejected"
    assert any(
        "cannot be negative" in f.rule and f.value == "-40" for f in result.report.findings
    ), result.report.text()
    assert snapshot(env["store"], env["numbers"]) == before


def test_an_unknown_site_rejects_the_whole_return_and_queues_nothing(
    env: dict[str, Any], tmp_path: Path
) -> None:
    def unknown(rows: list[list[str]]) -> list[list[str]]:
        first = rows[1][0]
        return [[("RZZ99" if r[0] == first else r[0]), *r[1:]] for r in rows]

    path = _broken(env, tmp_path, unknown)
    before = snapshot(env["store"], env["numbers"])
    queued = steward_queue(env["store"])
    result = load_return_file(env["store"], env["numbers"], path)
    assert result.status == "rejected"
    unknown_findings = [f for f in result.report.findings if "RZZ99" in f.rule]
    assert len(unknown_findings) == 1, result.report.text()
    assert "accepts known codes only" in unknown_findings[0].rule
    assert unknown_findings[0].row == 2
    assert snapshot(env["store"], env["numbers"]) == before
    assert steward_queue(env["store"]) == queued


def test_a_ratio_metric_cannot_be_mapped(tmp_path: Path) -> None:
    from service.mapping.spec import MappingError
    from service.returns.spec import metric_term

    with pytest.raises(MappingError, match="ratio metric"):
        metric_term("FFP3RespiratorsDaysOfStock", loadable=True)
    assert metric_term("FFP3RespiratorsDaysOfStock") == NHSKG.FFP3RespiratorsDaysOfStock


def test_the_data_api_labels_supplies_synthetic_and_refuses_the_public(
    env: dict[str, Any],
) -> None:
    from service.api.app import create_app
    from service.config import Settings
    from tests.http_server import serve
    from tests.support.auth import bearer

    app = create_app(
        Settings(store_path=None, numbers_path=None), store=env["store"], numbers=env["numbers"]
    )
    query = "areaType=NHS_REGION&metric=GownsDaysOfStock&date=2020-04-09&method=ODS_STATED"
    with serve(app) as base:
        answer = httpx.get(f"{base}/api/v1/data?{query}&format=json", headers=bearer("analyst"))
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-NHSKG-Synthetic"] == "true"
        body = answer.json()
        assert "SYNTHETIC" in json.dumps(body)
        as_csv = httpx.get(f"{base}/api/v1/data?{query}&format=csv", headers=bearer("analyst"))
        assert "SYNTHETIC_GownsDaysOfStock" in as_csv.headers["Content-Disposition"]
        assert httpx.get(f"{base}/api/v1/data?{query}&format=json").status_code == 401
        real = "areaType=NHS_REGION&metric=BedsOccupiedCovid&date=2020-04-09&method=ODS_STATED"
        plain = httpx.get(f"{base}/api/v1/data?{real}&format=json")
        assert plain.status_code == 200 and "X-NHSKG-Synthetic" not in plain.headers


def test_supply_stock_gives_every_item_by_area_with_strain_and_the_synthetic_notice(
    env: dict[str, Any],
) -> None:
    query = """{ supplyStock(by: "LRF", date: "2020-04-09", method: CATCHMENT) {
        metric { key denominator strainThreshold { value direction } } synthetic syntheticNotice
        rows { area { code } value strain { flagged } } } }"""
    data, errors = run(env, query)
    assert not errors, errors
    answers = {a["metric"]["key"]: a for a in data["supplyStock"]}
    assert set(answers) == {
        "VentilatorUtilisation",
        "MedicalOxygenDaysOfStock",
        "FFP3RespiratorsDaysOfStock",
        "SurgicalMasksDaysOfStock",
        "GownsDaysOfStock",
        "GlovesDaysOfStock",
    }
    for answer in answers.values():
        assert answer["synthetic"] and "SYNTHETIC" in answer["syntheticNotice"]
        assert answer["rows"]
    # The same figures as the rollup field for the same question.
    single, _ = run(env, QUERY % ("GlovesDaysOfStock", "LRF", "2020-04-09", "CATCHMENT"))
    assert [r["value"] for r in single["rollup"]["rows"]] == [
        r["value"] for r in answers["GlovesDaysOfStock"]["rows"]
    ]
    data, errors = run(env, query, "public")
    assert errors and "token" in errors[0]


# Per site: the sample with the real sites of its trusts (tests/support/sites.py), the return
# generated per hospital site and loaded; the per-trust return of the same seed beside it.
SITE_NAME = "supplies-synthetic-stock-and-flow-2020-04-12-per-site.csv"
TRUST_NAME = "supplies-synthetic-stock-and-flow-2020-04-12-per-trust.csv"
SITE_METHODS = {"SITES": "LRF", "HEADQUARTERS": "LRF", "CATCHMENT": "LRF", "ODS_STATED": "ICB"}


@pytest.fixture(scope="module")
def site_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("supplies-sites")
    store = sample_with_sites(real_ods_dir(), folder)
    numbers = NumbersStore(folder / "numbers.duckdb")
    assert all(r.ok for r in load_returns_all(store, numbers, SAMPLE_DATA_DIR))
    known = set(reference_organisations(store))
    placer = Placer.from_store(store)
    per_site, per_trust = folder / SITE_NAME, folder / TRUST_NAME
    sites = reference_sites(store)
    assert generate(numbers, per_site, 7, known, per_site_of=placer, sites=sites) > 0
    assert generate(numbers, per_trust, 7, known) > 0
    result = load_return_file(store, numbers, per_site)
    assert result.status == "loaded", result.report.text()
    numbers.close()
    materialise_for_returns(store, folder / "numbers.duckdb")
    days, demand = read_demand(NumbersStore(folder / "numbers.duckdb"), None, None)
    reporting = [d.code for d in demand if d.code in known]
    split = hospital_split(placer, reporting, days[0], days[-1], sites)
    return {
        "days": (days[0], days[-1]),
        "sites": sites,
        "store": store,
        "numbers": NumbersStore(folder / "numbers.duckdb"),
        "site_file": per_site,
        "trust_file": per_trust,
        "placer": placer,
        "split": split,
        "reference": ReferenceData.build(store),
    }


def site_placements(numbers: NumbersStore, method: str, area_type: str, day: str) -> pd.DataFrame:
    return numbers.con.execute(
        "SELECT org_code, area_code, share FROM org_area WHERE method = ? AND area_type = ? "
        "AND (valid_from IS NULL OR valid_from <= CAST(? AS DATE)) "
        "AND (valid_to IS NULL OR CAST(? AS DATE) <= valid_to)",
        [method, area_type, day, day],
    ).df()


def test_the_per_site_return_is_reported_by_real_hospital_sites(site_env: dict[str, Any]) -> None:
    frame = pd.read_csv(site_env["site_file"])
    reporters = set(frame["org_code"])
    sites = {s for held in site_env["split"].sites.values() for s in held}
    assert len(sites) >= 100 and sites <= reporters
    # Trusts without a hospital site keep their own rows; no split trust reports itself.
    assert not reporters & set(site_env["split"].sites)
    assert {"RD304", "RDZ20"} <= sites  # Poole Hospital, Royal Bournemouth Hospital
    assert set(frame["data_status"]) == {SYNTHETIC}
    loaded = (
        site_env["numbers"]
        .con.execute(
            "SELECT count(DISTINCT org_code) FROM reported_value WHERE metric = ?",
            [str(NHSKG.GownsHeld)],
        )
        .fetchone()
    )
    assert loaded is not None and loaded[0] == len(reporters)


def test_site_ventilators_in_use_add_up_to_the_trust_and_its_real_beds(
    site_env: dict[str, Any],
) -> None:
    """The split is exact for the demand: the sites' ventilators in use add up, day by day, to
    the per-trust return's (the trust's real mechanical-ventilation beds). Stock, deliveries and
    use of consumables are each site's own cycle and are not compared."""
    sites = pd.read_csv(site_env["site_file"])
    trusts = pd.read_csv(site_env["trust_file"])
    owner = {s: t for t, held in site_env["split"].sites.items() for s in held}
    in_use = sites[sites["series"] == "ventilators in use"].copy()
    in_use["trust"] = in_use["org_code"].map(lambda c: owner.get(c, c))
    summed = in_use.groupby(["trust", "date"])["value"].sum()
    expected = trusts[trusts["series"] == "ventilators in use"].set_index(["org_code", "date"])
    expected = expected["value"].rename_axis(["trust", "date"])
    pd.testing.assert_series_equal(summed.sort_index(), expected.sort_index(), check_names=False)
    # A split trust's ventilators held differ from its single-site figure (a fleet per site).
    assert len(owner) > 0


@pytest.mark.parametrize(("method", "area_type"), sorted(SITE_METHODS.items()))
@pytest.mark.parametrize(("metric", "item"), [("FFP3RespiratorsDaysOfStock", "FFP3 respirators")])
def test_site_days_of_stock_by_area_equal_a_plain_pandas_computation(
    site_env: dict[str, Any], metric: str, item: str, method: str, area_type: str
) -> None:
    day = "2020-04-09"
    result = rollup(
        site_env["numbers"], str(NHSKG[metric]), area_type, date.fromisoformat(day), Method(method)
    )
    got = pd.Series({r.area: r.value for r in result.rows}).sort_index()
    places = site_placements(site_env["numbers"], method, area_type, day)
    expected = pandas_days_of_stock(site_env["site_file"], places, item, day)
    assert len(expected) >= 2
    pd.testing.assert_series_equal(got, expected, check_names=False, rtol=1e-12)
    sites = {
        c.organisation for r in result.rows for c in r.contributors if len(c.organisation) == 5
    }
    assert len(sites) >= 100


@pytest.mark.parametrize("method", sorted(SITE_METHODS))
def test_areas_and_unmapped_add_up_to_the_sites_total(
    site_env: dict[str, Any], method: str
) -> None:
    day = date(2020, 4, 9)
    result = rollup(
        site_env["numbers"], str(NHSKG.GlovesHeld), SITE_METHODS[method], day, Method(method)
    )
    frame = pd.read_csv(site_env["site_file"])
    total = frame[(frame["date"] == day.isoformat()) & (frame["series"] == "gloves held")]
    placed = sum(r.value for r in result.rows)
    assert placed + result.unmapped_summary.total == pytest.approx(total["value"].sum(), rel=1e-12)
    # Every hospital site is located; the sample's catchment table lists some trusts only.
    assert placed > (0.99 if method == "SITES" else 0.5) * total["value"].sum()


def test_a_site_is_placed_where_the_lookup_says(site_env: dict[str, Any]) -> None:
    """The org_area rows of a reporting site are the lookup's answer for the site code: its own
    location by SITES, the organisation running it by the other methods."""
    lookup = site_env["reference"].lookup
    sites = sorted(s for held in site_env["split"].sites.values() for s in held)
    assert len(sites) >= 100
    for method, area_type in SITE_METHODS.items():
        rows = site_placements(site_env["numbers"], method, area_type, "2020-04-09")
        for site in ("RD304", *sites[::10]):
            answer = lookup.lookup(site, area_type, date(2020, 4, 9), method)
            mine = rows[rows["org_code"] == site]
            assert {a["code"]: a["share"] for a in answer.areas} == pytest.approx(
                dict(zip(mine["area_code"], mine["share"], strict=True)), abs=1e-6
            ), (site, method)


def test_site_days_of_stock_by_trust_equal_a_plain_pandas_computation(
    site_env: dict[str, Any],
) -> None:
    """By trust, a site's values count for the organisation running it on the day; pandas
    counts them for the trust the generator divided (the same on a day with no merger)."""
    day = "2020-04-09"
    found, unplaced = stock_by_trust(
        site_env["numbers"], site_env["placer"], "FFP3Respirators", date.fromisoformat(day)
    )
    assert not unplaced
    frame = pd.read_csv(site_env["site_file"])
    frame = frame[frame["date"] == day]
    owner = {s: t for t, held in site_env["split"].sites.items() for s in held}
    frame["trust"] = frame["org_code"].map(lambda c: owner.get(c, c))
    wide = frame.pivot_table(index="trust", columns="series", values="value", aggfunc="sum")
    using = wide[wide["FFP3 respirators used"] > 0]
    expected = (using["FFP3 respirators held"] / using["FFP3 respirators used"]).sort_index()
    got = pd.Series({t: s.days_of_stock for t, s in found.items() if s.used > 0}).sort_index()
    pd.testing.assert_series_equal(got, expected, check_names=False, rtol=1e-12)
    # No use that day: no days of stock (never infinite).
    assert all(s.days_of_stock is None for s in found.values() if s.used == 0)
    assert set(found) == set(wide.index)
    assert found["RD3"].reporters == ("RD304",)  # Poole Hospital counts for Poole Hospital NHS FT
    assert max(len(s.reporters) for s in found.values()) >= 3


def test_the_cli_answers_days_of_stock_by_trust_as_the_function_does(
    site_env: dict[str, Any], tmp_path: Path
) -> None:
    """`nhskg supplies by-trust`, run as a steward runs it (a process, on a copy of the stores:
    the fixture holds the numbers store open), says SYNTHETIC and gives stock_by_trust's figures;
    a bad item or date exits 2 with one line."""
    backup_store(site_env["store"], tmp_path / "store")
    shutil.copyfile(site_env["numbers"].path, tmp_path / "numbers.duckdb")
    command = [sys.executable, "-m", "service.cli", "--store", str(tmp_path / "store"),
               "supplies", "by-trust"]  # fmt: skip
    done = subprocess.run(
        [*command, "FFP3Respirators", "--date", "2020-04-09", "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["synthetic"] is True
    found, unplaced = stock_by_trust(
        site_env["numbers"], site_env["placer"], "FFP3Respirators", date(2020, 4, 9)
    )
    assert {r["trust"]: (r["held"], r["used"], r["daysOfStock"], tuple(r["reporters"]))
            for r in answer["trusts"]} == {
        t: (s.held, s.used, s.days_of_stock, s.reporters) for t, s in found.items()
    }  # fmt: skip
    assert answer["sitesRunByNoOrganisation"] == unplaced
    assert len(answer["trusts"]) >= 3
    table = subprocess.run([*command, "FFP3Respirators", "--date", "2020-04-09"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert table.returncode == 0 and "SYNTHETIC" in table.stdout
    for bad in (["Respirators", "--date", "2020-04-09"], ["FFP3Respirators", "--date", "9/4/20"]):
        refused = subprocess.run([*command, *bad], capture_output=True, text=True, check=False)
        assert refused.returncode == 2, refused.stderr
        assert "Traceback" not in refused.stderr and "supplies.ttl" in refused.stderr


def test_a_steward_refresh_of_a_trust_places_its_reporting_sites_again(
    site_env: dict[str, Any],
) -> None:
    """A change touching Poole Hospital NHS FT (RD3) places again the sites reporting that RD3 or
    its successor runs (a site's rows but SITES follow the organisation running it): rows taken
    out beforehand come back as they were."""
    from service.geography.refresh import refresh_org_areas
    from service.rdf.terms import ID

    numbers = site_env["numbers"]
    query = "SELECT * FROM org_area WHERE org_code IN ('RD304', 'RDZ20') ORDER BY ALL"
    before = numbers.con.execute(query).fetchall()
    assert {r[3] for r in before} == {"RD304", "RDZ20"}
    numbers.con.execute("DELETE FROM org_area WHERE org_code IN ('RD304', 'RDZ20')")
    refresh_org_areas(site_env["store"], numbers, [str(ID["org/RD3"])])
    assert numbers.con.execute(query).fetchall() == before


def test_the_per_site_generator_is_deterministic_with_a_seed(
    site_env: dict[str, Any], tmp_path: Path
) -> None:
    known = set(reference_organisations(site_env["store"]))

    def digest(seed: int) -> str:
        path = tmp_path / f"{seed}.csv"
        generate(site_env["numbers"], path, seed, known, per_site_of=site_env["placer"])
        return hashlib.sha256(path.read_bytes()).hexdigest()

    assert digest(7) == hashlib.sha256(site_env["site_file"].read_bytes()).hexdigest()
    assert digest(8) != digest(7)


def test_a_site_whose_code_closes_within_the_return_is_left_out(site_env: dict[str, Any]) -> None:
    """The loader refuses a site's value outside the site's own ODS dates, so the split leaves
    out a site its trust runs (by its operations) but whose code closes within the return's days
    (nationally RJF05: 540 values refused before): its trust's other sites share the demand."""
    placer, split, sites = site_env["placer"], site_env["split"], site_env["sites"]
    first, last = site_env["days"]
    trust, kept = next((t, s) for t, s in sorted(split.sites.items()) if len(s) > 1)
    closing = {**sites, kept[0]: replace(sites[kept[0]], close_date=first + timedelta(days=1))}
    assert hospital_split(placer, [trust], first, last, closing).sites[trust] == kept[1:]
    assert hospital_split(placer, [trust], first, last, sites).sites[trust] == kept


def test_a_count_is_divided_into_whole_units_that_add_up_exactly() -> None:
    import numpy as np

    from service.supplies.split import split_counts

    series = np.array([7.0, np.nan, 0.0, 5.0, 2.0])
    parts = split_counts(series, 3)
    assert np.array_equal(np.nansum(parts, axis=0), [7, 0, 0, 5, 2])
    assert all(np.isnan(p[1]) for p in parts)  # not reported: at no site
    assert [p[0] for p in parts] == [3, 2, 2]  # day 0: the remainder from the first site
    assert [p[3] for p in parts] == [2, 2, 1]  # day 3: as day 0 (three sites, three days)
    assert [p[4] for p in parts] == [0, 1, 1]  # day 4: the rotation moved a site on


def test_graphql_answers_the_per_site_return_labelled_synthetic(site_env: dict[str, Any]) -> None:
    data, errors = run(site_env, QUERY % ("GownsDaysOfStock", "LRF", "2020-04-09", "SITES"))
    assert not errors, errors
    answer = data["rollup"]
    assert answer["synthetic"] and SITE_NAME in answer["syntheticNotice"]
    engine = rollup(site_env["numbers"], str(NHSKG.GownsDaysOfStock), "LRF", date(2020, 4, 9),
                    Method("SITES"))  # fmt: skip
    assert [r["value"] for r in answer["rows"]] == [r.value for r in engine.rows]
    assert sum(r["coverage"]["reported"] for r in answer["rows"]) >= 160
