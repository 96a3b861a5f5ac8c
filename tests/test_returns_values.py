"""Values the shapes refuse (shapes/returns.ttl, per-metric bounds in ontology/metrics.ttl): a
number too large for any one organisation (1e300 beds), a fraction of a bed, infinity and NaN.
Each is refused with the file, row and column, and neither store changes; the load's DuckDB
engine and pySHACL give the same findings (tests/test_returns_validation.py for the national
data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.rdf.store import GraphStore
from service.rdf.terms import SAMPLE_DATA_DIR
from service.reference.reporters import reference_organisations
from service.returns.codes import graph_successions, resolve_codes
from service.returns.context import BatchContext, finding_key
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.returns.readers import read_return
from service.returns.shacl_check import shacl_findings
from service.returns.spec import load_return_mapping
from service.returns.vectorised import vectorised_findings

RETURN = SAMPLE_DATA_DIR / "returns/covid-hospital-activity-2020-08-13-long-sw-nw.csv"
LINES = RETURN.read_text().splitlines(keepends=True)
BEDS_LINE = next(i for i, line in enumerate(LINES) if line.startswith("Total Beds Occ,") and i > 5)


def _with_value(tmp_path: Path, value: str) -> Path:
    lines = list(LINES)
    lines[BEDS_LINE] = lines[BEDS_LINE].rsplit(",", 1)[0] + f",{value}\n"
    path = tmp_path / RETURN.name
    path.write_text("".join(lines))
    return path


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("1e300", "larger than any one organisation can report"),
        ("1.5", "must be a whole number"),
        ("1e999", "not a number"),
        ("nan", "not a number"),
        ("-inf", "not a number"),
    ],
)
def test_implausible_values_are_refused_with_row_and_column(
    sample_store: GraphStore, tmp_path: Path, value: str, rule: str
) -> None:
    store, numbers = sample_store.copy_in_memory(), NumbersStore(None)
    result = load_return_file(store, numbers, _with_value(tmp_path, value))
    assert result.status == "rejected"
    [finding] = [f for f in result.report.findings if rule in f.rule]
    assert (finding.file, finding.row) == (RETURN.name, BEDS_LINE + 1)
    assert finding.column and finding.value is not None
    assert numbers.value_count() == 0
    assert not [g for g in store.current_graphs() if "/returns/" in g]


def test_both_engines_agree_on_bounds_whole_numbers_and_infinity(
    sample_store: GraphStore, tmp_path: Path
) -> None:
    beds = [i for i, line in enumerate(LINES) if line.startswith("Total Beds Occ,")][5:8]
    lines = list(LINES)
    for i, value in zip(beds, ["1e300", "1.5", "1e999"], strict=True):
        lines[i] = lines[i].rsplit(",", 1)[0] + f",{value}\n"
    path = tmp_path / RETURN.name
    path.write_text("".join(lines))
    values = read_return(path, load_return_mapping("covid-hospital-activity-long"))
    registered = reference_organisations(sample_store)
    resolution = resolve_codes(values, registered, graph_successions(sample_store))
    ctx = BatchContext(values, resolution, "https://w3id.org/nhskg/id/batch/test/3", registered)
    shacl = {finding_key(f) for f in shacl_findings(ctx, batch_rules="sparql")}
    duck = {finding_key(f) for f in vectorised_findings(ctx)}
    assert shacl == duck
    flagged = {(k[1], k[2].split(" (")[0][:40]) for k in duck if k[4] == "Violation"}
    assert {row for row, _ in flagged} == {i + 1 for i in beds}
    assert len({rule for _, rule in flagged}) >= 3, flagged
