"""Forecasts: scores on hand-checkable series, forecasts as known at a date untouched by later
releases (real rows of the NHS England weekly releases, cut to sample providers, one of them
revised inside the training window), strain flags, and the GraphQL forecast and strain fields
over a real HTTP server with a signed-in caller."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service.forecast.backtest import Target, backtest, score_table
from service.forecast.models import ALPHAS, Model, forecast_series
from service.forecast.run import Approach, ForecastError, forecast
from service.forecast.scoring import interval_score, weighted_interval_score
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.rdf.vocab import NHSKG
from service.reference.strain import EarlyWarningIndex, Threshold
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.rollup.model import Method
from service.strain.areas import strain_flags
from service.strain.flags import evaluate
from tests.returns_support import (
    WEEKLY_DIR,
    WEEKLY_RELEASES,
    revising,
    weekly_name,
    write_weekly_cut,
)
from tests.support.auth import bearer

BEDS = str(NHSKG.BedsOccupiedCovid)
AUGUST = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"
CODES = {"RA7", "RBD", "RK9", "RH8", "RBL", "RXN", "RM3", "REF"}
REVISED = ("RA7", "2020-11-10")  # inside the 2020-11-19 forecast's training window
EARLY = date(2020, 11, 19)


# ---------------------------------------------------------------- scores by hand
def test_interval_score_by_hand() -> None:
    assert interval_score(8, 12, 10, 0.5) == 4  # inside: the width
    assert interval_score(8, 12, 13, 0.5) == 4 + 2 / 0.5 * 1  # above by 1
    assert interval_score(8, 12, 6, 0.1) == 4 + 2 / 0.1 * 2  # below by 2


def test_weighted_interval_score_by_hand() -> None:
    # (|13 - 10| / 2 + 0.5/2 * (4 + 4) + 0.1/2 * 10) / (2 + 1/2) = (1.5 + 2 + 0.5) / 2.5
    wis = weighted_interval_score(10, {0.5: (8, 12), 0.1: (5, 15)}, 13)
    assert wis == pytest.approx(1.6)
    assert weighted_interval_score(7, {0.5: (7, 7)}, 7) == 0


def _numbers_with(series: dict[str, list[float]], first: date) -> NumbersStore:
    """A numbers store holding one release of daily values per region (as the loader writes
    them: batch, release_value, reported_value, reporter)."""
    numbers = NumbersStore(None)
    con = numbers.con
    con.execute(
        "INSERT INTO batch (batch_id, publication, dataset, mapping, file, sha256, graph, "
        "loaded_at, value_count, status, release_date) VALUES ('b1', 'p', 'd', 'm', 'f', 's', "
        "'g', now(), 1, 'current', ?)",
        [first + timedelta(days=60)],
    )
    for region, values in series.items():
        for i, v in enumerate(values):
            day = first + timedelta(days=i)
            row = ["b1", f"T{region}", "iri", f"T{region}", region, region, BEDS, day, day, v]
            for table in ("release_value", "reported_value"):
                con.execute(
                    f"INSERT INTO {table} (batch_id, org_code, org_iri, reported_code, "
                    "stated_region, region_code, metric, period_start, period_end, value) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
    numbers.refresh_reporters()
    return numbers


def test_backtest_scores_a_straight_line_by_hand() -> None:
    """On a series rising 10 a day: the 7-day line is exact (MAE and WIS 0); persistence is 10h
    short at h days, and its intervals (from its own past errors, all exactly 10h) are the
    truth itself, so its WIS is only the median's term: (10h / 2) / (4 + 1/2)."""
    first = date(2020, 3, 1)
    numbers = _numbers_with({"Y58": [100.0 + 10 * i for i in range(50)]}, first)
    origins = [first + timedelta(days=d) for d in (20, 25, 30)]
    runs = [(Approach.AREA, Model.PERSISTENCE), (Approach.AREA, Model.LINEAR_TREND)]
    target = Target(BEDS, "NHS_REGION", Method.RETURN_STATED)
    result = backtest(numbers, [target], origins, (1, 7), runs)
    scores = {(s.model, s.horizon): s for s in result.scores}
    for h in (1, 7):
        assert scores[("LINEAR_TREND", h)].mae == pytest.approx(0, abs=1e-9)
        assert scores[("LINEAR_TREND", h)].wis == pytest.approx(0, abs=1e-9)
        assert scores[("PERSISTENCE", h)].mae == pytest.approx(10 * h)
        assert scores[("PERSISTENCE", h)].wis == pytest.approx(5 * h / (len(ALPHAS) + 0.5))
        assert scores[("PERSISTENCE", h)].count == 3
    table = score_table(result)
    assert "| BedsOccupiedCovid | NHS_REGION | 7 | 3 |" in table


def test_models_keep_to_the_ground_and_nest_their_intervals() -> None:
    falling = np.array([50.0, 40, 31, 22, 15, 9, 5, 3, 2, 1, 1, 0, 0, 0, 0])
    for model in Model:
        f = forecast_series(falling, 14, model)
        assert f.horizon == 14 and np.all(f.point >= 0), model
        for wide, narrow in zip(ALPHAS[1:], ALPHAS[:-1], strict=True):  # 95% holds 50% ...
            assert np.all(f.lower[wide] <= f.lower[narrow] + 1e-9), model
            assert np.all(f.upper[wide] >= f.upper[narrow] - 1e-9), model
    with pytest.raises(ValueError, match="no history"):
        forecast_series(np.array([]), 7, Model.ENSEMBLE)


# ---------------------------------------------------------------- as known at a date
@pytest.fixture(scope="module")
def env(shared_data: Path, sample_store: GraphStore, tmp_path_factory: Any) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("forecast-weekly")
    cuts = {
        r: write_weekly_cut(
            shared_data / WEEKLY_DIR / weekly_name(r),
            folder,
            CODES,
            {"All beds COVID", "MV beds COVID", "Hosp ads & diag"},
            revising(*REVISED, 60) if r == "2020-12-03" else None,
        )
        for r in WEEKLY_RELEASES
    }
    store, numbers = sample_store.copy_in_memory(), NumbersStore(None)
    for path in (AUGUST, cuts["2020-11-19"]):
        assert load_return_file(store, numbers, path).status == "loaded"
    return {"store": store, "numbers": numbers, "cuts": cuts}


def _figures(run: Any) -> list[Any]:
    return [
        (a.area, a.last_day, a.history, [(p.value, p.intervals) for p in a.points])
        for a in run.areas
    ]


def test_a_forecast_as_known_at_a_date_reads_no_later_release(env: dict[str, Any]) -> None:
    store, numbers = env["store"], env["numbers"]
    ask = {"known_at": EARLY, "horizon": 14}
    before = {
        a: forecast(numbers, BEDS, "NHS_REGION", Method.RETURN_STATED, approach=a, **ask)
        for a in Approach
    }
    assert {a.area for a in before[Approach.AREA].areas} == {"Y58", "Y62"}
    assert before[Approach.AREA].last_day == date(2020, 11, 17)
    for release in WEEKLY_RELEASES[1:]:
        assert load_return_file(store, numbers, env["cuts"][release]).status == "loaded"
    for approach, earlier in before.items():
        again = forecast(
            numbers, BEDS, "NHS_REGION", Method.RETURN_STATED, approach=approach, **ask
        )
        assert _figures(again) == _figures(earlier), approach
    # The same origin as known at the revising release does see it (the test can fail).
    latest = forecast(numbers, BEDS, "NHS_REGION", Method.RETURN_STATED,
                      known_at=date(2020, 12, 3), origin=date(2020, 11, 17))  # fmt: skip
    south_west = {a.area: a for a in latest.areas}["Y58"]
    early_south_west = {a.area: a for a in before[Approach.AREA].areas}["Y58"]
    revised_day = date.fromisoformat(REVISED[1])
    assert dict(south_west.history)[revised_day] == dict(early_south_west.history)[revised_day] + 60


def test_forecast_refuses_what_cannot_be_answered(env: dict[str, Any]) -> None:
    numbers = env["numbers"]
    with pytest.raises(ForecastError, match="horizon must be 1 to 14"):
        forecast(numbers, BEDS, "NHS_REGION", Method.RETURN_STATED, horizon=15)
    with pytest.raises(ForecastError, match="no values of the metric had been released by"):
        forecast(numbers, BEDS, "NHS_REGION", Method.RETURN_STATED, known_at=date(2020, 1, 1))
    with pytest.raises(ForecastError, match="after the last day held"):
        forecast(numbers, BEDS, "NHS_REGION", Method.RETURN_STATED, known_at=EARLY,
                 origin=date(2020, 11, 30))  # fmt: skip


# ---------------------------------------------------------------- strain
def _threshold(direction: str, value: float, quantity: str) -> Threshold:
    return Threshold("t", "t", BEDS, "test threshold", "", value, direction, quantity)


def test_doubling_time_flags_by_hand() -> None:
    start = date(2020, 11, 1)
    rising = [(start + timedelta(days=i), 100 * 2 ** (i / 5)) for i in range(8)]  # doubles in 5
    flag = evaluate(_threshold("StrainBelow", 14, "DoublingTime"), "A", rising, None)
    assert flag.flagged and flag.basis == "current"
    assert flag.current_quantity == pytest.approx(5)
    flat = [(d, 100.0) for d, _ in rising]
    calm = evaluate(_threshold("StrainBelow", 14, "DoublingTime"), "A", flat, None)
    assert not calm.flagged and calm.current_quantity is None and "not growing" in calm.reason
    above = evaluate(_threshold("StrainAbove", 150, "FigureValue"), "A", rising, None)
    assert above.flagged and above.current_quantity == pytest.approx(rising[-1][1])


def test_strain_flags_from_the_ontology(env: dict[str, Any]) -> None:
    index = EarlyWarningIndex.build(env["store"])
    assert index.horizons[BEDS] == 14
    assert [t.key for t in index.for_metric(BEDS)] == ["CovidBedsDoublingStrain"]
    flags = strain_flags(env["numbers"], index, BEDS, "NHS_REGION", Method.RETURN_STATED,
                         known_at=EARLY)  # fmt: skip
    assert {f.area for f in flags} == {"Y58", "Y62"}
    for f in flags:
        assert f.forecast is not None and f.forecast.horizon == 14
        assert f.coverage is not None and f.coverage.reported >= 1
        assert f.flagged == (f.basis is not None)
    with pytest.raises(ForecastError, match="no strain threshold is stated for BedsOccupied"):
        strain_flags(env["numbers"], index, str(NHSKG.BedsOccupied), "NHS_REGION",
                     Method.RETURN_STATED)  # fmt: skip


# ---------------------------------------------------------------- GraphQL over HTTP
@pytest.fixture(scope="module")
def server(env: dict[str, Any]) -> Iterator[str]:
    from service.api.app import create_app
    from service.config import Settings
    from tests.http_server import serve

    app = create_app(
        Settings(store_path=None, numbers_path=None), store=env["store"], numbers=env["numbers"]
    )
    with serve(app) as url:
        yield url


def _post(url: str, query: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request) as response:
        return dict(json.loads(response.read()))


FORECAST = """{ forecast(metric: "BedsOccupiedCovid", by: "NHS_REGION", method: RETURN_STATED,
  horizon: 7, asKnownAt: "2020-11-19") { lastDay horizon model approach
  areas { area { odsCode } lastValue
  points { day daysAhead value intervals { level lower upper } } } } }"""


def test_graphql_forecast_over_http(server: str, env: dict[str, Any]) -> None:
    answer = _post(server, FORECAST, bearer())
    assert "errors" not in answer, answer
    got = answer["data"]["forecast"]
    assert got["lastDay"] == "2020-11-17" and got["horizon"] == 7
    stated = EarlyWarningIndex.build(env["store"]).default_for(BEDS)  # none named: the ontology's
    assert (got["model"], got["approach"]) == (stated.model, stated.approach)
    expected = forecast(env["numbers"], BEDS, "NHS_REGION", Method.RETURN_STATED,
                        known_at=EARLY, horizon=7)  # fmt: skip
    for area, want in zip(got["areas"], expected.areas, strict=True):
        assert area["area"]["odsCode"] == want.area
        assert [p["value"] for p in area["points"]] == pytest.approx([p.value for p in want.points])
        assert area["points"][0]["day"] == "2020-11-18"
        levels = [i["level"] for i in area["points"][6]["intervals"]]
        assert levels == [0.5, 0.8, 0.9, 0.95]


def test_graphql_strain_over_http(server: str) -> None:
    query = """{ strain(metric: "BedsOccupiedCovid", by: "NHS_REGION", method: RETURN_STATED,
      asKnownAt: "2020-11-19") { area { odsCode } flagged basis reason currentValue
      threshold { label value direction quantity } forecast { daysAhead value }
      coverage { reported expected missing } } }"""
    analyst = _post(server, query, bearer())
    assert "errors" not in analyst, analyst
    flags = analyst["data"]["strain"]
    assert {f["area"]["odsCode"] for f in flags} == {"Y58", "Y62"}
    assert all(f["threshold"]["quantity"] == "DoublingTime" for f in flags)
    assert all(f["forecast"]["daysAhead"] == 14 for f in flags)
    public = _post(server, query)  # no token: aggregates, never who is missing
    if "errors" not in public:
        assert all(f["coverage"]["missing"] == [] for f in public["data"]["strain"])
    else:
        assert "token" in public["errors"][0]["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('{ forecast(metric: "Nope", by: "NHS_REGION", method: RETURN_STATED) { horizon } }',
         "unknown metric 'Nope'"),
        ('{ forecast(metric: "BedsOccupied", by: "NHS_REGION", method: RETURN_STATED) '
         "{ horizon } }", "BedsOccupied is not forecast"),
        ('{ forecast(metric: "BedsOccupiedCovid", by: "NHS_REGION", method: RETURN_STATED, '
         "horizon: 30) { horizon } }", "horizon must be 1 to 14"),
        ('{ forecast(metric: "BedsOccupiedCovid", by: "MOON", method: RETURN_STATED) '
         "{ horizon } }", "unknown geography type 'MOON'"),
        ('{ strain(metric: "BedsOccupied", by: "NHS_REGION", method: RETURN_STATED) '
         "{ flagged } }", "no strain threshold is stated"),
    ],
)  # fmt: skip
def test_graphql_bad_input_says_what_was_wrong(server: str, query: str, message: str) -> None:
    answer = _post(server, query, bearer())
    assert answer.get("errors"), answer
    assert message in answer["errors"][0]["message"]


def _csv(url: str, path: str) -> list[list[str]]:
    import csv
    import io

    request = urllib.request.Request(f"{url}{path}", headers=bearer())
    with urllib.request.urlopen(request) as response:
        return list(csv.reader(io.StringIO(response.read().decode())))


def test_dashboards_show_the_early_warning_panel(server: str, env: dict[str, Any]) -> None:
    """The strategic panel lists every region, the operational one the chosen area, with the
    forecast strain_flags gives from the same values."""
    index = EarlyWarningIndex.build(env["store"])
    expected = {
        f.area: f
        for f in strain_flags(env["numbers"], index, BEDS, "NHS_REGION", Method.RETURN_STATED)
    }
    query = "by=NHS_REGION&method=RETURN_STATED&restate=asReported"
    strategic = _csv(server, f"/dashboards/strategic/strain.csv?{query}")
    assert strategic[0][:5] == ["Area", "Last day", "Last value", "Forecast day", "Forecast"]
    assert len(strategic) == 1 + len(expected) == 3
    forecasts = sorted(float(r[4]) for r in strategic[1:])
    assert forecasts == pytest.approx(
        sorted(f.forecast.value for f in expected.values() if f.forecast), abs=0.01
    )
    operational = _csv(server, f"/dashboards/operational/strain.csv?area=E40000006&{query}")
    assert len(operational) == 2 and operational[1][0] == "South West"
    # The page leaves the panel for its own request (service/api/static/deferred.js draws it).
    page = urllib.request.Request(f"{server}/dashboards/strategic?{query}", headers=bearer())
    with urllib.request.urlopen(page) as response:
        html = response.read().decode()
    assert 'data-panel-src="/dashboards/strategic/strain.html?' in html
    panel = urllib.request.Request(
        f"{server}/dashboards/strategic/strain.html?{query}", headers=bearer()
    )
    with urllib.request.urlopen(panel) as response:
        fragment = response.read().decode()
    assert "Early warning" in fragment and 'id="early-warning-chart"' in fragment


# ---------------------------------------------------------------- the model per metric: ontology
def test_each_forecast_metric_states_its_model_in_the_ontology() -> None:
    index = EarlyWarningIndex.build(GraphStore(None))
    assert set(index.defaults) == set(index.horizons) and index.horizons
    for metric in index.horizons:
        stated = index.default_for(metric)
        assert Model(stated.model) and Approach(stated.approach), stated
        assert stated.horizon == index.horizons[metric]
    assert index.default_for(BEDS).model == "ENSEMBLE"
    with pytest.raises(LookupError, match="not forecast"):
        index.default_for(str(NHSKG.BedsOccupied))


def test_a_model_added_in_turtle_changes_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployment's Turtle file (NHSKG_ONTOLOGY_EXTRA) that forecasts another metric with
    another model: the default follows it, with no change to the code; a second model for a
    metric that already states one leaves it with none (refused, never guessed)."""
    from service.rdf.terms import ONTOLOGY_EXTRA_ENV

    extra = tmp_path / "local-forecasts.ttl"
    extra.write_text(
        "@prefix nhskg: <https://w3id.org/nhskg/def#> .\n"
        "nhskg:BedsOccupied nhskg:forecastHorizon 7 ;\n"
        "    nhskg:forecastModel nhskg:PersistenceForecast ;\n"
        "    nhskg:forecastApproach nhskg:ContributorsForecast .\n"
        "nhskg:CovidAdmissions nhskg:forecastModel nhskg:LinearTrendForecast .\n"
    )
    monkeypatch.setenv(ONTOLOGY_EXTRA_ENV, str(extra))
    index = EarlyWarningIndex.build(GraphStore(None))
    stated = index.default_for(str(NHSKG.BedsOccupied))
    assert (stated.model, stated.approach, stated.horizon) == ("PERSISTENCE", "CONTRIBUTORS", 7)
    with pytest.raises(LookupError, match="no single nhskg:forecastModel"):
        index.default_for(str(NHSKG.CovidAdmissions))
    assert index.default_for(BEDS).model == "ENSEMBLE"  # the others as they were
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix nhskg: <https://w3id.org/nhskg/def#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        'nhskg:NoSuchForecast skos:notation "CRYSTAL_BALL" .\n'
        "nhskg:BedsOccupied nhskg:forecastHorizon 7 ; nhskg:forecastModel nhskg:NoSuchForecast ;\n"
        "    nhskg:forecastApproach nhskg:AreaForecast .\n"
    )
    monkeypatch.setenv(ONTOLOGY_EXTRA_ENV, str(bad))
    stated = EarlyWarningIndex.build(GraphStore(None)).default_for(str(NHSKG.BedsOccupied))
    with pytest.raises(ValueError):  # a notation no forecaster has: refused where it is used
        Model(stated.model)


def test_strain_flags_forecast_with_the_ontologys_model(env: dict[str, Any]) -> None:
    index = EarlyWarningIndex.build(env["store"])
    stated = index.default_for(BEDS)
    flags = strain_flags(env["numbers"], index, BEDS, "NHS_REGION", Method.RETURN_STATED,
                         known_at=EARLY)  # fmt: skip
    expected = forecast(env["numbers"], BEDS, "NHS_REGION", Method.RETURN_STATED, known_at=EARLY,
                        horizon=index.horizons[BEDS], approach=Approach(stated.approach),
                        model=Model(stated.model))  # fmt: skip
    ends = {a.area: a.points[-1].value for a in expected.areas}
    judged = [f for f in flags if f.forecast is not None]
    assert judged
    for flag in judged:
        assert flag.forecast is not None
        assert flag.forecast.value == pytest.approx(ends[flag.area])


# ---------------------------------------------------------------- where each threshold comes from
BASES = """
SELECT ?threshold ?basis ?source ?comment WHERE {
    ?threshold a nhskg:StrainThreshold .
    OPTIONAL { ?threshold nhskg:thresholdBasis ?basis }
    OPTIONAL { ?threshold <http://purl.org/dc/terms/source> ?source }
    OPTIONAL { ?threshold rdfs:comment ?comment }
}"""


def test_every_threshold_states_its_source_or_that_it_is_assumed() -> None:
    rows = GraphStore(None).select(BASES)
    assert len(rows) >= 10
    bases = {}
    for r in rows:
        basis = str(r["basis"] or "").rsplit("#", 1)[-1]
        assert basis in ("PublishedStandard", "ServiceAssumption"), r
        said = r["source"] if basis == "PublishedStandard" else r["comment"]
        assert said and len(str(said)) > 40, r  # a publication named, or why it is assumed
        bases[str(r["threshold"]).rsplit("#", 1)[-1]] = basis
    assert bases["GeneralAcuteOccupancyStrain"] == "PublishedStandard"
    assumed = {k for k, v in bases.items() if v == "ServiceAssumption"}
    assert {"OxygenStrain", "VentilatorUtilisationStrain", "GlovesStrain"} <= assumed


def test_every_answer_using_an_assumed_threshold_says_so() -> None:
    from service.reference.metrics import ASSUMPTION, MetricIndex
    from service.strain.flags import flag_value

    store = GraphStore(None)
    metrics = MetricIndex.build(store)
    cases = [
        ("GeneralAcuteBedOccupancy", True),
        ("MedicalOxygenDaysOfStock", False),
        ("VentilatorUtilisation", False),
        ("GlovesDaysOfStock", False),
    ]
    for key, published in cases:
        term = metrics.find(key)
        assert term is not None and term.strain is not None, key
        for value in (0.5, 50.0):
            flag = flag_value(term, value)
            assert flag is not None
            assert (ASSUMPTION in flag.reason) is not published, (key, flag.reason)
            assert ("source: NHS England" in flag.reason) is published, (key, flag.reason)
    index = EarlyWarningIndex.build(store)
    for threshold in index.thresholds:  # the doubling times: assumed, said in every reason
        day = date(2020, 11, 1)
        history = [(day + timedelta(days=n), 10.0 * 1.2**n) for n in range(8)]
        flag = evaluate(threshold, "E40000010", history, None, None, None)
        assert (ASSUMPTION in flag.reason) is threshold.basis.assumed, flag.reason
        assert threshold.basis.assumed or "source:" in flag.reason


def test_graphql_says_which_thresholds_are_assumed(server: str) -> None:
    answer = _post(
        server,
        "{ metrics { key strainThreshold { assumption source } } }",
        bearer(),
    )
    assert "errors" not in answer, answer
    found = {m["key"]: m["strainThreshold"] for m in answer["data"]["metrics"]}
    assert found["GeneralAcuteBedOccupancy"]["assumption"] is False
    assert "92%" in found["GeneralAcuteBedOccupancy"]["source"]
    assert found["MedicalOxygenDaysOfStock"]["assumption"] is True
    strain = _post(
        server,
        '{ strain(metric: "BedsOccupiedCovid", by: "NHS_REGION", method: RETURN_STATED, '
        'asKnownAt: "2020-11-19") { reason threshold { assumption source } } }',
        bearer(),
    )
    assert "errors" not in strain, strain
    assert strain["data"]["strain"]
    for flag in strain["data"]["strain"]:
        assert flag["threshold"]["assumption"] is True and flag["threshold"]["source"]
        assert "an assumption of this service" in flag["reason"]
