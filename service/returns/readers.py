"""Read a return file into candidate values, as its mapping describes; no judgement of the values.

Every value keeps the sheet and cell it came from. A layout the mapping does not describe (a
missing or renamed sheet, no heading row, a metric column that is not there, a file that is not a
complete workbook) is a LayoutError naming the file and what was expected. A cell that is not a
number is kept as text, so the SHACL rule on numbers rejects it with its cell.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from service.mapping.readers import LayoutError
from service.returns.candidate import CandidateValues
from service.returns.grid import (
    HEADER_SEARCH_ROWS,
    Grid,
    cell_text,
    column_index,
    column_letter,
    heading_row,
    headings,
    letter_index,
)
from service.returns.periods import Period, heading_day, period_from_text
from service.returns.spec import ReturnMapping


def read_return(path: Path, mapping: ReturnMapping) -> CandidateValues:
    sheets = _open(path, mapping)
    out = CandidateValues(file=path.name, missing=frozenset(mapping.missing_markers))
    if mapping.layout == "long":
        sheet = next(iter(sheets))
        _read_long(path.name, sheet, sheets[sheet](), mapping, out)
    elif mapping.layout == "wide-dates":
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


def release_in_file(path: Path, mapping: ReturnMapping) -> date | None:
    """The release the file states in its metadata cells (`release: {labels: [...]}` of the
    mapping; KH03: "Revised: 19th November 2020", else "Published: 20th August 2020"), read from
    the sheet the values come from; None when the mapping names no labels or the file fills none.
    A labelled cell that is not a date is a LayoutError."""
    if not mapping.release_labels:
        return None
    sheets = _open(path, mapping)
    found = [s for s in mapping.sheets if s in sheets] or list(sheets)[:1]
    grid = sheets[found[0]]() if found else []
    for label in mapping.release_labels:
        line, text = labelled(grid, label) or (0, "")
        if text:
            day = day_from_text(text)
            if day is None:
                raise LayoutError(
                    path.name, line, f"{label} {text!r} is not a date (20th August 2020)"
                )
            return day
    return None


def day_from_text(text: str) -> date | None:
    """A day written out as in NHS England's metadata cells: "20th August 2020", "1 July 2021",
    or an ISO date."""
    cleaned = re.sub(r"\b(\d{1,2})(st|nd|rd|th)\b", r"\1", text.strip())
    for fmt in ("%d %B %Y", "%d %b %Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


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
            raw = path.read_bytes()
            name = path.name.removesuffix(".gz").removesuffix(".csv")
            if path.suffix == ".gz":
                raw = gzip.decompress(raw)
            text = raw.decode(mapping.encoding).lstrip("\ufeff")
            rows = list(csv.reader(io.StringIO(text, newline="")))
            return {name: lambda: rows}
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


# ---------------------------------------------------------------- layouts
def _provider_rows(
    grid: Grid,
    start: int,
    code_col: int,
    skip: str,
    leave: tuple[int, frozenset[str]] | None = None,
) -> Iterator[tuple[int, list[Any]]]:
    """Rows from `start` whose code is not one to skip (totals, blanks); `leave`: a column and
    the texts in it that mark rows to leave out (series a long mapping skips)."""
    pattern = re.compile(skip)
    leave_col, leave_texts = leave if leave else (0, frozenset())
    for i in range(start, len(grid)):
        row = grid[i]
        if leave_texts and leave_col < len(row) and cell_text(row[leave_col]) in leave_texts:
            continue
        code = cell_text(row[code_col]) if code_col < len(row) else ""
        if not pattern.fullmatch(code):
            yield i, row


def _provider_columns(
    file: str, sheet: str, mapping: ReturnMapping, heads: dict[str, int]
) -> tuple[int, int, int | None]:
    """The columns of the provider's code, name and (when the mapping names one) region."""
    code_col = column_index(file, sheet, mapping.code, heads)
    name_col = column_index(file, sheet, mapping.name, heads)
    region_col = column_index(file, sheet, mapping.region, heads) if mapping.region else None
    return code_col, name_col, region_col


def _read_wide(
    file: str, sheet: str, grid: Grid, mapping: ReturnMapping, metric: str, out: CandidateValues
) -> None:
    hrow = heading_row(file, sheet, grid, mapping)
    heads = headings(grid, hrow, False)
    code_col, name_col, region_col = _provider_columns(file, sheet, mapping, heads)
    first = letter_index(mapping.first_value_column or "A")
    days: list[tuple[int, date]] = []
    for j, cell in enumerate(grid[hrow][first:], start=first):
        if cell_text(cell) == "":
            continue
        day = heading_day(cell)
        if day is None:
            raise LayoutError(
                file,
                hrow + 1,
                f"sheet {sheet!r}: heading {cell!r} in column {column_letter(j)} is not a date",
            )
        days.append((j, day))
    columns = [(j, Period(day, day), column_letter(j)) for j, day in days]  # once per column
    for i, row in _provider_rows(grid, hrow + 1, code_col, mapping.skip_codes):
        code, name = cell_text(row[code_col]), cell_text(row[name_col])
        region = cell_text(row[region_col]) if region_col is not None else ""
        for j, period, letter in columns:
            cell = row[j] if j < len(row) else ""
            out.add(code, name, region, metric, period, cell, sheet, f"{letter}{i + 1}", i + 1)


def _read_columns(
    file: str, sheet: str, grid: Grid, mapping: ReturnMapping, out: CandidateValues
) -> None:
    hrow = heading_row(file, sheet, grid, mapping)
    heads = headings(grid, hrow, mapping.group_row)
    code_col, name_col, region_col = _provider_columns(file, sheet, mapping, heads)
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
        column_index(file, sheet, mapping.period.column, heads)
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
        code, name = cell_text(row[code_col]), cell_text(row[name_col])
        region = cell_text(row[region_col]) if region_col is not None else ""
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


def _read_long(
    file: str, sheet: str, grid: Grid, mapping: ReturnMapping, out: CandidateValues
) -> None:
    """One value per row: the metric named in one column, the period (a day) in another."""
    hrow = heading_row(file, sheet, grid, mapping)
    heads = headings(grid, hrow, False)
    code_col, name_col, region_col = _provider_columns(file, sheet, mapping, heads)
    metric_col = column_index(file, sheet, mapping.metric_column or "", heads)
    value_col = column_index(file, sheet, mapping.value_column or "", heads)
    period_col = column_index(file, sheet, mapping.period.column or "", heads)
    metrics = {m.headings[0]: str(m.metric) for m in mapping.metrics}
    width = max(code_col, name_col, region_col or 0, metric_col, value_col, period_col)
    periods: dict[Any, Period] = {}  # a day's text is parsed once
    leave = (metric_col, frozenset(mapping.skip_series))
    for i, row in _provider_rows(grid, hrow + 1, code_col, mapping.skip_codes, leave):
        if len(row) <= width:
            raise LayoutError(
                file, i + 1, f"row has {len(row)} cells, {width + 1} expected (truncated file?)"
            )
        label = cell_text(row[metric_col])
        if label not in metrics:
            raise LayoutError(
                file,
                i + 1,
                f"{mapping.metric_column} {label!r} is not one of the mapping's: "
                f"{', '.join(sorted(metrics))} (list it under source: skip_series to leave it out)",
            )
        out.add(
            cell_text(row[code_col]),
            cell_text(row[name_col]),
            cell_text(row[region_col]) if region_col is not None else "",
            metrics[label],
            periods.get(row[period_col]) or _memo(periods, file, i, row, period_col, mapping),
            row[value_col],
            sheet,
            f"{column_letter(value_col)}{i + 1}",
            i + 1,
        )


def _memo(
    periods: dict[Any, Period], file: str, i: int, row: list[Any], col: int, mapping: ReturnMapping
) -> Period:
    period = periods[row[col]] = _row_period(file, i, row, col, mapping)
    return period


def labelled(grid: Grid, label: str | None) -> tuple[int, str] | None:
    """(1-based row, text) of the first non-empty cell after the cell `label` ("Period:",
    "Published:") in the metadata rows above a table ("" when the label has nothing after it);
    None when no cell says `label`."""
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        texts = [cell_text(c) for c in row]
        if label in texts:
            rest = [t for t in texts[texts.index(label) + 1 :] if t]
            return i + 1, rest[0] if rest else ""
    return None


def _fixed_period(file: str, grid: Grid, mapping: ReturnMapping) -> Period | None:
    rule = mapping.period
    if rule.source != "label":
        return None
    found = labelled(grid, rule.label)
    if found is None:
        raise LayoutError(file, None, f"no cell labelled {rule.label!r} giving the period")
    line, text = found
    period = period_from_text(text, rule.pattern or "")
    if period is None:
        shown = [text] if text else []
        raise LayoutError(file, line, f"period {shown!r} does not match {rule.pattern!r}")
    return period


def _row_period(
    file: str, i: int, row: list[Any], col: int | None, mapping: ReturnMapping
) -> Period:
    text = cell_text(row[col]) if col is not None else ""
    if not mapping.period.pattern:  # a date: the period is that day
        day = heading_day(text)
        period = Period(day, day) if day else None
    else:
        period = period_from_text(text, mapping.period.pattern)
    if period is None:
        expected = mapping.period.pattern or "a date (YYYY-MM-DD)"
        raise LayoutError(file, i + 1, f"period {text!r} does not match {expected!r}")
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
    hrow = heading_row(path.name, sheet, grid, mapping)
    heads = headings(grid, hrow, False)
    code_col = column_index(path.name, sheet, mapping.code, heads)
    name_col = column_index(path.name, sheet, mapping.name, heads)
    first = letter_index(mapping.first_value_column or "A")
    days = [(j, heading_day(c)) for j, c in enumerate(grid[hrow][first:], start=first)]
    out: dict[tuple[str, date], float] = {}
    for row in grid[hrow + 1 :]:
        code, label = cell_text(row[code_col]), cell_text(row[name_col])
        if code not in ("", "-"):
            break  # the provider rows have begun
        if label:
            for j, day in days:
                if day is not None and isinstance(row[j], int | float):
                    out[(label, day)] = float(row[j])
    return out
