"""Helpers for the returns tests: small workbooks cut from the real COVID publication (same layout,
fewer sheets and dates), and a snapshot of both stores to prove a rejected batch changed nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from service.rdf.store import GraphStore
from service.returns.numbers import NumbersStore

COVID_FILE = "returns/covid-hospital-activity-2020-08-13.xlsx"
DAILY_SHEETS = (
    "Total Beds Occ",
    "Total Beds OccCov",
    "MV Beds Occupied",
    "MV Beds OccupiedCov",
    "Total Discharges",
    "Admissions",
    "Total Diagnoses",
    "All Absences",
    "Covid Absences",
    "Admissions 85+",
)
Edit = Callable[[str, list[list[Any]]], list[list[Any]]]


def write_covid_extract(
    source: Path,
    target: Path,
    days: tuple[date, ...],
    sheets: tuple[str, ...] = DAILY_SHEETS,
    edit: Edit | None = None,
) -> Path:
    """The publication's layout with only some sheets and date columns (a daily batch)."""
    book = CalamineWorkbook.from_path(str(source))
    out = Workbook(write_only=True)
    for name in sheets:
        grid = book.get_sheet_by_name(name).to_python()
        heading = grid[11]
        keep = [0, 1, 2, 3] + [j for j, c in enumerate(heading) if j >= 4 and c in days]
        rows = [[row[j] if j < len(row) else None for j in keep] for row in grid]
        if edit:
            rows = edit(name, rows)
        sheet = out.create_sheet(name)
        for row in rows:
            sheet.append([None if c == "" else c for c in row])
    out.save(target)
    return target


def snapshot(store: GraphStore, numbers: NumbersStore) -> tuple[Any, ...]:
    values = numbers.con.execute(  # integer sums: a float sum's order (and last bits) varies
        "SELECT count(*), coalesce(sum(CAST(round(value * 1000) AS HUGEINT)), 0) "
        "FROM reported_value"
    ).fetchone()
    return (
        store.quad_count(),
        tuple(store.named_graphs()),
        values,
        tuple(numbers.batches()),
    )


WEEKLY_DIR = "returns/weekly"
WEEKLY_RELEASES = ("2020-11-19", "2020-11-26", "2020-12-03", "2020-12-10")


def weekly_name(release: str) -> str:
    return f"weekly-covid-admissions-beds-{release}-long.csv.gz"


def write_weekly_cut(
    source: Path,
    target_dir: Path,
    codes: set[str],
    series: set[str],
    edit: Callable[[dict[str, str]], dict[str, str]] | None = None,
) -> Path:
    """The rows of some providers and series of a real weekly release, in its layout and under
    its file name (so the release date is the file name's)."""
    import csv
    import gzip

    with gzip.open(source, "rt", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = [r for r in reader if r["org_code"] in codes and r["data"] in series]
    target = target_dir / source.name
    with gzip.open(target, "wt", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow(edit(row) if edit else row)
    return target


def revising(org: str, day: str, by: float) -> Callable[[dict[str, str]], dict[str, str]]:
    """An edit for `write_weekly_cut`: `org`'s values of `day` (every series that has one) raised
    by `by`, as a later release that corrects history would."""

    def edit(row: dict[str, str]) -> dict[str, str]:
        if (row["org_code"], row["date"]) == (org, day) and row["value"]:
            return {**row, "value": str(float(row["value"]) + by)}
        return row

    return edit
