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

SUPPRESSED = "suppressed"


@dataclass
class AreaValues:
    """Parallel lists, one entry per value; `text` is the cell as the file gives it."""

    file: str
    code: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    type_text: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    metric: list[str] = field(default_factory=list)
    start: list[date] = field(default_factory=list)
    end: list[date] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    cell: list[str] = field(default_factory=list)

    def add(
        self,
        code: str,
        name: str,
        type_text: str,
        region: str,
        metric: str,
        period: tuple[date, date],
        text: Any,
        cell: str,
    ) -> None:
        self.code.append(code.strip())
        self.name.append(name.strip())
        self.type_text.append(type_text.strip())
        self.region.append(region.strip())
        self.metric.append(metric)
        self.start.append(period[0])
        self.end.append(period[1])
        self.text.append("" if text is None else str(text))
        self.cell.append(cell)

    def __len__(self) -> int:
        return len(self.code)


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
    read = {"rows": _read_rows, "weeks": _read_weeks, "columns": _read_columns}[mapping.layout]
    read(path.name, grid, heads, mapping, out)
    return out


def _column(file: str, heads: dict[str, int], name: str | None) -> int | None:
    if name is None:
        return None
    if name not in heads:
        raise LayoutError(file, 1, f"no column {name!r}; found {sorted(heads)}")
    return heads[name]


def _letter(j: int) -> str:
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


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


def _read_rows(
    file: str, grid: list[list[str]], heads: dict[str, int], m: AreaMapping, out: AreaValues
) -> None:
    code, name, kind, region = _area_columns(file, heads, m)
    day = _column(file, heads, m.period_column)
    if day is None:
        raise LayoutError(file, None, "a rows layout names its period column")
    metrics = [(_column(file, heads, h), str(metric)) for h, metric in m.metrics.items()]
    width = max([j for j, _ in metrics if j is not None] + [day, name])
    for i, row in _rows(grid, m.header_row + 1, width, file):
        try:
            d = date.fromisoformat(row[day].strip())
        except ValueError as exc:
            raise LayoutError(file, i + 1, f"{row[day]!r} is not a date (YYYY-MM-DD)") from exc
        for j, metric in metrics:
            assert j is not None
            out.add(
                _code(row, code, name, m),
                row[name],
                row[kind] if kind is not None else "",
                row[region] if region is not None else "",
                metric,
                (d, d),
                row[j],
                f"{_letter(j)}{i + 1}",
            )


def _read_weeks(
    file: str, grid: list[list[str]], heads: dict[str, int], m: AreaMapping, out: AreaValues
) -> None:
    code, name, kind, region = _area_columns(file, heads, m)
    if m.week_year is None:
        raise LayoutError(file, None, "a weeks layout names the year of its weeks")
    weeks = []
    for heading, j in heads.items():
        found = re.fullmatch(m.week_pattern, heading)
        if found:
            monday = date.fromisocalendar(m.week_year, int(found.group(1)), 1)
            weeks.append((j, (monday, monday + timedelta(days=6))))
    if not weeks:
        raise LayoutError(file, 1, f"no week columns matching {m.week_pattern!r}")
    metric = str(next(iter(m.metrics.values())))
    width = max([j for j, _ in weeks] + [name])
    for i, row in _rows(grid, m.header_row + 1, width, file):
        for j, period in weeks:
            out.add(
                _code(row, code, name, m),
                row[name],
                row[kind] if kind is not None else "",
                row[region] if region is not None else "",
                metric,
                period,
                row[j],
                f"{_letter(j)}{i + 1}",
            )


def _read_columns(
    file: str, grid: list[list[str]], heads: dict[str, int], m: AreaMapping, out: AreaValues
) -> None:
    code, name, kind, region = _area_columns(file, heads, m)
    if m.period is None:
        raise LayoutError(file, None, "a columns layout states its period (from, to)")
    metrics = [(_column(file, heads, h), str(metric)) for h, metric in m.metrics.items()]
    width = max([j for j, _ in metrics if j is not None] + [name])
    for i, row in _rows(grid, m.header_row + 1, width, file):
        for j, metric in metrics:
            assert j is not None
            out.add(
                _code(row, code, name, m),
                row[name],
                row[kind] if kind is not None else "",
                row[region] if region is not None else "",
                metric,
                m.period,
                row[j],
                f"{_letter(j)}{i + 1}",
            )


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
            out.add(code, name, kind, "", str(m.metrics[band]), (day, day), item.get(value), cell)
