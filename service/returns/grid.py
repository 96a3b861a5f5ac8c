"""Cells and headings of a return sheet: find the heading row, name columns by heading or letter."""

from __future__ import annotations

from typing import Any

from service.mapping.readers import LayoutError
from service.returns.spec import ReturnMapping

Grid = list[list[Any]]
HEADER_SEARCH_ROWS = 40


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


def cell_text(cell: Any) -> str:
    return cell.strip() if isinstance(cell, str) else ("" if cell is None else str(cell))


def heading_row(file: str, sheet: str, grid: Grid, mapping: ReturnMapping) -> int:
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        cells = {cell_text(c) for c in row}
        if all(h in cells for h in mapping.header_contains):
            return i
    raise LayoutError(
        file, None, f"sheet {sheet!r}: no heading row with {', '.join(mapping.header_contains)}"
    )


def headings(grid: Grid, row: int, group_row: bool) -> dict[str, int]:
    """Heading -> column index; with a group row, also "Group / Heading" (groups fill right)."""
    out: dict[str, int] = {}
    group = ""
    above = grid[row - 1] if group_row and row > 0 else []
    for j, cell in enumerate(grid[row]):
        name = cell_text(cell)
        if j < len(above) and cell_text(above[j]):
            group = cell_text(above[j])
        if name:
            out.setdefault(name, j)
            if group_row and group:
                out.setdefault(f"{group} / {name}", j)
    return out


def column_index(file: str, sheet: str, ref: str, headings: dict[str, int]) -> int:
    if ref.startswith("letter:"):
        return letter_index(ref.split(":", 1)[1])
    if ref not in headings:
        raise LayoutError(file, None, f"sheet {sheet!r}: no column {ref!r}")
    return headings[ref]
