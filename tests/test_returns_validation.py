"""Corrupt returns are rejected whole with a report naming the cell; both validation engines agree;
predecessor codes are restated (or rejected in strict mode); a re-load replaces its batch."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.rdf.vocab import NHSKG
from service.reference.reporters import reference_organisations
from service.returns.codes import Step, graph_successions, resolve_codes
from service.returns.context import BatchContext, finding_key
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.returns.readers import read_return
from service.returns.shacl_check import shacl_findings
from service.returns.spec import load_return_mapping
from service.returns.vectorised import vectorised_findings
from tests.returns_support import COVID_FILE, snapshot, write_covid_extract
from tests.support.stores import backup_store

DAY = date(2020, 5, 1)
NAME = "covid-sitrep-daily-2020-05-01.xlsx"  # a daily batch in the publication layout


def _first_provider(rows: list[list[Any]]) -> int:
    return next(i for i, r in enumerate(rows) if i > 11 and r[2] not in ("", "-", None))


def text_value(sheet: str, rows: list[list[Any]]) -> list[list[Any]]:
    if sheet == "Admissions":
        rows[_first_provider(rows) + 3][4] = "n/a"
    return rows


def duplicated_row(sheet: str, rows: list[list[Any]]) -> list[list[Any]]:
    if sheet == "Total Beds Occ":
        i = _first_provider(rows) + 5
        rows.insert(i + 1, list(rows[i]))
    return rows


def negative_value(sheet: str, rows: list[list[Any]]) -> list[list[Any]]:
    if sheet == "All Absences":
        rows[_first_provider(rows)][4] = -3.0
    return rows


@pytest.fixture
def daily(shared_data: Path, tmp_path: Path) -> Path:
    return write_covid_extract(shared_data / COVID_FILE, tmp_path / NAME, (DAY,))


@pytest.mark.parametrize("engine", ["duckdb", "pyshacl"])
def test_daily_batch_is_valid_with_either_engine(
    returns_env: dict[str, Any], daily: Path, engine: str
) -> None:
    store, numbers = returns_env["store"], returns_env["numbers"]
    result = load_return_file(store, numbers, daily, dry_run=True, engine=engine)
    assert result.status == "valid", result.report.text()
    assert result.engine == engine and 3000 <= result.values <= 3300


@pytest.mark.parametrize(
    ("edit", "rule", "cell"),
    [
        (text_value, "not a number", "Admissions!E"),
        (duplicated_row, "More than one value", "Total Beds Occ!E"),
        (negative_value, "cannot be negative", "All Absences!E"),
    ],
)
def test_corrupt_values_are_rejected_and_change_nothing(
    returns_env: dict[str, Any], shared_data: Path, tmp_path: Path, edit: Any, rule: str, cell: str
) -> None:
    path = write_covid_extract(shared_data / COVID_FILE, tmp_path / NAME, (DAY,), edit=edit)
    store, numbers = returns_env["store"], returns_env["numbers"]
    before = snapshot(store, numbers)
    result = load_return_file(store, numbers, path)
    assert result.status == "rejected"
    hits = [f for f in result.report.findings if rule in f.rule]
    assert hits, result.report.text()
    assert all(f.file == NAME and f.row and f.column and f.column.startswith(cell) for f in hits)
    assert all(f.shape and f.shape.startswith("https://w3id.org/nhskg/shapes#") for f in hits)
    assert hits[0].value is not None
    assert snapshot(store, numbers) == before


def test_truncated_file_is_rejected_and_changes_nothing(
    returns_env: dict[str, Any], daily: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "cut" / NAME
    broken.parent.mkdir()
    broken.write_bytes(daily.read_bytes()[: daily.stat().st_size // 2])
    store, numbers = returns_env["store"], returns_env["numbers"]
    before = snapshot(store, numbers)
    result = load_return_file(store, numbers, broken)
    assert result.status == "rejected"
    assert "not a readable xlsx file" in result.report.findings[0].rule
    assert snapshot(store, numbers) == before


def test_renamed_sheet_is_rejected_and_changes_nothing(
    returns_env: dict[str, Any], shared_data: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    path = write_covid_extract(shared_data / COVID_FILE, tmp_path / NAME, (DAY,))
    book = load_workbook(path)
    book["Admissions"].title = "Admissions (new)"
    book.save(path)
    store, numbers = returns_env["store"], returns_env["numbers"]
    before = snapshot(store, numbers)
    result = load_return_file(store, numbers, path)
    assert result.status == "rejected"
    assert "no sheet 'Admissions'" in result.report.findings[0].rule
    assert snapshot(store, numbers) == before


# ---------------------------------------------------------------- both engines agree
def _context(returns_env: dict[str, Any], path: Path, mapping: str) -> BatchContext:
    store = returns_env["store"]
    values = read_return(path, load_return_mapping(mapping))
    registered = reference_organisations(store)
    resolution = resolve_codes(values, registered, graph_successions(store))
    return BatchContext(values, resolution, "https://w3id.org/nhskg/id/batch/test/1", registered)


def _broken_kh03(ctx: BatchContext) -> BatchContext:
    v = ctx.values
    occupied = v.metric.index("https://w3id.org/nhskg/def#OvernightBedsOccupied")
    v.value[occupied] = 1e9  # occupied above available
    v.value[3], v.raw[3] = None, "twelve"
    v.value[2] = -1.0
    v.metric[7] = "https://w3id.org/nhskg/def#NotAMetric"
    v.period_start[9] = date(1990, 1, 1)  # before the trust opened
    for column in (
        "code",
        "name",
        "region",
        "metric",
        "period_start",
        "period_end",
        "value",
        "raw",
        "sheet",
        "cell",
        "row",
    ):
        getattr(v, column).append(getattr(v, column)[20])  # a duplicated value
    ctx.resolution.org_iri.append(ctx.resolution.org_iri[20])
    ctx.resolution.org_code.append(ctx.resolution.org_code[20])
    return ctx


@pytest.mark.parametrize("broken", [False, True])
def test_pyshacl_and_duckdb_give_identical_verdicts_on_kh03(
    returns_env: dict[str, Any], shared_data: Path, broken: bool
) -> None:
    path = shared_data / "returns/kh03-beds-2020-04-to-06.xlsx"
    ctx = _context(returns_env, path, "kh03-beds")
    if broken:
        ctx = _broken_kh03(ctx)
    shacl = {finding_key(f) for f in shacl_findings(ctx, batch_rules="sparql")}
    duck = {finding_key(f) for f in vectorised_findings(ctx)}
    assert shacl == duck
    assert bool(shacl) == broken
    if broken:
        rules = {k[2].split(" (")[0][:30] for k in shacl}
        assert len(rules) >= 6, rules


def three_faults(sheet: str, rows: list[list[Any]]) -> list[list[Any]]:
    """A text value, a duplicated row and a negative count, each on its own sheet."""
    return negative_value(sheet, duplicated_row(sheet, text_value(sheet, rows)))


@pytest.mark.parametrize("edit", [None, three_faults], ids=["as-published", "three-faults"])
def test_pyshacl_and_duckdb_give_identical_verdicts_on_daily_covid(
    returns_env: dict[str, Any], shared_data: Path, tmp_path: Path, edit: Any
) -> None:
    # pySHACL takes about 3 s over one day's 3,150 values, so the three faults share one day.
    days = (date(2020, 4, 2),)  # a day with COVID beds above all beds (warnings)
    path = write_covid_extract(shared_data / COVID_FILE, tmp_path / NAME, days, edit=edit)
    ctx = _context(returns_env, path, "covid-sitrep-daily")
    shacl = {finding_key(f) for f in shacl_findings(ctx, batch_rules="sparql")}
    assert shacl == {finding_key(f) for f in vectorised_findings(ctx)}
    assert any(k[4] == "Warning" for k in shacl)
    violated = {k[2].split(" (")[0] for k in shacl if k[4] == "Violation"}
    assert len(violated) == (3 if edit else 0), violated


# ---------------------------------------------------------------- both engines, embedded sample
SAMPLE_RETURN = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"


def _broken_sample(ctx: BatchContext) -> BatchContext:
    """Every per-value and batch-wide rule broken at least once."""
    v, registered = ctx.values, {r.iri for r in ctx.registered.values()}
    beds = str(NHSKG.BedsOccupied)
    covid = v.metric.index(str(NHSKG.BedsOccupiedCovid))
    v.value[covid] = 1e6  # COVID beds above all beds: a warning (subsetOf)
    v.value[3], v.raw[3] = None, "twelve"
    v.value[2] = -1.0
    v.metric[7] = str(NHSKG) + "NotAMetric"
    trust = next(i for i, iri in enumerate(ctx.resolution.org_iri) if iri in registered)
    v.period_start[trust] = date(1970, 1, 1)  # before the trust opened
    dup = next(i for i, m in enumerate(v.metric) if m == beds)
    for column in ("code", "name", "region", "metric", "period_start", "period_end", "value"):
        getattr(v, column).append(getattr(v, column)[dup])
    for column in ("raw", "sheet", "cell", "row"):
        getattr(v, column).append(getattr(v, column)[dup])
    ctx.resolution.org_iri.append(ctx.resolution.org_iri[dup])
    ctx.resolution.org_code.append(ctx.resolution.org_code[dup])
    return ctx


@pytest.mark.parametrize("broken", [False, True])
def test_pyshacl_and_duckdb_give_identical_verdicts_on_the_sample_return(
    sample_store: GraphStore, broken: bool
) -> None:
    """Runs on a fresh clone (embedded sample): the load's engine against pySHACL as written."""
    values = read_return(SAMPLE_RETURN, load_return_mapping("covid-hospital-activity-long"))
    registered = reference_organisations(sample_store)
    resolution = resolve_codes(values, registered, graph_successions(sample_store))
    ctx = BatchContext(values, resolution, "https://w3id.org/nhskg/id/batch/test/2", registered)
    if broken:
        ctx = _broken_sample(ctx)
    shacl = {finding_key(f) for f in shacl_findings(ctx, batch_rules="sparql")}
    duck = {finding_key(f) for f in vectorised_findings(ctx)}
    assert shacl == duck
    violations = {k[2] for k in shacl if k[4] == "Violation"}
    if broken:
        assert len(violations) >= 5, violations  # text, negative, metric, dates, duplicate
        assert any(k[4] == "Warning" and "subset" in k[2] for k in shacl)
    else:
        assert not violations


# ---------------------------------------------------------------- codes after a succession
def _fake_succession(returns_env: dict[str, Any], daily: Path) -> tuple[str, str, Any]:
    """A real trust of the batch (predecessor) and a registered open trust absent from the batch
    (successor), joined by a succession dated before the batch's day."""
    store = returns_env["store"]
    values = read_return(daily, load_return_mapping("covid-sitrep-daily"))
    registered = reference_organisations(store)
    in_batch = set(values.code)
    pred = sorted(c for c in in_batch if c in registered and c.startswith("R"))[0]
    succ = sorted(
        c
        for c, r in registered.items()
        if c not in in_batch
        and len(c) == 3
        and r.close_date is None
        and r.open_date
        and r.open_date < date(2020, 1, 1)
    )[0]
    steps = {pred: [Step(date(2020, 4, 1), (succ,))]}
    return pred, succ, lambda code: steps.get(code, [])


def test_predecessor_code_is_restated_with_a_warning(
    returns_env: dict[str, Any], daily: Path
) -> None:
    pred, succ, successions = _fake_succession(returns_env, daily)
    result = load_return_file(
        returns_env["store"], returns_env["numbers"], daily, successions=successions, dry_run=True
    )
    assert result.status == "valid", result.report.text()
    restated = [w for w in result.warnings if f"{pred} was succeeded by {succ}" in w.rule]
    assert restated and all(w.severity == "Warning" for w in restated)


def test_predecessor_code_is_rejected_in_strict_mode(
    returns_env: dict[str, Any], daily: Path
) -> None:
    pred, succ, successions = _fake_succession(returns_env, daily)
    store, numbers = returns_env["store"], returns_env["numbers"]
    before = snapshot(store, numbers)
    result = load_return_file(store, numbers, daily, successions=successions, strict=True)
    assert result.status == "rejected"
    assert any(f"{pred} was succeeded by {succ}" in f.rule for f in result.report.findings)
    assert snapshot(store, numbers) == before


# ---------------------------------------------------------------- re-loads
def test_reloaded_batch_replaces_the_earlier_one_and_provenance_keeps_both(
    returns_env: dict[str, Any], shared_data: Path, tmp_path: Path
) -> None:
    # A copy of the stores: the batches written here would add a second 2020-05-01 to the
    # session's COVID publication, which the region-total tests compare with NHS England's.
    backup_store(returns_env["store"], tmp_path / "store")
    store, numbers = GraphStore(tmp_path / "store"), NumbersStore(tmp_path / "numbers.duckdb")
    (tmp_path / "a").mkdir()
    first = write_covid_extract(shared_data / COVID_FILE, tmp_path / "a" / NAME, (DAY,))
    one = load_return_file(store, numbers, first)
    assert one.status == "loaded", one.report.text()
    assert load_return_file(store, numbers, first).status == "unchanged"

    def bump(sheet: str, rows: list[list[Any]]) -> list[list[Any]]:
        if sheet == "Admissions":
            rows[_first_provider(rows)][4] = float(rows[_first_provider(rows)][4] or 0) + 1
        return rows

    (tmp_path / "b").mkdir()
    second = write_covid_extract(shared_data / COVID_FILE, tmp_path / "b" / NAME, (DAY,), edit=bump)
    two = load_return_file(store, numbers, second)
    assert two.status == "loaded" and two.batch != one.batch
    assert numbers.value_count(one.batch) == 0 and numbers.value_count(two.batch) == two.values
    statuses = {b: s for b, _, s in numbers.batches()}
    assert statuses[one.batch] == "superseded" and statuses[two.batch] == "current"
    rows = store.select(
        "SELECT ?new ?old WHERE { ?new prov:wasRevisionOf ?old . ?old prov:invalidatedAtTime ?t }"
    )
    assert {"new": two.batch, "old": one.batch} in rows
