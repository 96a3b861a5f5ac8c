"""The declarative format of mappings for values reported by area (mappings/areas/*.yaml).

A file of values by area (UKHSA dashboard downloads, NHS England vaccination statistics) names
its areas by code (or by name, the mapping giving the code), says which type of area each row is
(a column whose texts the mapping maps to the graph's geography types, or one type for the whole
file), and holds one or more metrics (terms of the metric scheme flagged nhskg:reportedByArea, so
an unknown metric fails when the mapping is read). Layouts:

- `rows`: one row per area and day, one column per metric (UKHSA cases by LTLA/UTLA/region);
- `weeks`: one row per area, one column per ISO week (UKHSA MSOA weekly cases);
- `dashboard-json`: the dashboard API's JSON, a list of records per area and day, each with a
  nested list of values per key (age band -> metric);
- `columns`: one row per area, one column per metric, one fixed period (NHS England
  vaccinations by ICS/STP, numbers written as text such as " 95,611 ").

Texts the mapping lists under `suppressed` are stored as suppressed values (no number, never 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef

from service.mapping.files import MappingFiles, mapping_head, required_keys, source_of
from service.mapping.spec import MappingError
from service.rdf.terms import MAPPINGS_DIR
from service.rdf.vocab import NHSKG
from service.returns.spec import metric_term
from service.validation.shacl import ontology_graph

AREA_MAPPINGS_DIR = MAPPINGS_DIR / "areas"
LAYOUTS = ("rows", "weeks", "dashboard-json", "columns")


@dataclass(frozen=True)
class AreaMapping:
    id: str
    title: str
    dataset: str
    dataset_title: str
    format: str  # csv | json
    layout: str
    files: str  # regex a file name must match
    code: str | None  # the column of the area code (None: areas named, `areas_by_name`)
    name: str
    type_column: str | None  # the column of the area type (None: `area_type` for every row)
    area_type: str | None
    area_types: dict[str, str]  # a text of type_column -> geography type API name
    metrics: dict[str, URIRef]  # a column heading / nested key -> metric
    period_column: str | None = None  # rows, dashboard-json: the day's column
    period: tuple[date, date] | None = None  # columns: one period for the whole file
    week_pattern: str = r"^wk_(\d+)$"  # weeks: a heading's ISO week number is its first group
    week_year: int | None = None
    region: str | None = None  # the column of the region the file states (kept as stated)
    suppressed: tuple[str, ...] = ()
    areas_by_name: dict[str, str] = field(default_factory=dict)
    records: str = "data"  # dashboard-json: the key of the record list
    nested: tuple[str, str, str] | None = None  # dashboard-json: (list key, key, value key)
    header_row: int = 0  # columns: the row holding the headings (0-based)
    release_date: date | None = None
    release_pattern: str | None = None
    release_labels: tuple[str, ...] = ()  # not read for area files (no layout states one yet)
    path: Path | None = None

    def matches(self, file_name: str) -> bool:
        return re.fullmatch(self.files, file_name) is not None

    def type_of(self, text: str) -> str | None:
        """The geography type a row's type text stands for (None: a type the mapping omits)."""
        if self.type_column is None:
            return self.area_type
        return self.area_types.get(text.strip())


def area_metric(name: str) -> URIRef:
    """A metric of the scheme reported by area (nhskg:reportedByArea true)."""
    term = metric_term(name)
    if not is_area_metric(str(term)):
        raise MappingError(f"{name!r} is a metric reported by organisations, not by area")
    return term


def is_area_metric(metric: str) -> bool:
    value = ontology_graph().value(URIRef(metric), NHSKG.reportedByArea)
    return isinstance(value, Literal) and value.toPython() is True


def _date(where: str, value: Any) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError as exc:
        raise MappingError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from exc


def parse_area_mapping(data: dict[str, Any], path: Path | None = None) -> AreaMapping:
    where = path.name if path else "area mapping"
    with required_keys(where):
        src = source_of(data, where, LAYOUTS)
        cols = src["columns"]
        if ("type" in cols) == ("area_type" in data):
            raise MappingError(f"{where}: give either a type column or one area_type")
        if "code" not in cols and not data.get("areas_by_name"):
            raise MappingError(f"{where}: areas are named by a code column or areas_by_name")
        metrics = src.get("metrics") or {}
        if isinstance(metrics, str):
            metrics = {"": metrics}
        period = src.get("period") or {}
        nested = src.get("nested")
        return AreaMapping(
            **mapping_head(data, src, where),
            code=cols.get("code"),
            name=cols["name"],
            type_column=cols.get("type"),
            area_type=data.get("area_type"),
            area_types={str(k): str(v) for k, v in (data.get("area_types") or {}).items()},
            metrics={str(k): area_metric(str(v)) for k, v in metrics.items()},
            period_column=period.get("column"),
            period=(
                (_date(where, period["from"]), _date(where, period["to"]))
                if "from" in period
                else None
            ),
            week_pattern=str(period.get("week_pattern", r"^wk_(\d+)$")),
            week_year=period.get("year"),
            region=cols.get("region"),
            suppressed=tuple(str(s) for s in src.get("suppressed", ())),
            areas_by_name={str(k): str(v) for k, v in (data.get("areas_by_name") or {}).items()},
            records=str(src.get("records", "data")),
            nested=(nested["list"], nested["key"], nested["value"]) if nested else None,
            header_row=int(src.get("header_row", 0)),
            path=path,
        )


AREA_FILES = MappingFiles(AREA_MAPPINGS_DIR, parse_area_mapping, "area mapping")


def all_area_mappings() -> list[AreaMapping]:
    return AREA_FILES.all()


def area_mapping_for(file_name: str) -> AreaMapping:
    """The area mapping whose `files` pattern matches a file name (exactly one must)."""
    return AREA_FILES.matching(file_name)


def load_area_mapping(name_or_path: str | Path) -> AreaMapping:
    return AREA_FILES.named(name_or_path)
