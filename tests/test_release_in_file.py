"""A file that states its own release (KH03's "Revised:" and "Published:" cells) is dated by it,
not by the day it was loaded; a stated release that is not a date rejects the file whole."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from service.mapping.readers import LayoutError
from service.rdf.store import GraphStore
from service.returns.batches import list_batches
from service.returns.load import load_return_file
from service.returns.numbers import NumbersStore
from service.returns.readers import day_from_text, release_in_file
from service.returns.spec import mapping_for

KH03 = "kh03-beds-2020-04-to-06.xlsx"


def workbook(path: Path, metadata: list[tuple[str, str | None]]) -> Path:
    """A workbook with KH03's sheet and the given label cells above an empty table."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "NHS Trust by Sector"
    for label, value in metadata:
        sheet.append([label, value])
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        (
            [("Published:", "20th August 2020"), ("Revised:", "19th November 2020")],
            date(2020, 11, 19),
        ),
        ([("Published:", "20th August 2020"), ("Revised:", None)], date(2020, 8, 20)),
        ([("Published:", "1st October 2020")], date(2020, 10, 1)),
        ([("Period:", "April to June 2020")], None),
    ],
    ids=["revised", "revised-empty", "published-only", "none-stated"],
)
def test_the_revision_date_wins_then_the_publication_date(
    tmp_path: Path, metadata: list[tuple[str, str | None]], expected: date | None
) -> None:
    path = workbook(tmp_path / "kh03-beds-2020-04-to-06.xlsx", metadata)
    assert release_in_file(path, mapping_for(path.name)) == expected


def test_a_stated_release_that_is_not_a_date_is_a_layout_error(tmp_path: Path) -> None:
    path = workbook(tmp_path / KH03, [("Published:", "August 2020")])
    with pytest.raises(LayoutError, match="Published: 'August 2020' is not a date"):
        release_in_file(path, mapping_for(path.name))


def test_days_as_nhs_england_writes_them() -> None:
    assert day_from_text("22nd May 2021") == date(2021, 5, 22)
    assert day_from_text("3rd Sept 2021") is None  # no such month abbreviation
    assert day_from_text("2021-05-03") == date(2021, 5, 3)


def test_kh03_is_released_on_its_revision_date_and_a_bad_one_loads_nothing(
    sample_store: GraphStore, shared_data: Path, tmp_path: Path
) -> None:
    store, numbers = sample_store.copy_in_memory(), NumbersStore(None)
    result = load_return_file(store, numbers, shared_data / "returns" / KH03)
    assert result.status == "loaded", result.report.text()
    assert (result.release, result.release_source) == (date(2020, 11, 19), "file")
    [batch] = list_batches(numbers)
    assert (batch.release_date, batch.release_source) == (date(2020, 11, 19), "file")

    broken = tmp_path / "kh03-beds-2020-07-to-09.xlsx"
    shutil.copyfile(shared_data / "returns" / broken.name, broken)
    book = openpyxl.load_workbook(broken)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(max_row=12):
            labels = [i for i, cell in enumerate(row) if cell.value == "Published:"]
            stated = [c for c in row[labels[0] + 1 :] if c.value] if labels else []
            if stated:
                stated[0].value = "not yet"
    book.save(broken)
    before = numbers.con.execute("SELECT count(*) FROM release_value").fetchone()
    rejected = load_return_file(store, numbers, broken)
    assert rejected.status == "rejected"
    assert "Published: 'not yet' is not a date" in rejected.report.text()
    assert numbers.con.execute("SELECT count(*) FROM release_value").fetchone() == before
    assert len(list_batches(numbers)) == 1
