"""Read source files into numbered rows, checking the layout the mapping expects.

A layout the mapping does not describe (wrong column count, missing headers, unreadable bytes) is
a LayoutError naming the file, the row and what was expected, never a silent partial read.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from service.mapping.spec import SourceLayout


@dataclass(frozen=True)
class Row:
    number: int  # 1-based line number in the file, header included
    values: dict[str, str]


class LayoutError(ValueError):
    def __init__(self, file: str, row: int | None, message: str) -> None:
        super().__init__(f"{file}, row {row}: {message}" if row else f"{file}: {message}")
        self.file = file
        self.row = row
        self.message = message


class UnreadableFile(ValueError):
    """Not a text file in the mapping's encoding: an I/O problem (exit 2), not a rule broken."""


def _text(path: Path, encoding: str) -> str:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise LayoutError(path.name, None, f"not a complete gzip file ({exc})") from exc
    if b"\x00" in raw[:4096]:
        raise UnreadableFile(f"{path.name} is a binary file, not {encoding} text")
    try:
        return raw.decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"{path.name} is not {encoding} text (byte {exc.start}: a binary file?)"
        ) from exc


def read_rows(path: Path, layout: SourceLayout) -> Iterator[Row]:
    if layout.format != "csv":
        raise LayoutError(path.name, None, f"source format {layout.format!r} is not supported")
    reader = csv.reader(
        io.StringIO(_text(path, layout.encoding), newline=""), delimiter=layout.delimiter
    )
    if layout.header:
        yield from _with_header(path.name, reader, layout)
    else:
        yield from _headerless(path.name, reader, layout)


def _headerless(name: str, reader: Iterator[list[str]], layout: SourceLayout) -> Iterator[Row]:
    allowed = layout.column_counts or (len(layout.columns),)
    for number, cells in enumerate(reader, start=1):
        if not cells:
            continue
        if len(cells) not in allowed:
            raise LayoutError(
                name,
                number,
                f"{len(cells)} columns; this layout has {' or '.join(map(str, allowed))}",
            )
        yield Row(
            number,
            {col: cells[i].strip() for i, col in enumerate(layout.columns) if i < len(cells)},
        )


def _with_header(name: str, reader: Iterator[list[str]], layout: SourceLayout) -> Iterator[Row]:
    header = next(reader, None)
    if header is None:
        raise LayoutError(name, 1, "the file is empty")
    header = [h.strip() for h in header]
    missing = [c for c in layout.columns if c not in header]
    if missing:
        raise LayoutError(
            name,
            1,
            f"unknown column layout: missing {', '.join(missing)}; found {', '.join(header[:12])}",
        )
    width = len(header) + layout.skip_leading_columns
    for number, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != width:
            raise LayoutError(name, number, f"{len(cells)} cells; the header has {width}")
        # Files re-saved by pandas carry an unnamed index column before the named ones.
        cells = cells[layout.skip_leading_columns :]
        yield Row(number, {h: c.strip() for h, c in zip(header, cells, strict=True)})
