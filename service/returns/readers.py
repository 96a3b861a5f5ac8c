"""Read a return file into candidate values, as its mapping describes; no judgement of the values.

Every value keeps the sheet and cell it came from. A layout the mapping does not describe (a
missing or renamed sheet, no heading row, a metric column that is not there, a file that is not a
complete workbook) is a LayoutError naming the file and what was expected. A cell that is not a
number is kept as text, so the SHACL rule on numbers rejects it with its cell.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from service.mapping.readers import LayoutError
from service.returns.candidate import CandidateValues
from service.returns.periods import Period, heading_day, period_from_text
from service.returns.spec import ReturnMapping

Grid = list[list[Any]]
HEADER_SEARCH_ROWS = 40


def read_return(path: Path, mapping: ReturnMapping) -> CandidateValues:
    sheets = _open(path, mapping)
    out = CandidateValues(file=path.name, missing=frozenset(mapping.missing_markers))
    if mapping.layout == "wide-dates":
        for column in mapping.metrics:
            sheet = column.headings[0]
            if sheet not in sheets:
                raise LayoutError(path.name, None, f"no sheet {sheet!r}; found {list(sheets)}")
            _read_wide(path.name, sheet, sheets[sheet](), mapping, str(column.metric), out)
    else:
        found = [s for s in mapping.sheets if s in sheets] or (
            list(sheets) if not mapping.sheets else []
        )
        if not found:
            raise LayoutError(
                path.name, None, f"no sheet {' or '.join(mapping.sheets)}; found {list(sheets)}"
            )
        _read_columns(path.name, found[0], sheets[found[0]](), mapping, out)
    return out


# ---------------------------------------------------------------- file formats -> grids
def _open(path: Path, mapping: ReturnMapping) -> dict[str, Callable[[], Grid]]:
    """Sheet name -> a function reading that sheet's cells (sheets are read only when needed)."""
    try:
        if mapping.format == "xlsx":
            from python_calamine import CalamineWorkbook

            book = CalamineWorkbook.from_path(str(path))
            return {n: partial(_calamine_grid, book, n) for n in book.sheet_names}
        if mapping.format == "xls":
            import xlrd

            xbook = xlrd.open_workbook(str(path))
            return {n: partial(_xls_grid, xbook, n) for n in xbook.sheet_names()}
        if mapping.format == "csv":
            text = path.read_bytes().decode(mapping.encoding).lstrip("\ufeff")
            rows = list(csv.reader(io.StringIO(text, newline="")))
            return {path.stem: lambda: rows}
    except LayoutError:
        raise
    except Exception as exc:  # any reader failure means the file is not the workbook we expect
        raise LayoutError(path.name, None, f"not a readable {mapping.format} file ({exc})") from exc
    raise LayoutError(path.name, None, f"source format {mapping.format!r} is not supported")


def _calamine_grid(book: Any, name: str) -> Grid:
    return list(book.get_sheet_by_name(name).to_python())


def _xls_grid(book: Any, name: str) -> Grid:
    sheet = book.sheet_by_name(name)
    return [sheet.row_values(i) for i in range(sheet.nrows)]


# ---------------------------------------------------------------- headings
def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def letter_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def _text(cell: Any) -> str:
    return cell.strip() if isinstance(cell, str) else ("" if cell is None else str(cell))


def _heading_row(file: str, sheet: str, grid: Grid, mapping: ReturnMapping) -> int:
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        cells = {_text(c) for c in row}
        if all(h in cells for h in mapping.header_contains):
            return i
    raise LayoutError(
        file, None, f"sheet {sheet!r}: no heading row with {', '.join(mapping.header_contains)}"
    )


def _headings(grid: Grid, row: int, group_row: bool) -> dict[str, int]:
    """Heading -> column index; with a group row, also "Group / Heading" (groups fill right)."""
    out: dict[str, int] = {}
    group = ""
    above = grid[row - 1] if group_row and row > 0 else []
    for j, cell in enumerate(grid[row]):
        name = _text(cell)
        if j < len(above) and _text(above[j]):
            group = _text(above[j])
        if name:
            out.setdefault(name, j)
            if group_row and group:
                out.setdefault(f"{group} / {name}", j)
    return out


def _column(file: str, sheet: str, ref: str, headings: dict[str, int]) -> int:
    if ref.startswith("letter:"):
        return letter_index(ref.split(":", 1)[1])
    if ref not in headings:
        raise LayoutError(file, None, f"sheet {sheet!r}: no column {ref!r}")
    return headings[ref]


# ---------------------------------------------------------------- layouts
def _provider_rows(
    grid: Grid, start: int, code_col: int, skip: str
) -> Iterator[tuple[int, list[Any]]]:
    pattern = re.compile(skip)
    for i in range(start, len(grid)):
        row = grid[i]
        code = _text(row[code_col]) if code_col < len(row) else ""
        if not pattern.fullmatch(code):
            yield i, row


def _read_wide(
    file: str, sheet: str, grid: Grid, mapping: ReturnMapping, metric: str, out: CandidateValues
) -> None:
    hrow = _heading_row(file, sheet, grid, mapping)
    heads = _headings(grid, hrow, False)
    code_col = _column(file, sheet, mapping.code, heads)
    name_col = _column(file, sheet, mapping.name, heads)
    region_col = _column(file, sheet, mapping.region, heads) if mapping.region else None
    first = letter_index(mapping.first_value_column or "A")
    days: list[tuple[int, date]] = []
    for j, cell in enumerate(grid[hrow][first:], start=first):
        if _text(cell) == "":
            continue
        day = heading_day(cell)
        if day is None:
            raise LayoutError(
                file,
                hrow + 1,
                f"sheet {sheet!r}: heading {cell!r} in column {column_letter(j)} is not a date",
            )
        days.append((j, day))
    for i, row in _provider_rows(grid, hrow + 1, code_col, mapping.skip_codes):
        code, name = _text(row[code_col]), _text(row[name_col])
        region = _text(row[region_col]) if region_col is not None else ""
        for j, day in days:
            cell = row[j] if j < len(row) else ""
            out.add(
                code,
                name,
                region,
                metric,
                Period(day, day),
                cell,
                sheet,
                f"{column_letter(j)}{i + 1}",
                i + 1,
            )


def _read_columns(
    file: str, sheet: str, grid: Grid, mapping: ReturnMapping, out: CandidateValues
) -> None:
    hrow = _heading_row(file, sheet, grid, mapping)
    heads = _headings(grid, hrow, mapping.group_row)
    code_col = _column(file, sheet, mapping.code, heads)
    name_col = _column(file, sheet, mapping.name, heads)
    region_col = _column(file, sheet, mapping.region, heads) if mapping.region else None
    metric_cols: list[tuple[str, int]] = []
    for m in mapping.metrics:
        found = [heads[h] for h in m.headings if h in heads]
        if found:
            metric_cols.append((str(m.metric), found[0]))
        elif not m.optional:
            raise LayoutError(
                file, hrow + 1, f"sheet {sheet!r}: no column {' or '.join(m.headings)!r}"
            )
    fixed = _fixed_period(file, grid, mapping)
    period_col = (
        _column(file, sheet, mapping.period.column, heads)
        if mapping.period.source == "column" and mapping.period.column
        else None
    )
    width = max([c for _, c in metric_cols] + [code_col, name_col])
    for i, row in _provider_rows(grid, hrow + 1, code_col, mapping.skip_codes):
        if len(row) <= width:
            raise LayoutError(
                file, i + 1, f"row has {len(row)} cells, {width + 1} expected (truncated file?)"
            )
        period = fixed or _row_period(file, i, row, period_col, mapping)
        code, name = _text(row[code_col]), _text(row[name_col])
        region = _text(row[region_col]) if region_col is not None else ""
        for metric, j in metric_cols:
            out.add(
                code,
                name,
                region,
                metric,
                period,
                row[j],
                sheet,
                f"{column_letter(j)}{i + 1}",
                i + 1,
            )


def _fixed_period(file: str, grid: Grid, mapping: ReturnMapping) -> Period | None:
    rule = mapping.period
    if rule.source != "label":
        return None
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        texts = [_text(c) for c in row]
        if rule.label in texts:
            rest = [t for t in texts[texts.index(rule.label) + 1 :] if t]
            period = period_from_text(rest[0] if rest else "", rule.pattern or "")
            if period is None:
                raise LayoutError(
                    file, i + 1, f"period {rest[:1]!r} does not match {rule.pattern!r}"
                )
            return period
    raise LayoutError(file, None, f"no cell labelled {rule.label!r} giving the period")


def _row_period(
    file: str, i: int, row: list[Any], col: int | None, mapping: ReturnMapping
) -> Period:
    text = _text(row[col]) if col is not None else ""
    period = period_from_text(text, mapping.period.pattern or "")
    if period is None:
        raise LayoutError(file, i + 1, f"period {text!r} does not match {mapping.period.pattern!r}")
    return period


def is_date(cell: Any) -> bool:
    return isinstance(cell, date | datetime)


def read_stated_totals(
    path: Path, mapping: ReturnMapping, sheet: str
) -> dict[tuple[str, date], float]:
    """The totals a wide sheet publishes above its provider rows (ENGLAND and each region, by the
    label in the name column), read separately from the values: (label, day) -> total."""
    book = _open(path, mapping)
    if sheet not in book:
        raise LayoutError(path.name, None, f"no sheet {sheet!r}")
    grid = book[sheet]()
    hrow = _heading_row(path.name, sheet, grid, mapping)
    heads = _headings(grid, hrow, False)
    code_col = _column(path.name, sheet, mapping.code, heads)
    name_col = _column(path.name, sheet, mapping.name, heads)
    first = letter_index(mapping.first_value_column or "A")
    days = [(j, heading_day(c)) for j, c in enumerate(grid[hrow][first:], start=first)]
    out: dict[tuple[str, date], float] = {}
    for row in grid[hrow + 1 :]:
        code, label = _text(row[code_col]), _text(row[name_col])
        if code not in ("", "-"):
            break  # the provider rows have begun
        if label:
            for j, day in days:
                if day is not None and isinstance(row[j], int | float):
                    out[(label, day)] = float(row[j])
    return out
