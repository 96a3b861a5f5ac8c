"""Disclosure control, in process: the policy as the ontology states it, the perturbation table's
checks, the salt held beside the store, and the cell-key perturbation the roll-up engine applies
(on the sample week of COVID admissions in the South West and North West): each record's noise
is the table's for its value and key, small values are never published exactly, and figures
stay consistent across geography types, methods, days and ranges (totals add up)."""

from __future__ import annotations

import os
import stat
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from service.access.disclosure import (
    SALT_FILE,
    DisclosureError,
    Protection,
    policy_of,
    protection_for,
    read_table,
    salt_for,
)
from service.access.principal import PUBLIC, Principal, Role, ScopeItem
from service.manifest import load_returns_all, materialise_for_returns
from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.rdf.vocab import NHSKG
from service.returns.numbers import NumbersStore
from service.rollup.engine import rollup
from service.rollup.model import Method
from tests.support.stores import backup_store

ADMISSIONS = str(NHSKG.CovidAdmissions)
FIRST, LAST = date(2020, 4, 6), date(2020, 4, 12)


@pytest.fixture(scope="module")
def sample_numbers(sample_store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample week's returns and placements, in a numbers store on disk (its salt beside)."""
    folder = tmp_path_factory.mktemp("disclosure-sample")
    backup_store(sample_store, folder / "store")
    store = GraphStore(folder / "store")
    numbers = NumbersStore(folder / "numbers.duckdb")
    assert all(r.ok for r in load_returns_all(store, numbers, SAMPLE_DATA_DIR))
    numbers.close()
    materialise_for_returns(store, folder / "numbers.duckdb")
    return folder / "numbers.duckdb"


@pytest.fixture(scope="module")
def numbers(sample_numbers: Path) -> NumbersStore:
    return NumbersStore(sample_numbers, read_only=True)


@pytest.fixture(scope="module")
def protection(numbers: NumbersStore) -> Protection:
    found = protection_for(PUBLIC, ADMISSIONS, numbers.path)
    assert found is not None
    return found


def test_the_policy_is_the_ontologys() -> None:
    policy = policy_of(ADMISSIONS)
    assert policy is not None and policy.disclosive
    assert (policy.method, policy.threshold, policy.modulus) == ("CellKeyPerturbation", 7, 256)
    assert policy.maximum == max(abs(r.noise) for r in policy.table)
    assert policy.roles == {"public"} and policy.scoped_grants
    beds = policy_of(str(NHSKG.BedsOccupiedCovid))
    assert beds is not None and not beds.disclosive
    assert policy_of(str(NHSKG.MechanicalVentilationBedsOccupied)) is None  # no policy: open


def test_who_gets_protected_figures() -> None:
    policy = policy_of(ADMISSIONS)
    assert policy is not None
    national = (ScopeItem("national"),)
    region = (ScopeItem("region", "Y58"),)
    assert policy.applies_to(PUBLIC)
    assert policy.applies_to(Principal("a", Role.ANALYST, region))  # a restricted grant
    assert not policy.applies_to(Principal("a", Role.ANALYST, national))  # record-level grant
    assert not policy.applies_to(Principal("a", Role.ADMIN, ()))
    beds = policy_of(str(NHSKG.BedsOccupiedCovid))
    assert beds is not None and not beds.applies_to(PUBLIC)


def test_small_counts_always_move_and_never_below_zero() -> None:
    policy = policy_of(ADMISSIONS)
    assert policy is not None
    for value in range(0, 40):
        noises = {policy.noise(value, key) for key in range(policy.modulus)}
        assert all(value + n >= 0 and abs(n) <= policy.maximum for n in noises)
        if 1 <= value <= policy.threshold:
            assert 0 not in noises, value
        if value == 0:
            assert noises == {0}  # a zero stays zero: no figure appears from nothing
    assert policy.noise(2.5, 7) == 0  # a fraction has no row: not a count


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("value,noise,key_from,key_to\n1,1,0,100\n1,-1,102,255\n", "gap"),
        ("value,noise,key_from,key_to\n1,-2,0,255\n", "negative"),
        ("value,noise,key_from,key_to\n1,x,0,255\n", "integers"),
        ("value,noise\n1,1\n", "integers"),
        ("value,noise,key_from,key_to\n1,1,0,255\n2,1,0,127\n", "same key space"),
    ],
)
def test_a_bad_perturbation_table_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "ptable.csv"
    path.write_text(text)
    with pytest.raises(DisclosureError, match=message):
        read_table(path)
    with pytest.raises(DisclosureError, match="does not exist"):
        read_table(tmp_path / "absent.csv")


def test_the_salt_is_made_once_beside_the_store_and_kept_secret(tmp_path: Path) -> None:
    store = tmp_path / "numbers.duckdb"
    salt = salt_for(store)
    path = tmp_path / SALT_FILE
    assert path.read_text().strip() == salt and len(salt) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert salt_for(store) == salt
    (tmp_path / "elsewhere").mkdir()
    assert salt_for(tmp_path / "elsewhere" / "numbers.duckdb") != salt  # one per store


def test_a_store_that_cannot_hold_a_salt_refuses_protected_figures(tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):  # root ignores the mode: nothing to test here
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(DisclosureError, match="cannot be made"):
            salt_for(folder / "numbers.duckdb")
    finally:
        folder.chmod(0o700)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / SALT_FILE).write_text("not hex\n")
    with pytest.raises(DisclosureError, match="hex"):
        salt_for(bad / "numbers.duckdb")


def _records(numbers: NumbersStore, values: str) -> dict[tuple[str, str, date], float]:
    rows = numbers.reader().execute(
        f"SELECT org_code, coalesce(region_code, ''), period_start, value FROM {values} "
        "WHERE metric = ? ORDER BY ALL",
        [ADMISSIONS],
    )
    return {(o, r, d): float(v) for o, r, d, v in rows.fetchall()}


def test_each_value_gets_the_tables_noise_for_its_key(
    numbers: NumbersStore, protection: Protection
) -> None:
    true = _records(numbers, numbers.values)
    shown = _records(numbers, protection.relation(numbers.values))
    assert true.keys() == shown.keys() and len(true) > 400
    small = 0
    for (org, region, day), value in true.items():
        key = protection.record_key(org, ADMISSIONS, day.isoformat())
        noise = protection.policy.noise(value, key)
        assert shown[(org, region, day)] == value + noise
        if 1 <= value <= protection.policy.threshold:
            small += 1
            assert shown[(org, region, day)] != value
    assert small > 50  # the sample week has small counts to protect
    keys = {protection.record_key(o, ADMISSIONS, d.isoformat()) for o, _, d in true}
    assert len(keys) > 200  # keys spread over the key space


def test_another_salt_gives_other_noise(numbers: NumbersStore, protection: Protection) -> None:
    other = Protection(protection.policy, "ab" * 32)
    mine = _records(numbers, protection.relation(numbers.values))
    theirs = _records(numbers, other.relation(numbers.values))
    true = _records(numbers, numbers.values)
    counted = [k for k, v in true.items() if v > 0]  # zeros stay zero under any salt
    assert sum(mine[k] != theirs[k] for k in counted) > len(counted) * 0.6


def _total(numbers: NumbersStore, area_type: str, method: Method, when: object, p: Protection):
    result = rollup(numbers, ADMISSIONS, area_type, when, method, protection=p)  # type: ignore[arg-type]
    assert result.protection == "PERTURBED"
    assert all(r.protection == "PERTURBED" for r in result.rows)
    return sum(r.value for r in result.rows) + result.unmapped_summary.total, result


@pytest.mark.parametrize(
    ("area_type", "method"),
    [
        ("LRF", Method.CATCHMENT),
        ("ICB", Method.ODS_STATED),
        ("NHS_REGION", Method.ODS_STATED),
        ("NHS_REGION", Method.RETURN_STATED),
    ],
)
def test_every_geography_adds_up_to_the_same_perturbed_total(
    numbers: NumbersStore, protection: Protection, area_type: str, method: Method
) -> None:
    """Areas plus unmapped give the sum of the perturbed values, whichever geography type and
    method: a total never undoes the protection, and no two totals differ by a true value."""
    day = FIRST + timedelta(days=2)
    shown = _records(numbers, protection.relation(numbers.values))
    want = sum(v for (_, _, d), v in shown.items() if d == day)
    total, result = _total(numbers, area_type, method, day, protection)
    assert total == pytest.approx(want)
    assert len(result.rows) > 1
    # An area's noise is the sum of its records' noise, which can cancel on one day: for 300
    # random salts the one day's figures equalled the true ones in 2 of 1,200 cases (a region of
    # two rows), the week's days together in none.
    week = (FIRST, LAST)
    protected = rollup(numbers, ADMISSIONS, area_type, week, method, protection=protection,
                       series=True, detail=False)  # fmt: skip
    unprotected = rollup(numbers, ADMISSIONS, area_type, week, method, series=True, detail=False)
    assert unprotected.protection is None and all(r.protection is None for r in unprotected.rows)
    assert [r.area for r in protected.rows] == [r.area for r in unprotected.rows]
    assert len(protected.rows) >= 7 * len(result.rows)
    assert [r.value for r in protected.rows] != [r.value for r in unprotected.rows]


def test_a_range_is_the_sum_of_its_days(numbers: NumbersStore, protection: Protection) -> None:
    """The 7-day figure minus six days is the seventh day's perturbed figure, not its true one."""
    week = rollup(numbers, ADMISSIONS, "ICB", (FIRST, LAST), Method.ODS_STATED,
                  protection=protection, detail=False)  # fmt: skip
    days = rollup(numbers, ADMISSIONS, "ICB", (FIRST, LAST), Method.ODS_STATED,
                  protection=protection, series=True, detail=False)  # fmt: skip
    summed: dict[str, float] = defaultdict(float)
    for row in days.rows:
        summed[row.area] += row.value
    assert len(week.rows) > 3
    assert {r.area: r.value for r in week.rows} == pytest.approx(dict(summed))


def test_detail_and_summary_agree_when_protected(
    numbers: NumbersStore, protection: Protection
) -> None:
    detail = rollup(numbers, ADMISSIONS, "LRF", FIRST, Method.CATCHMENT, protection=protection)
    summary = rollup(numbers, ADMISSIONS, "LRF", FIRST, Method.CATCHMENT, protection=protection,
                     detail=False)  # fmt: skip
    assert len(detail.rows) > 3
    assert [r.value for r in detail.rows] == pytest.approx([r.value for r in summary.rows])
    rounding = 0.5 * 10**-protection.policy.decimals + 1e-12  # the row is published rounded
    for row in detail.rows:  # contributors carry perturbed values too: they add up to the row
        assert sum(c.value * c.share for c in row.contributors) == pytest.approx(
            row.value, abs=rounding
        )
