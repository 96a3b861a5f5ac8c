"""Releases: which of several publications of one value answers a question.

A value is identified by its reporter (the code the return gives), the region the return states
it under (independent providers such as NVC give one value per region under one code), metric
and period. Every batch
belongs to a publication of a dataset with a release date; a later release re-issues (and may
revise) earlier periods. Every value of every batch is kept in `release_value`; questions are
answered from the latest release covering each value (ties: the batch loaded last), never from a
sum of releases. `reported_value` holds that answer for today, kept by every batch write, retire
and restore; `as_known_at(day)` is the same choice among the releases out on a day.

Only batches with status 'current' take part: a file of a publication loaded again with changes
supersedes its earlier batch, and a steward may retire a batch (and restore it).
"""

from __future__ import annotations

import re
from datetime import date

import duckdb

# The columns of a stored value (release_value and reported_value share them).
VALUE_COLUMNS = (
    "batch_id, org_code, org_iri, reported_code, stated_region, region_code, metric, "
    "period_start, period_end, value, sheet, cell, area_type, marker"
)

# The identity of a value across releases.
VALUE_KEY = "v.reported_code, v.region_code, v.metric, v.period_start, v.period_end, v.area_type"

DATE_IN_NAME = r"(\d{4}-\d{2}-\d{2})"


def release_from_name(file_name: str, pattern: str | None = None) -> date | None:
    """The release date a file name states (the first YYYY-MM-DD, or the mapping's pattern's
    first group), or None."""
    found = re.search(pattern or DATE_IN_NAME, file_name)
    if not found:
        return None
    try:
        return date.fromisoformat(found.group(1) if found.groups() else found.group(0))
    except ValueError:
        return None


def latest_values(known_at: date | None = None, where: str = "TRUE") -> str:
    """SELECT of the values that answer questions: per value, the latest release's (the batch
    loaded last among equals), among the current batches released by `known_at` if given.
    `where` restricts the values considered (on alias v); it must keep or drop whole keys
    (metric and period columns only)."""
    out_by = "" if known_at is None else f" AND b.release_date <= DATE '{known_at.isoformat()}'"
    return f"""
        SELECT {", ".join("v." + c.strip() for c in VALUE_COLUMNS.split(","))}
        FROM release_value v JOIN batch b ON b.batch_id = v.batch_id
        WHERE b.status = 'current'{out_by} AND {where}
        QUALIFY rank() OVER (
            PARTITION BY {VALUE_KEY}
            ORDER BY b.release_date DESC, b.loaded_at DESC, b.batch_id DESC) = 1"""


def known_at_relation(known_at: date) -> str:
    """A table expression standing for reported_value as known on a day."""
    return f"({latest_values(known_at)}) AS reported_value"


def reporters_known_at(known_at: date) -> str:
    """SELECT of (metric, org_code, region_code) reported in the current batches out by a day."""
    return f"""
        SELECT DISTINCT v.metric, v.org_code, v.region_code, v.area_type
        FROM release_value v JOIN batch b ON b.batch_id = v.batch_id
        WHERE b.status = 'current' AND b.release_date <= DATE '{known_at.isoformat()}'"""


def batch_extent(con: duckdb.DuckDBPyConnection, batch_id: str) -> list[tuple[str, date, date]]:
    """(metric, first period start, last period start) of a batch's values."""
    return [
        (str(r[0]), r[1], r[2])
        for r in con.execute(
            "SELECT metric, min(period_start), max(period_start) FROM release_value "
            "WHERE batch_id = ? GROUP BY metric ORDER BY metric",
            [batch_id],
        ).fetchall()
    ]


def extent_filter(extent: list[tuple[str, date, date]]) -> tuple[str, list[object]]:
    """A WHERE clause (on alias v) selecting the values of the metrics and periods given."""
    if not extent:
        return "FALSE", []
    parts, params = [], []
    for metric, first, last in extent:
        parts.append("(v.metric = ? AND v.period_start BETWEEN ? AND ?)")
        params += [metric, first, last]
    return "(" + " OR ".join(parts) + ")", params


def re_resolve(con: duckdb.DuckDBPyConnection, extents: list[list[tuple[str, date, date]]]) -> None:
    """Choose again the values answering for the metrics and periods of the extents given (after
    a batch was written, retired or restored). Inside the caller's transaction."""
    merged = [e for extent in extents for e in extent]
    where, params = extent_filter(merged)
    run = con.execute
    run(f"DELETE FROM reported_value v WHERE {where}", params)
    # In period order, as a batch's values arrive: DuckDB skips row groups by their date range.
    run(f"INSERT INTO reported_value {latest_values(None, where)} ORDER BY v.period_start", params)
