"""A roll-up result as flat records (one per area and period), in the columns of the data
download API (`GET /api/v1/data`), `nhskg rollup --csv` and the dashboards' CSV downloads: the
one place those columns are named, so every download of the same question has the same table."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from service.reference.areas import AreaIndex
from service.rollup.model import RollupResult

COLUMNS = (
    "areaType",
    "areaCode",
    "areaName",
    "metric",
    "date",
    "periodEnd",
    "value",
    "reported",
    "expected",
    "missing",
    "method",
    "restatedTo",
    "protection",
)
FORMATS = {"csv": "text/csv", "json": "application/json", "jsonl": "application/x-ndjson"}


AreaOf = Callable[[str], tuple[str, str]]


def records(
    result: RollupResult, metric_key: str, area_of: AreaOf, *, name_organisations: bool = True
) -> Iterator[dict[str, Any]]:
    """Rows in area code then date order. `area_of`: the engine's area code -> the reference's
    (code, name), as GraphQL gives them (a region the return states by its ODS code Y58 is
    E40000006, South West). `missing` lists the ODS codes expected but without a value,
    separated by spaces (empty unless `name_organisations`: the caller may see organisation-level
    facts); `restatedTo` is empty when values stay as reported; `protection` says how the value
    is protected against disclosing small numbers (PERTURBED), empty when it is not."""
    restated = result.restate.at.isoformat() if result.restate.at else ""
    named = sorted(
        ((area_of(r.area), r) for r in result.rows), key=lambda p: (p[0], p[1].period_start)
    )
    for (code, name), row in named:
        yield {
            "areaType": result.area_type,
            "areaCode": code,
            "areaName": name,
            "metric": metric_key,
            "date": row.period_start.isoformat(),
            "periodEnd": row.period_end.isoformat(),
            "value": row.value,
            "reported": row.coverage.reported,
            "expected": row.coverage.expected,
            "missing": " ".join(row.coverage.missing) if name_organisations else "",
            "method": result.method.value,
            "restatedTo": restated,
            "protection": row.protection or "",
        }


def area_of(areas: AreaIndex) -> AreaOf:
    def named(code: str) -> tuple[str, str]:
        found = areas.find(code)
        return (found.code, found.name) if found else (code, "")

    return named


def csv_lines(rows: Iterable[dict[str, Any]], chunk: int = 500) -> Iterator[str]:
    """A header, then the rows, a few hundred lines per piece (for a streaming response)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for n, row in enumerate(rows, 1):
        writer.writerow({**row, "value": _number(row["value"])})
        if n % chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def jsonl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row) + "\n"


def json_document(rows: Iterable[dict[str, Any]], head: dict[str, Any]) -> Iterator[str]:
    """{...head, "data": [rows]}, written a row at a time."""
    opening = json.dumps(head)[:-1]
    yield f'{opening}, "data": ['
    for n, row in enumerate(rows):
        yield ("," if n else "") + json.dumps(row)
    yield "]}\n"


def _number(value: float) -> str:
    """Whole numbers without a decimal point (as the returns report them); others as repr."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def encode(
    fmt: str, rows: Iterable[dict[str, Any]], head: dict[str, Any] | None = None
) -> Iterator[str]:
    if fmt == "csv":
        return csv_lines(rows)
    if fmt == "jsonl":
        return jsonl_lines(rows)
    return json_document(rows, head or {})
