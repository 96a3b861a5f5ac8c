"""Many lookups in one request: a list of codes (JSON) or a CSV of codes in and out.

    code,asOf            ->  code,as_of,geography_type,method,known_at,status,resolved_to,
    RD3,2021-01-01           primary_area_code,primary_area_name,primary_area_share,areas,
    R0A,                     coverage,message

A code that cannot be answered (unknown, not yet open on the day) is a row with its status and
the message, never a failed request; an unknown geography type or method fails the request
(every row would fail alike).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from service.geography.lookup import Lookup, LookupAnswer, LookupFailure

MAX_CODES = 10_000
CODE_COLUMNS = ("code", "ods_code", "org_code", "organisation_code", "odscode")
DATE_COLUMNS = ("asof", "as_of", "date")
CSV_COLUMNS = (
    "code",
    "as_of",
    "geography_type",
    "method",
    "known_at",
    "status",
    "resolved_to",
    "primary_area_code",
    "primary_area_name",
    "primary_area_share",
    "areas",
    "coverage",
    "message",
)


class BulkInputError(ValueError):
    """The request as a whole cannot be answered (its message says why and what to send)."""


@dataclass(frozen=True)
class Request:
    code: str
    on: date


def read_csv(text: str, default_day: date) -> list[Request]:
    """Codes (and optional per-row dates) from a CSV with a `code` column, or one column of
    codes without a header."""
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(c.strip() for c in r)]
    if not rows:
        raise BulkInputError("the CSV holds no codes; send a `code` column, one code a row")
    header = [c.strip().lower() for c in rows[0]]
    code_at = next((header.index(c) for c in CODE_COLUMNS if c in header), None)
    if code_at is None:
        if len(header) != 1:
            raise BulkInputError(
                f"no code column in the header {rows[0]}; name it `code` (optionally with `asOf`)"
            )
        code_at, date_at, body = 0, None, rows  # one column of codes, no header
    else:
        date_at = next((header.index(c) for c in DATE_COLUMNS if c in header), None)
        body = rows[1:]
    out = []
    for number, row in enumerate(body, start=2 if body is not rows else 1):
        code = row[code_at].strip() if code_at < len(row) else ""
        if not code:
            continue
        day = default_day
        if date_at is not None and date_at < len(row) and row[date_at].strip():
            try:
                day = date.fromisoformat(row[date_at].strip())
            except ValueError as exc:
                raise BulkInputError(
                    f"row {number}: {row[date_at]!r} is not a date; expected YYYY-MM-DD"
                ) from exc
        out.append(Request(code, day))
    return out


def check_size(requests: list[Request]) -> None:
    if not requests:
        raise BulkInputError("no codes given")
    if len(requests) > MAX_CODES:
        raise BulkInputError(
            f"{len(requests):,} codes in one request; the most is {MAX_CODES:,}: split the list"
        )


def run(
    lookup: Lookup,
    requests: Iterable[Request],
    geography_type: str,
    method: str,
    known_at: date | None = None,
) -> list[dict[str, Any]]:
    """One result per request, in order: the lookup answer, or the code's failure. `known_at`:
    the date the lookup's reference is as known at (None: as known now), stated in each."""
    results: list[dict[str, Any]] = []
    known = known_at.isoformat() if known_at else None
    for request in requests:
        try:
            answer = lookup.lookup(request.code, geography_type, request.on, method)
        except LookupFailure as exc:
            if exc.status in ("unknown_area_type", "unknown_method"):
                raise BulkInputError(f"{exc.message}; known: {exc.details.get('known')}") from exc
            results.append(
                {
                    "code": request.code.strip().upper(),
                    "as_of": request.on.isoformat(),
                    "geography_type": geography_type,
                    "method": method.upper(),
                    "known_at": known,
                    "status": exc.status,
                    "message": exc.message,
                    **exc.details,
                }
            )
            continue
        results.append(_plain(replace(answer, known_at=known_at)))
    return results


def _plain(answer: LookupAnswer) -> dict[str, Any]:
    body = {f.name: getattr(answer, f.name) for f in fields(answer)}
    body["as_of"] = answer.as_of.isoformat()
    body["known_at"] = answer.known_at.isoformat() if answer.known_at else None
    return body


def to_json(results: list[dict[str, Any]]) -> str:
    return json.dumps({"count": len(results), "answers": results}, default=str)


def to_csv(results: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in results:
        primary = r.get("primary_area") or {}
        areas = ";".join(f"{a.get('code')}:{_share(a.get('share'))}" for a in r.get("areas", []))
        message = r.get("message", "")
        if r.get("near_matches"):
            message += f" (near matches: {', '.join(r['near_matches'])})"
        writer.writerow(
            [
                r["code"],
                r["as_of"],
                r["geography_type"],
                r["method"],
                r.get("known_at") or "",
                r["status"],
                ";".join(o["code"] for o in r.get("resolved", [])),
                primary.get("code", ""),
                primary.get("name", ""),
                _share(primary.get("share")),
                areas,
                _share(r.get("coverage")),
                message,
            ]
        )
    return buffer.getvalue()


def _share(value: Any) -> str:
    return "" if value is None else f"{float(value):.6g}"
