"""A batch's candidate values, held column-wise (a bulk file has about a million of them).

Each value keeps the organisation code, name and region as the return states them, the metric,
the period, the cell's number (or its text, when the cell is not a number, so the validation can
report it) and where it came from (sheet, cell, row). Empty cells are not values: a missing return
is not a zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service.returns.periods import Period


@dataclass
class ReportedCells:
    """What each value is of and where it came from: parallel lists, one entry per value (the
    values reported by organisations here, those reported by area in area_readers.py)."""

    file: str
    code: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    metric: list[str] = field(default_factory=list)
    period_start: list[date] = field(default_factory=list)
    period_end: list[date] = field(default_factory=list)
    cell: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.code)


@dataclass
class CandidateValues(ReportedCells):
    missing: frozenset[str] = frozenset()  # texts the mapping declares mean "not reported"
    value: list[float | None] = field(default_factory=list)
    raw: list[str | None] = field(default_factory=list)  # the text of a cell that is not a number
    sheet: list[str] = field(default_factory=list)
    row: list[int] = field(default_factory=list)

    def add(
        self,
        code: str,
        name: str,
        region: str,
        metric: str,
        period: Period,
        cell_value: Any,
        sheet: str,
        cell: str,
        row: int,
    ) -> None:
        number, raw = _number(cell_value)
        if (number is None and raw is None) or raw in self.missing:
            return
        self.code.append(code)
        self.name.append(name)
        self.region.append(region)
        self.metric.append(metric)
        self.period_start.append(period.start)
        self.period_end.append(period.end)
        self.value.append(number)
        self.raw.append(raw)
        self.sheet.append(sheet)
        self.cell.append(cell)
        self.row.append(row)

    def reported_codes(self) -> list[str]:
        """Each value's organisation code as the return gave it (upper case), before any
        restatement: what the numbers store keeps as reported_code and the batch rules key on."""
        return [c.upper() for c in self.code]

    def where(self, i: int) -> str:
        return f"{self.sheet[i]}!{self.cell[i]}"


def _number(cell: Any) -> tuple[float | None, str | None]:
    """(number, None) for a number; (None, text) for text that is not one; (None, None) if empty."""
    if isinstance(cell, bool):
        return None, str(cell)
    if isinstance(cell, int | float):
        return (float(cell), None) if math.isfinite(cell) else (None, str(cell))
    text = "" if cell is None else str(cell).strip()
    if text == "":
        return None, None
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return None, text
    # 1e999 reads as infinity, "nan" as NaN: neither is a value a return can state.
    return (number, None) if math.isfinite(number) else (None, text)
