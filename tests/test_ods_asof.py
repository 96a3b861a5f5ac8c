"""As-of answers on real ODS data: open trusts on a date, sites that follow successions, and
clear answers about dates outside an organisation's life."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from service.loader import load_file
from service.rdf.store import GraphStore
from service.reference.asof import AsOf

pytestmark = pytest.mark.national

LOCKDOWN = date(2020, 3, 25)

# Every trust the 2020-03 file lists as open on 2020-03-25 that the 2026 file does not (or the
# reverse), with the reason. The test fails if a difference appears that is not explained here,
# or if an explained one disappears.
EXPLAINED = {
    "RJD": (
        "only in 2020-03: Mid Staffordshire NHS FT is still listed without a close date in the"
        " 2020-03 file; the 2026 file records its close on 2017-10-31 (dissolved, its hospitals"
        " passed to other trusts)"
    ),
}


@pytest.fixture(scope="module")
def asof(national_store: GraphStore) -> AsOf:
    return AsOf(national_store)


def open_in_file(path: Path, day: date) -> set[str]:
    stamp = day.strftime("%Y%m%d")
    with path.open(encoding="utf-8") as fh:
        return {r[0] for r in csv.reader(fh) if r[10] <= stamp and (not r[11] or r[11] >= stamp)}


def test_trusts_open_in_march_2020_rebuilt_from_the_2026_file(shared_data: Path) -> None:
    store = GraphStore(None)
    assert load_file(store, shared_data / "ods/etr-2026-07.csv", "ods-etr").ok
    rebuilt = set(AsOf(store).trusts_open_on(LOCKDOWN))
    stated = open_in_file(shared_data / "ods/etr-2020-03.csv", LOCKDOWN)
    assert len(rebuilt) > 200
    assert rebuilt ^ stated == set(EXPLAINED)
    assert stated - rebuilt == {"RJD"}  # the direction each reason states


def test_a_closed_trust_names_its_successor(asof: AsOf) -> None:
    answer = asof.organisation_on("RD3", date(2021, 1, 1))
    assert answer.status == "closed"
    assert answer.successors is not None and answer.successors.codes == ("R0D",)
    assert "closed on 2020-09-30" in answer.message and "(R0D)" in answer.message


def test_a_date_before_opening_says_so(asof: AsOf) -> None:
    answer = asof.organisation_on("R0D", date(2020, 1, 1))
    assert answer.status == "not_yet_open"
    assert "opened on 2020-10-01" in answer.message


def test_an_unknown_code_is_an_answer_not_an_error(asof: AsOf) -> None:
    assert asof.organisation_on("ZZZ", date(2020, 1, 1)).status == "unknown"


def test_sites_stated_under_rd3_are_r0ds_after_the_merger(asof: AsOf) -> None:
    before = {s.site for s in asof.sites_operated_by("RD3", date(2020, 9, 1))}
    after = {s.site: s for s in asof.sites_operated_by("R0D", date(2021, 1, 1))}
    assert "RD304" in before  # Poole Hospital, ODS etrust 2018
    assert before <= set(after)
    poole = after["RD304"]
    assert poole.stated_operator == "RD3" and poole.via_succession
    assert asof.sites_operated_by("RD3", date(2021, 1, 1)) == []


def test_stale_2023_parent_resolves_to_the_successor(asof: AsOf) -> None:
    # The 2023 list still files Poole under RD3; on its own vintage that statement covers the date.
    on = asof.site_on("RD304", date(2023, 6, 1))
    assert on is not None
    assert (on.stated_operator, on.operators) == ("RD3", ("R0D",))


def test_split_trust_sites_go_to_both_successors(asof: AsOf) -> None:
    sites = asof.sites_operated_by("RW6", date(2021, 9, 1))
    assert sites
    later = asof.site_on(sites[0].site, date(2022, 1, 1))
    assert later is not None and set(later.operators) == {"R0A", "RM3"}
    assert later.ambiguous  # the split gave no shares and the site's new code is not stated
