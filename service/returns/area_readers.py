"""Read a file of values by area into candidate values, as its area mapping describes.

Each value keeps its row and column. A layout the mapping does not describe (a missing column, a
heading that is no ISO week, JSON without the records) is a LayoutError. A cell is parsed here
(" 95,611 " is 95611) but not judged: a text that is no number, a suppressed marker where the
mapping allows none, a negative or fractional count are findings of the loader
(service/returns/area_load.py), each with its cell.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from service.mapping.readers import LayoutError
from service.returns.area_spec import AreaMapping
from service.returns.candidate import ReportedCells
from service.returns.grid import column_letter

SUPPRESSED = "suppressed"


Area = tuple[str, str, str, str]  # code, name, type text, region (as the file gives them)


@dataclass
class AreaValues(ReportedCells):
    """The cells of candidate.ReportedCells, with each row's type text and `text`, the cell as
    the file gives it."""

    type_text: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def add(self, area: Area, metric: str, period: tuple[date, date], text: Any, cell: str) -> None:
        code, name, type_text, region = (t.strip() for t in area)
        self.code.append(code)
        self.name.append(name)
        self.type_text.append(type_text)
        self.region.append(region)
        self.metric.append(metric)
        self.period_start.append(period[0])
        self.period_end.append(period[1])
        self.text.append("" if text is None else str(text))
        self.cell.append(cell)


def parse_number(text: str, suppressed: tuple[str, ...]) -> tuple[float | None, str | None]:
    """(value, marker): a number written with thousands separators and spaces, or (None,
    'suppressed') for a marker the mapping lists; (None, None) for anything else."""
    stripped = text.strip()
    if stripped in suppressed:
        return None, SUPPRESSED
    try:
        return float(stripped.replace(",", "")), None
    except ValueError:
        return None, None


def read_area_file(path: Path, mapping: AreaMapping) -> AreaValues:
    out = AreaValues(path.name)
    if mapping.format == "json":
        _read_json(path, mapping, out)
        return out
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutError(path.name, None, f"not a readable csv file ({exc})") from exc
    grid = list(csv.reader(io.StringIO(text, newline="")))
    if len(grid) <= mapping.header_row:
        raise LayoutError(path.name, None, "the file has no heading row")
    heads = {h.strip(): j for j, h in enumerate(grid[mapping.header_row]) if h.strip()}
    _read_grid(path.name, grid, heads, mapping, out)
    return out


def _column(file: str, heads: dict[str, int], name: str | None) -> int | None:
    if name is None:
        return None
    if name not in heads:
        raise LayoutError(file, 1, f"no column {name!r}; found {sorted(heads)}")
    return heads[name]


def _area_columns(
    file: str, heads: dict[str, int], mapping: AreaMapping
) -> tuple[int | None, int, int | None, int | None]:
    code = _column(file, heads, mapping.code)
    name = _column(file, heads, mapping.name)
    assert name is not None
    return (
        code,
        name,
        _column(file, heads, mapping.type_column),
        _column(file, heads, mapping.region),
    )


def _rows(grid: list[list[str]], start: int, width: int, file: str) -> list[tuple[int, list[str]]]:
    out = []
    for i in range(start, len(grid)):
        row = grid[i]
        if not any(c.strip() for c in row):
            continue
        if len(row) <= width:
            raise LayoutError(file, i + 1, f"row has {len(row)} cells, {width + 1} expected")
        out.append((i, row))
    return out


def _code(row: list[str], code: int | None, name: int, mapping: AreaMapping) -> str:
    if code is not None:
        return row[code]
    return mapping.areas_by_name.get(row[name].strip(), "")


Cells = list[tuple[int, str, tuple[date, date] | None]]  # column, metric, period (None: the row's)


def _read_rows(file: str, heads: dict[str, int], m: AreaMapping) -> tuple[Cells, int | None]:
    """One row per area and day (the period column), one column per metric."""
    day = _column(file, heads, m.period_column)
    if day is None:
        raise LayoutError(file, None, "a rows layout names its period column")
    return _metric_cells(file, heads, m, None), day


def _read_weeks(file: str, heads: dict[str, int], m: AreaMapping) -> tuple[Cells, int | None]:
    """One row per area, one column per ISO week, of the mapping's one metric."""
    if m.week_year is None:
        raise LayoutError(file, None, "a weeks layout names the year of its weeks")
    metric = str(next(iter(m.metrics.values())))
    cells: Cells = []
    for heading, j in heads.items():
        found = re.fullmatch(m.week_pattern, heading)
        if found:
            monday = date.fromisocalendar(m.week_year, int(found.group(1)), 1)
            cells.append((j, metric, (monday, monday + timedelta(days=6))))
    if not cells:
        raise LayoutError(file, 1, f"no week columns matching {m.week_pattern!r}")
    return cells, None


def _read_columns(file: str, heads: dict[str, int], m: AreaMapping) -> tuple[Cells, int | None]:
    """One row per area, one column per metric, one period for the whole file."""
    if m.period is None:
        raise LayoutError(file, None, "a columns layout states its period (from, to)")
    return _metric_cells(file, heads, m, m.period), None


def _metric_cells(
    file: str, heads: dict[str, int], m: AreaMapping, period: tuple[date, date] | None
) -> Cells:
    cells: Cells = []
    for heading, metric in m.metrics.items():
        j = _column(file, heads, heading)
        assert j is not None
        cells.append((j, str(metric), period))
    return cells


def _read_grid(
    file: str, grid: list[list[str]], heads: dict[str, int], m: AreaMapping, out: AreaValues
) -> None:
    layouts = {"rows": _read_rows, "weeks": _read_weeks, "columns": _read_columns}
    code, name, kind, region = _area_columns(file, heads, m)
    cells, day = layouts[m.layout](file, heads, m)
    width = max([j for j, _, _ in cells] + [name] + ([day] if day is not None else []))
    for i, row in _rows(grid, m.header_row + 1, width, file):
        period = _day(file, i, row, day)
        area = (
            _code(row, code, name, m),
            row[name],
            row[kind] if kind is not None else "",
            row[region] if region is not None else "",
        )
        for j, metric, fixed in cells:
            out.add(area, metric, fixed or period, row[j], f"{column_letter(j)}{i + 1}")


def _day(file: str, i: int, row: list[str], day: int | None) -> tuple[date, date]:
    """The row's day (rows layout); other layouts' cells carry their period."""
    if day is None:
        return (date.min, date.min)
    try:
        d = date.fromisoformat(row[day].strip())
    except ValueError as exc:
        raise LayoutError(file, i + 1, f"{row[day]!r} is not a date (YYYY-MM-DD)") from exc
    return (d, d)


def _read_json(path: Path, m: AreaMapping, out: AreaValues) -> None:
    try:
        records = json.loads(path.read_text())[m.records]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LayoutError(path.name, None, f"no JSON list {m.records!r} ({exc})") from exc
    if m.nested is None or m.period_column is None:
        raise LayoutError(path.name, None, "a dashboard-json layout names nested and period")
    listed, key, value = m.nested
    for i, record in enumerate(records):
        try:
            day = date.fromisoformat(str(record[m.period_column]))
            name = str(record[m.name])
            code = str(record[m.code]) if m.code else m.areas_by_name.get(name, "")
            kind = str(record[m.type_column]) if m.type_column else ""
            items = record[listed]
        except (KeyError, TypeError, ValueError) as exc:
            raise LayoutError(path.name, i + 1, f"record {i + 1}: {exc!r}") from exc
        for item in items:
            band = str(item.get(key))
            if band not in m.metrics:
                raise LayoutError(
                    path.name, i + 1, f"{key} {band!r} is not one of {sorted(m.metrics)}"
                )
            cell = f"{m.records}[{i}].{listed}[{key}={band}].{value}"
            out.add((code, name, kind, ""), str(m.metrics[band]), (day, day), item.get(value), cell)
