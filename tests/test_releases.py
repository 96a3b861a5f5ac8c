"""Releases over the embedded sample: real rows of the four NHS England weekly COVID releases (cut
to sample providers), loaded in several orders beside the sample's August 2020 publication, give
one value per (reporter, metric, day): as known at each release date the region figures equal
that release's own, and otherwise the latest release's; an older release loaded last is kept as
history. Batches retire and restore with provenance; a store from before releases migrates."""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.rdf.vocab import NHSKG
from service.returns.batches import BatchError, list_batches, restore, retire
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.rollup.engine import rollup
from service.rollup.model import Method
from tests.returns_support import (
    WEEKLY_DIR,
    WEEKLY_RELEASES,
    revising,
    snapshot,
    weekly_name,
    write_weekly_cut,
)

AUGUST = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"
CODES = {"RA7", "RBD", "RK9", "RH8", "RBL", "RXN", "RM3", "REF"}
SERIES = {"All beds COVID": str(NHSKG.BedsOccupiedCovid)}
REGIONS = {"South West": "Y58", "North West": "Y62"}
EDITED = ("RA7", "2020-10-01")  # revised in the 2020-12-03 release only (+5 beds)
FIRST, LAST = date(2020, 8, 1), date(2020, 12, 31)
ORDERS = {
    "oldest first": WEEKLY_RELEASES,
    "newest first": tuple(reversed(WEEKLY_RELEASES)),
    "mixed": ("2020-12-03", "2020-11-19", "2020-12-10", "2020-11-26"),
}


@pytest.fixture(scope="module")
def cuts(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("weekly-cuts")
    return {
        r: write_weekly_cut(
            shared_data / WEEKLY_DIR / weekly_name(r),
            folder,
            CODES,
            set(SERIES),
            revising(*EDITED, 5) if r == "2020-12-03" else None,
        )
        for r in WEEKLY_RELEASES
    }


def _rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", newline="") as f:
        return [r for r in csv.DictReader(f) if r["value"]]


def own_figures(cuts: dict[str, Path], known_at: str) -> dict[tuple[str, date], float]:
    """Region totals per day as the releases out by `known_at` give them: each provider's day
    from the latest of those releases that has it (plain Python over the files)."""
    latest: dict[tuple[str, str], tuple[str, str, float]] = {}
    for release in sorted(r for r in cuts if r <= known_at):
        for row in _rows(cuts[release]):
            key = (row["org_code"], row["date"])
            latest[key] = (release, row["nhs_region"], float(row["value"]))
    out: dict[tuple[str, date], float] = defaultdict(float)
    for (_, day), (_, region, value) in latest.items():
        out[(REGIONS[region], date.fromisoformat(day))] += value
    return dict(out)


def figures(numbers: NumbersStore) -> dict[tuple[str, date], float]:
    result = rollup(
        numbers,
        str(NHSKG.BedsOccupiedCovid),
        "NHS_REGION",
        (FIRST, LAST),
        Method.RETURN_STATED,
    )
    return {(r.area, r.period_start): r.value for r in result.rows}


def _load(store: GraphStore, numbers: NumbersStore, path: Path) -> Any:
    result = load_return_file(store, numbers, path)
    assert result.status == "loaded", result.report.text()
    return result


@pytest.fixture(scope="module")
def loaded(sample_store: GraphStore, cuts: dict[str, Path]) -> dict[str, Any]:
    """Per order: the stores after the August sample and the four weekly cuts in that order."""
    out = {}
    for name, order in ORDERS.items():
        store = sample_store.copy_in_memory()
        numbers = NumbersStore(None)
        results = {"august": _load(store, numbers, AUGUST)}
        results |= {r: _load(store, numbers, cuts[r]) for r in order}
        out[name] = {"store": store, "numbers": numbers, "results": results}
    return out


@pytest.mark.parametrize("order", ORDERS)
def test_each_release_as_known_on_its_date(
    loaded: dict[str, Any], cuts: dict[str, Path], order: str
) -> None:
    numbers = loaded[order]["numbers"]
    for release in WEEKLY_RELEASES:
        expected = own_figures(cuts, release)
        assert figures(numbers.known_at(date.fromisoformat(release))) == pytest.approx(expected)
    assert figures(numbers) == pytest.approx(own_figures(cuts, WEEKLY_RELEASES[-1]))


def test_the_revision_shows_only_while_its_release_is_the_latest(loaded: dict[str, Any]) -> None:
    numbers = loaded["mixed"]["numbers"]
    day = date.fromisoformat(EDITED[1])
    at = {
        r: figures(numbers.known_at(date.fromisoformat(r)))[("Y58", day)] for r in WEEKLY_RELEASES
    }
    assert at["2020-12-03"] == at["2020-11-26"] + 5
    assert at["2020-12-10"] == at["2020-11-26"]
    assert figures(numbers)[("Y58", day)] == at["2020-12-10"]


def test_one_value_per_reporter_metric_and_day_whatever_the_order(loaded: dict[str, Any]) -> None:
    answers = []
    for env in loaded.values():
        con = env["numbers"].con
        doubled = con.execute(
            "SELECT reported_code, region_code, metric, period_start, count(DISTINCT batch_id) "
            "FROM "
            "reported_value GROUP BY ALL HAVING count(DISTINCT batch_id) > 1"
        ).fetchall()
        assert doubled == []
        answers.append(
            con.execute(
                "SELECT v.reported_code, v.metric, v.period_start, v.value, b.release_date "
                "FROM reported_value v JOIN batch b USING (batch_id) ORDER BY ALL"
            ).fetchall()
        )
        kept = con.execute("SELECT count(*) FROM release_value").fetchone()
        held = con.execute("SELECT sum(value_count) FROM batch").fetchone()
        assert kept == held  # every release's values are kept
    assert answers[0] == answers[1] == answers[2]


def test_an_older_release_loaded_last_is_history(loaded: dict[str, Any]) -> None:
    results = loaded["newest first"]["results"]
    oldest = results["2020-11-19"]
    assert oldest.release == date(2020, 11, 19) and oldest.release_source == "file name"
    assert oldest.values > 0 and oldest.history == oldest.values and oldest.answering == 0
    assert oldest.later_releases == [f"{weekly_name('2020-12-10')} (2020-12-10)"]
    assert results["2020-12-10"].history == 0
    # Oldest first, each release answers in full when it is loaded.
    assert all(r.history == 0 for r in loaded["oldest first"]["results"].values())


def test_the_sample_slice_then_the_whole_publication_counts_once(
    sample_store: GraphStore, tmp_path: Path
) -> None:
    """The same release loaded as a slice and as a larger file: the later load answers, once."""
    store, numbers = sample_store.copy_in_memory(), NumbersStore(None)
    south_west = tmp_path / "covid-hospital-activity-2020-08-13-long-sw.csv"
    with AUGUST.open(newline="") as f:
        rows = list(csv.DictReader(f))
    with south_west.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["nhs_england_region"] == "South West")
    _load(store, numbers, south_west)
    day = date(2020, 4, 8)
    expected = sum(
        float(r["value"])
        for r in rows
        if r["sheet"] == "Total Beds Occ"
        and r["date"] == day.isoformat()
        and r["value"]
        and r["nhs_england_region"] == "South West"
    )
    args = (str(NHSKG.BedsOccupied), "NHS_REGION", day, Method.RETURN_STATED)
    assert {r.area: r.value for r in rollup(numbers, *args).rows} == {"Y58": expected}
    _load(store, numbers, AUGUST)
    after = {r.area: r.value for r in rollup(numbers, *args).rows}
    assert after["Y58"] == expected  # not 2 x
    assert {b.file: b.answering for b in list_batches(numbers)}[south_west.name] == 0


def test_retire_and_restore_a_release(loaded: dict[str, Any], cuts: dict[str, Path]) -> None:
    env = loaded["oldest first"]
    store, numbers = env["store"], env["numbers"]
    latest = env["results"]["2020-12-10"].batch
    retired = retire(store, numbers, latest.rsplit("/", 1)[-1], "checking a late correction")
    assert retired.status == "retired" and retired.answering == 0
    assert retired.change_note == "checking a late correction"
    assert figures(numbers) == pytest.approx(own_figures(cuts, "2020-12-03"))
    # As known on 2020-12-10 the retired release no longer answers either.
    assert figures(numbers.known_at(date(2020, 12, 10))) == pytest.approx(
        own_figures(cuts, "2020-12-03")
    )
    provenance = store.select(
        "SELECT ?note WHERE { GRAPH ?g { ?a a nhskg:BatchRetirement ; prov:used ?b ; "
        "rdfs:comment ?note } }".replace("?b", f"<{latest}>")
    )
    assert [r["note"] for r in provenance] == ["checking a late correction"]
    restored = restore(store, numbers, latest, "correction checked")
    assert restored.status == "current" and restored.answering == restored.value_count
    assert figures(numbers) == pytest.approx(own_figures(cuts, "2020-12-10"))


def test_bad_batch_commands_change_nothing(loaded: dict[str, Any]) -> None:
    env = loaded["mixed"]
    store, numbers = env["store"], env["numbers"]
    before = snapshot(store, numbers)
    current = env["results"]["2020-11-26"].batch
    with pytest.raises(BatchError, match="no batch 'nope'"):
        retire(store, numbers, "nope", "why")
    with pytest.raises(BatchError, match="not retired"):
        restore(store, numbers, current, "why")
    with pytest.raises(BatchError, match="say why"):
        retire(store, numbers, current, "  ")
    assert snapshot(store, numbers) == before


def test_a_store_from_before_releases_is_migrated(sample_store: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "numbers.duckdb"
    numbers = NumbersStore(path)
    _load(sample_store.copy_in_memory(), numbers, AUGUST)
    count = numbers.value_count()
    numbers.con.execute("DROP TABLE release_value")
    for column in ("release_date", "release_source", "changed_at", "change_note"):
        numbers.con.execute(f"ALTER TABLE batch DROP COLUMN {column}")
    numbers.close()
    reopened = NumbersStore(path)
    assert reopened.con.execute("SELECT count(*) FROM release_value").fetchone() == (count,)
    [batch] = list_batches(reopened)
    assert (batch.release_date, batch.release_source) == (date(2020, 8, 13), "file name")
    assert batch.answering == count
    reopened.close()


def test_a_long_mapping_skips_the_series_it_lists(shared_data: Path, tmp_path: Path) -> None:
    """The weekly mapping leaves out series no metric means yet; without skip_series the same
    file is refused at the first such row, and the message says how to leave it out."""
    import dataclasses

    from service.mapping.readers import LayoutError
    from service.returns.readers import read_return
    from service.returns.spec import load_return_mapping

    path = write_weekly_cut(
        shared_data / WEEKLY_DIR / weekly_name("2020-11-19"),
        tmp_path,
        {"RA7"},
        {"All beds COVID", "New hosp cases"},
    )
    spec = load_return_mapping("weekly-covid-admissions-beds-long")
    values = read_return(path, spec)
    assert set(values.metric) == {str(NHSKG.BedsOccupiedCovid)} and len(values) > 100
    with pytest.raises(LayoutError, match=r"'New hosp cases' is not one of.*skip_series"):
        read_return(path, dataclasses.replace(spec, skip_series=()))


def test_the_same_file_through_a_changed_mapping_is_a_new_batch(
    sample_store: GraphStore, tmp_path: Path
) -> None:
    """ "unchanged" means the same file read by the same mapping: after the mapping changes (a
    corrected column, a stated release), loading the file again replaces its batch, kept as
    history, instead of keeping values the old mapping read."""
    from service.returns.spec import RETURN_MAPPINGS_DIR, load_return_mapping

    store, numbers = sample_store.copy_in_memory(), NumbersStore(None)
    assert load_return_file(store, numbers, AUGUST).status == "loaded"
    assert load_return_file(store, numbers, AUGUST).status == "unchanged"
    changed = tmp_path / "covid-hospital-activity-long.yaml"
    source = RETURN_MAPPINGS_DIR / "covid-hospital-activity-long.yaml"
    changed.write_text(source.read_text() + "\n# revised\n")
    again = load_return_file(store, numbers, AUGUST, load_return_mapping(changed))
    assert again.status == "loaded", again.report.text()
    batches = list_batches(numbers)
    assert [b.status for b in batches] == ["superseded", "current"]
    assert load_return_file(store, numbers, AUGUST, load_return_mapping(changed)).status == (
        "unchanged"
    )
