"""GP practice commissionings carried from the September 2020 practice map to epraccur's.

The practice map states each practice's CCG on its extract day (2020-09-01); epraccur (April 2025)
states only each practice's latest commissioner, from the day the practice joined it. Between the
two nothing is stated. One case is borne out by the data: the map's CCG closed the day before the
practice joined its epraccur commissioner, and the ODS successor file makes that commissioner the
CCG's successor on that day (the April 2021 CCG mergers). The practice did not move: its CCG was
merged. Such a practice is then commissioned by the map's CCG from the day after the map to the
day before the succession, and the row says on what evidence. Every other practice whose
epraccur commissioner differs moved at a day no file states: nothing is carried, and the load
report counts why. Nothing is carried before the map's day (the file states no earlier CCG).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from service.mapping.derive import derivation
from service.mapping.engine import SKIP
from service.mapping.readers import Row
from service.mapping.spec import MappingError

SAME = "epraccur states the map's CCG already on the map's day: nothing to carry"
NOT_IN_EPRACCUR = "practice not in epraccur: no later commissioner to carry the map's CCG to"
NO_COMMISSIONER = "epraccur states no commissioner for the practice"
MOVED = (
    "epraccur's commissioner is no ODS successor of the map's CCG on the day the practice joined "
    "it: the practice moved on a day no file states, nothing carried"
)
NOT_CLOSED = (
    "the map's CCG did not close the day before the practice joined its successor (eccg): "
    "nothing carried"
)


def _day(text: str) -> date | None:
    text = text.strip()
    return datetime.strptime(text, "%Y%m%d").date() if text else None


def _headerless(path: Path) -> Iterator[list[str]]:
    if not path.exists():
        raise MappingError(f"file {path} named by the mapping is missing")
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.reader(handle)


def read_commissioners(path: Path) -> dict[str, tuple[str, date | None]]:
    """epraccur: practice -> (commissioner, join date)."""
    return {r[0]: (r[14].strip(), _day(r[15])) for r in _headerless(path) if len(r) > 15}


def read_successions(path: Path) -> dict[tuple[str, str], set[date]]:
    """ODS succ: (predecessor, successor) -> effective dates."""
    found: dict[tuple[str, str], set[date]] = defaultdict(set)
    for r in _headerless(path):
        if len(r) > 3 and (day := _day(r[3])) is not None:
            found[(r[0].strip(), r[1].strip())].add(day)
    return found


def read_close_dates(path: Path) -> dict[str, date | None]:
    """eccg: CCG / sub-ICB location -> close date (None while open)."""
    return {r[0].strip(): _day(r[11]) for r in _headerless(path) if len(r) > 11}


@derivation("practice_map_carried")
def practice_map_carried(rows: Iterable[Row], options: dict[str, Any], base: Path) -> Iterator[Row]:
    """Each practice map row, with `valid_from` (the day after the map's), `valid_to` (the day
    before the practice joined its epraccur commissioner), `successor` and `succession_date`, or
    skipped with the reason. Options name the files (relative to the source): epraccur,
    successions, ccgs (eccg), and the map's day (map_day, YYYY-MM-DD)."""
    commissioners = read_commissioners(base / options["epraccur"])
    successions = read_successions(base / options["successions"])
    closed = read_close_dates(base / options["ccgs"])
    map_day = date.fromisoformat(str(options["map_day"]))
    for row in rows:
        values = row.values
        code, ccg = values.get("PRACTICE_CODE", ""), values.get("CCG_CODE", "")
        if code not in commissioners:
            yield Row(row.number, {**values, SKIP: NOT_IN_EPRACCUR})
            continue
        successor, joined = commissioners[code]
        if not successor or joined is None:
            yield Row(row.number, {**values, SKIP: NO_COMMISSIONER})
        elif successor == ccg and joined <= map_day:
            yield Row(row.number, {**values, SKIP: SAME})
        elif joined not in successions.get((ccg, successor), set()):
            yield Row(row.number, {**values, SKIP: MOVED})
        elif closed.get(ccg) != joined - timedelta(days=1):
            yield Row(row.number, {**values, SKIP: NOT_CLOSED})
        else:
            yield Row(
                row.number,
                {
                    **values,
                    "valid_from": (map_day + timedelta(days=1)).isoformat(),
                    "valid_to": (joined - timedelta(days=1)).isoformat(),
                    "successor": successor,
                    "succession_date": joined.isoformat(),
                },
            )
