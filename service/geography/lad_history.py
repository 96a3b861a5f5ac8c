"""Local authority district code history (ONS Code History Database, lookup_ltla_ltla.csv).

The file has one row per 2016 district and a code and name column per year (ltla16 ... ltla24).
A code first listed in the column for year YY took effect on 1 April 20YY (English LAD changes
all take effect on 1 April); a code last listed in year YY ended on 31 March of the next year.
Codes listed in the first year have no known start; codes listed in the last year have no end.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


@dataclass
class LadHistory:
    """When each LAD code was in use, and which codes replaced it."""

    created: dict[str, date | None] = field(default_factory=dict)
    ended: dict[str, date | None] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    successors: dict[str, set[str]] = field(default_factory=dict)

    def descendants(self, code: str) -> set[str]:
        """Every code that (transitively) replaced `code`, not including it."""
        out: set[str] = set()
        frontier = [code]
        while frontier:
            for nxt in self.successors.get(frontier.pop(), set()):
                if nxt not in out and nxt != code:
                    out.add(nxt)
                    frontier.append(nxt)
        return out

    def in_use(self, code: str) -> tuple[date | None, date | None]:
        """(first day, last day) of a code; (None, None) for a code the history does not know."""
        return self.created.get(code), self.ended.get(code)


def _years(header: list[str]) -> list[int]:
    return sorted(int(h[4:6]) for h in header if h.startswith("ltla") and h.endswith("_code"))


def parse_history(rows: list[dict[str, str]], header: list[str]) -> LadHistory:
    years = _years(header)
    first, last = years[0], years[-1]
    history = LadHistory()
    seen_years: dict[str, list[int]] = {}
    for row in rows:
        for i, year in enumerate(years):
            code = row[f"ltla{year}_code"].strip()
            if not code:
                continue
            seen_years.setdefault(code, []).append(year)
            history.names[code] = row[f"ltla{year}_name"].strip()
            if i + 1 < len(years):
                nxt = row[f"ltla{years[i + 1]}_code"].strip()
                if nxt and nxt != code:
                    history.successors.setdefault(code, set()).add(nxt)
    for code, listed in seen_years.items():
        start, end = min(listed), max(listed)
        history.created[code] = None if start == first else date(2000 + start, 4, 1)
        history.ended[code] = None if end == last else date(2000 + end + 1, 3, 31)
    return history


def read_history(path: Path) -> LadHistory:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return parse_history(rows, list(reader.fieldnames or []))
