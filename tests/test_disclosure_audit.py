"""The attacker as a test: `nhskg disclosure audit` over everything the public role can obtain
for COVID admissions (every geography type and method the store holds, each day and 7-day
range, as reported and restated), on the sample week (South West and North West) and, marked
national, on a week of the real publication. With the cell-key perturbation no protected cell is
recovered or narrowed; with primary suppression only (or no protection) the attacker's
programmes recover small counts exactly, by differencing overlapping figures."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from service.access.disclosure import SALT_FILE, policy_of, salt_for
from service.cli import app as cli
from service.disclosure.audit import Loss, Report, audit
from service.disclosure.modes import EXACT, PERTURBED, PRIMARY
from service.disclosure.space import placements
from service.manifest import load_returns_all, materialise_for_returns
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.rdf.vocab import NHSKG
from service.returns.codes import graph_successions
from service.returns.numbers import NumbersStore
from tests.support.stores import backup_store, copy_store

ADMISSIONS = str(NHSKG.CovidAdmissions)
FIRST, LAST = date(2020, 4, 6), date(2020, 4, 12)


@pytest.fixture(scope="module")
def sample(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("disclosure-audit")
    backup_store(sample_store, folder / "store")
    store = GraphStore(folder / "store")
    numbers = NumbersStore(folder / "numbers.duckdb")
    assert all(r.ok for r in load_returns_all(store, numbers, SAMPLE_DATA_DIR))
    numbers.close()
    materialise_for_returns(store, folder / "numbers.duckdb")
    store.close()
    (folder / SALT_FILE).write_text("5a17" * 16 + "\n")  # a fixed salt: the same noise each run
    return {"folder": folder, "numbers": NumbersStore(folder / "numbers.duckdb", read_only=True)}


def run(numbers: NumbersStore, mode: str, **kw: Any) -> Report:
    policy = policy_of(ADMISSIONS)
    assert policy is not None
    return audit(numbers, ADMISSIONS, FIRST, LAST, policy, salt_for(numbers.path), mode=mode, **kw)


def test_the_perturbed_figures_disclose_no_small_count(sample: dict[str, Any]) -> None:
    report = run(sample["numbers"], PERTURBED)
    # Each placement (the table's, and the region the return states) x 2 restatements x
    # (the daily series, the one 7-day range)
    placed = len(placements(sample["numbers"]))
    assert placed >= 4 and report.questions == placed * 4, report.text()
    assert report.distinct_figures > 50, report.text()
    assert report.skipped == 0
    assert report.tried > 100, report.text()  # every small record and whole small figure
    assert (report.exact, report.narrowed, report.undecided) == (0, 0, 0)
    # The sample's areas are small (two regions' trusts): the loss is reported per type and
    # span; the bound is checked on the national figures (test below).
    assert {(item.geography, item.span) for item in report.loss} >= {
        ("ICB", "daily"),
        ("ICB", "7-day"),
        ("LRF", "daily"),
        ("NHS_REGION", "7-day"),
    }
    assert all(0 < item.relative < 1 for item in report.loss), report.text()


def test_the_programmes_agree_with_the_witnesses(sample: dict[str, Any]) -> None:
    """Solved by HiGHS rather than settled by two feasible points: still nothing narrowed."""
    report = run(sample["numbers"], PERTURBED, solve_all=True, max_targets=25)
    assert report.solved == report.tried == 25
    assert (report.exact, report.narrowed) == (0, 0)


def test_information_loss_when_every_figure_is_zero() -> None:
    """Cumulative admissions of children before the first one (the UKHSA age file's March
    2020): figures of 0 stay 0, so nothing is lost (the audit divided by zero here); a
    figure of 0 moved would be a loss no bound admits."""
    assert Loss("NHS_REGION", "daily", 7, 0.0, 0.0).relative == 0.0
    assert Loss("NHS_REGION", "daily", 3, 0.5, 0.0).relative == math.inf
    assert Loss("LRF", "7-day", 4, 1.0, 8.0).relative == 0.125
    assert Loss("LRF", "7-day", 0, 0.0, 0.0).relative == 0.0


@pytest.mark.parametrize("mode", [PRIMARY, EXACT])
def test_without_perturbation_the_attacker_recovers_small_counts(
    sample: dict[str, Any], mode: str
) -> None:
    """Primary suppression withholds every figure from 1 to 7, yet differencing the figures
    published recovers small counts: the leak the audit exists to find."""
    report = run(sample["numbers"], mode, max_targets=40)
    assert report.solved == report.tried == 40
    assert report.exact > 0 and report.narrowed >= report.exact, report.text()
    worst = report.worst[0]
    assert worst.low == pytest.approx(worst.target.true, abs=1e-3)
    assert worst.high == pytest.approx(worst.target.true, abs=1e-3)


def test_the_command_reports_and_exits_by_the_result(sample: dict[str, Any]) -> None:
    folder = sample["folder"]
    base = ["--store", str(folder / "store"), "disclosure", "audit"]
    span = ["--metric", "CovidAdmissions", "--from", str(FIRST), "--to", str(LAST)]
    found = CliRunner().invoke(cli, [*base, *span])
    assert found.exit_code == 0, found.output
    assert "recovered exactly: 0" in found.output and "information loss" in found.output
    leak = CliRunner().invoke(cli, [*base, *span, "--mode", "primary", "--max-cells", "10"])
    assert leak.exit_code == 1, leak.output
    assert "(narrower than 4): 0" not in leak.output
    for bad, message in [
        (["--metric", "BedsOccupiedCovid", "--from", "2020-04-06", "--to", "2020-04-12"], "open"),
        (["--metric", "CovidAdmissions", "--from", "2020-04-12", "--to", "2020-04-06"], "before"),
        (["--metric", "CovidAdmissions", "--from", "April", "--to", "2020-04-06"], "YYYY"),
        ([*span, "--mode", "guess"], "one of"),
    ]:
        refused = CliRunner().invoke(cli, [*base, *bad])
        assert refused.exit_code == 2 and message in refused.output, refused.output


@pytest.mark.national
def test_a_week_of_national_admissions_discloses_nothing(figures_env: Any) -> None:
    """The real publication's week of admissions, by every method in LRF, ICB and NHS region
    and by the region the return states, as reported and restated."""
    numbers: NumbersStore = figures_env["numbers"]
    policy = policy_of(ADMISSIONS)
    assert policy is not None
    successions = graph_successions(figures_env["store"])
    first, last = date(2020, 4, 1), date(2020, 4, 7)
    salt = salt_for(Path(numbers.path) if numbers.path else None)
    kw: dict[str, Any] = {"successions": successions}
    report = audit(numbers, ADMISSIONS, first, last, policy, salt, mode=PERTURBED, **kw)
    assert report.tried > 500 and report.skipped < report.figures / 100, report.text()
    assert (report.exact, report.narrowed, report.undecided) == (0, 0, 0), report.text()
    assert report.loss_within_bound, report.text()
    # The same figures, primary-suppressed: told the whole-count methods' figures only (the
    # catchment shares make each programme minutes long), the attacker recovers counts.
    leak = audit(numbers, ADMISSIONS, first, last, policy, salt, mode=PRIMARY, max_targets=20,
                 methods=("HEADQUARTERS", "ODS_STATED", "RETURN_STATED"), **kw)  # fmt: skip
    assert leak.exact > 0, leak.text()


WEEKLY = str(NHSKG.LabConfirmedCasesWeekly)
MSOA_FILE = "areas/ukhsa/cases-msoa-weekly-release-2020-10-19.csv"


@pytest.fixture(scope="module")
def msoa_numbers(
    national_store: GraphStore, geo_placer: Any, shared_data: Path, tmp_path_factory: Any
) -> NumbersStore:
    """A copy of the national store with UKHSA's MSOA weekly cases loaded (the -99 cells kept
    as suppressed), and a fixed salt."""
    from service.returns.area_load import load_area_file

    folder = tmp_path_factory.mktemp("disclosure-areas")
    store = copy_store(national_store, folder / "store")
    numbers = NumbersStore(folder / "numbers.duckdb")
    reference, rollup = geo_placer.reference, geo_placer.ctx.rollup
    loaded = load_area_file(store, numbers, shared_data / MSOA_FILE, reference, rollup=rollup)
    assert loaded.status == "loaded" and loaded.suppressed > 0, loaded.report.findings[:3]
    (folder / SALT_FILE).write_text("5a17" * 16 + "\n")
    return numbers


@pytest.mark.national
def test_msoa_cases_disclose_nothing_and_suppressed_cells_stay_hidden(
    msoa_numbers: NumbersStore,
) -> None:
    """Two weeks of MSOA cases asked in every area type the MSOAs reach (MSOA, LAD, UTLA, LRF,
    ICB, regions, England), by week and over both weeks: no protected cell recovered or
    narrowed, though the attacker knows that every unsuppressed value is at least 3 (UKHSA's
    -99 is 0-2); no suppressed cell is in any figure. Perturbed as if the source suppressed
    nothing, values published below 3 give the attacker intervals narrower than the width that
    two feasible points cannot widen, and programmes must be solved (on the national store's
    salt, 1 of 40 such cells was narrowed to [3, 6]: README)."""
    policy = policy_of(WEEKLY)
    assert policy is not None
    salt = salt_for(Path(msoa_numbers.path) if msoa_numbers.path else None)
    first, last = date(2020, 9, 21), date(2020, 10, 4)
    report = audit(msoa_numbers, WEEKLY, first, last, policy, salt, mode=PERTURBED)
    assert report.source_floor == 3 and report.suppressed > 1000, report.text()
    assert report.suppressed_in_figures == 0 and report.skipped == 0, report.text()
    assert report.questions >= 10 and report.tried > 1000, report.text()
    assert (report.exact, report.narrowed, report.undecided) == (0, 0, 0), report.text()
    assert report.solved == 0, report.text()  # every cell as wide as the width at its witness
    assert report.loss_within_bound, report.text()
    naive = audit(msoa_numbers, WEEKLY, first, last, policy, salt, mode=PERTURBED, floor=0,
                  max_targets=40)  # fmt: skip
    assert naive.solved > 0 and naive.undecided == 0, naive.text()


AGED_0_TO_5 = str(NHSKG.CumulativeCovidAdmissionsAged0to5)
AGE_FILE = "areas/ukhsa/admissions-by-age-nhsregion-release-2020-12-31.json"


@pytest.mark.national
def test_admissions_of_children_by_region_disclose_nothing(
    national_store: GraphStore, geo_placer: Any, shared_data: Path, tmp_path: Path
) -> None:
    """UKHSA's cumulative admissions of children aged 0 to 5 by NHS region, the month from
    2020-03-20 (the counts start at 0: the audit once divided by zero here), asked by region and
    for England, each day and every 7-day range: perturbed, no small count is recovered or
    narrowed; primary-suppressed, England less the other regions recovers some exactly."""
    from service.returns.area_load import load_area_file

    store = copy_store(national_store, tmp_path / "store")
    numbers = NumbersStore(tmp_path / "numbers.duckdb")
    reference, rollup = geo_placer.reference, geo_placer.ctx.rollup
    loaded = load_area_file(store, numbers, shared_data / AGE_FILE, reference, rollup=rollup)
    assert loaded.status == "loaded", loaded.report.findings[:3]
    (tmp_path / SALT_FILE).write_text("5a17" * 16 + "\n")
    policy = policy_of(AGED_0_TO_5)
    assert policy is not None
    salt = salt_for(tmp_path / "numbers.duckdb")
    first, last = date(2020, 3, 20), date(2020, 4, 19)
    report = audit(numbers, AGED_0_TO_5, first, last, policy, salt, mode=PERTURBED)
    assert report.records >= 8 * 31 and report.tried > 20, report.text()
    assert (report.exact, report.narrowed, report.undecided) == (0, 0, 0), report.text()
    assert report.loss_within_bound, report.text()
    assert "information loss" in report.text()  # written out, every figure 0 included
    leak = audit(numbers, AGED_0_TO_5, first, last, policy, salt, mode=PRIMARY)
    assert leak.exact > 0, leak.text()
