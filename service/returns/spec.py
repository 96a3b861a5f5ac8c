"""The declarative format of return mappings (mappings/returns/*.yaml), parsed into typed objects.

A return mapping names its dataset, the layout of the file (a wide sheet with one column per date,
one row per organisation with one column per metric, or long form: one row per organisation,
metric and period), where the organisation code, name and
stated region are, which sheet or column holds which metric (a term of the metric scheme, so an
unknown metric fails when the mapping is read), and how the period is found. A new publication of
a known layout is a new file name, or at most a new alternative column heading, here; never code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rdflib import RDF, URIRef

from service.mapping.files import MappingFiles, mapping_head, required_keys, source_of
from service.mapping.spec import MappingError, resolve_term
from service.rdf.terms import MAPPINGS_DIR
from service.rdf.vocab import NHSKG

RETURN_MAPPINGS_DIR = MAPPINGS_DIR / "returns"
LAYOUTS = ("wide-dates", "columns", "long")


@dataclass(frozen=True)
class MetricColumn:
    """A metric and the headings (alternatives, first present wins) or sheet that holds it."""

    metric: URIRef
    headings: tuple[str, ...]
    optional: bool = False


@dataclass(frozen=True)
class PeriodRule:
    """Where a value's period comes from: the date heading of its column (wide-dates), a labelled
    metadata cell ("Period:"), or a column; `pattern` extracts year and month(s)."""

    source: str  # heading | label | column
    label: str | None = None
    column: str | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class ReturnMapping:
    id: str
    title: str
    dataset: str
    dataset_title: str
    format: str  # xlsx | xls | csv
    layout: str
    files: str  # regex a file name must match
    sheets: tuple[str, ...]  # columns layout: acceptable names of the one sheet to read
    header_contains: tuple[str, ...]  # cells that identify the heading row
    group_row: bool  # the row above the headings groups them ("Available", "Occupied")
    code: str
    name: str
    region: str | None
    first_value_column: str | None  # wide-dates: the first date column (a letter)
    metrics: tuple[MetricColumn, ...]
    period: PeriodRule
    skip_codes: str = r"^(-|TOTAL|Total)?$"
    regions: dict[str, str] = field(default_factory=dict)  # stated region name -> ODS code
    missing_markers: tuple[str, ...] = ()  # cell texts that mean "not reported" ("-")
    encoding: str = "utf-8"
    metric_column: str | None = None  # long: the column naming the metric (as `sheets` keys)
    value_column: str | None = None  # long: the column holding the value
    # long: texts of the metric column to leave out (series the ontology does not define yet)
    skip_series: tuple[str, ...] = ()
    # The release date: a regex whose first group is the date in the file name (default: the
    # first YYYY-MM-DD), or a fixed date for a file name that has none.
    release_pattern: str | None = None
    release_date: date | None = None
    release_labels: tuple[str, ...] = ()  # cells stating the release ("Revised:", "Published:")
    # What a code the reference data does not know becomes: "register" (an unregistered
    # provider for the steward) or "reject" (the whole batch is rejected: a return whose
    # reporters must all be known, such as the supplies return).
    unknown_codes: str = "register"
    # Sites (five-character ODS site codes the reference data knows) may report values as well
    # as organisations: a site's values are placed by the site policy (service/geography/sites.py).
    site_reporters: bool = False
    # The dataset's values are generated, not real: every answer and page that shows them says so.
    synthetic: bool = False
    path: Path | None = None

    @property
    def metric_iris(self) -> set[URIRef]:
        return {m.metric for m in self.metrics}

    def matches(self, file_name: str) -> bool:
        return re.fullmatch(self.files, file_name) is not None


def metric_term(name: str, *, loadable: bool = False) -> URIRef:
    """A metric of the scheme by local name; the closed namespace rejects unknown names.
    `loadable`: a metric a return may carry (not a ratio metric, which is derived)."""
    from service.validation.shacl import ontology_graph

    term = resolve_term(name)
    graph = ontology_graph()
    if (term, RDF.type, NHSKG.Metric) not in graph:
        raise MappingError(f"{name!r} is not a metric of the metric scheme")
    if loadable and (term, RDF.type, NHSKG.RatioMetric) in graph:
        raise MappingError(
            f"{name!r} is a ratio metric: it is derived from its numerator and denominator "
            "metrics, never loaded; map those instead"
        )
    return term


def _metrics(data: dict[str, Any]) -> tuple[MetricColumn, ...]:
    if data["source"]["layout"] in ("wide-dates", "long"):
        # wide-dates: sheet name -> metric; long: text of the metric column -> metric
        return tuple(
            MetricColumn(metric_term(metric, loadable=True), (sheet,))
            for sheet, metric in data["sheets"].items()
        )
    out = []
    for entry in data["metrics"]:
        headings = entry["column"]
        headings = (headings,) if isinstance(headings, str) else tuple(headings)
        out.append(
            MetricColumn(
                metric_term(entry["metric"], loadable=True), headings, bool(entry.get("optional"))
            )
        )
    return tuple(out)


def _column_ref(value: Any) -> str:
    """A column by heading ("Org Code") or, for a column with no heading, by letter: "letter:B"."""
    if isinstance(value, dict) and "letter" in value:
        return f"letter:{value['letter']}"
    return str(value)


def parse_return_mapping(data: dict[str, Any], path: Path | None = None) -> ReturnMapping:
    where = path.name if path else "return mapping"
    with required_keys(where):
        src = source_of(data, where, LAYOUTS)
        if src["layout"] == "long" and not (src.get("metric_column") and src.get("value_column")):
            raise MappingError(f"{where}: a long layout names its metric_column and value_column")
        sheets = src.get("sheet", [])
        period = data["period"]
        cols = {k: _column_ref(v) for k, v in src["columns"].items()}
        return ReturnMapping(
            **mapping_head(data, src, where),
            sheets=(sheets,) if isinstance(sheets, str) else tuple(sheets),
            header_contains=tuple(src["header_contains"]),
            group_row=bool(src.get("group_row", False)),
            code=cols["code"],
            name=cols.get("name", cols["code"]),  # a file with no name column: the code
            region=cols.get("region"),
            first_value_column=src.get("first_value_column"),
            metrics=_metrics(data),
            period=PeriodRule(
                source=period["from"],
                label=period.get("label"),
                column=period.get("column"),
                pattern=period.get("pattern"),
            ),
            skip_codes=src.get("skip_codes", r"^(-|TOTAL|Total)?$"),
            regions=dict(data.get("regions") or {}),
            missing_markers=tuple(src.get("missing_markers", ())),
            encoding=src.get("encoding", "utf-8"),
            metric_column=src.get("metric_column"),
            value_column=src.get("value_column"),
            skip_series=tuple(str(x) for x in src.get("skip_series", ())),
            unknown_codes=_unknown_codes(where, src.get("unknown_codes", "register")),
            site_reporters=bool(src.get("site_reporters", False)),
            synthetic=bool(data["dataset"].get("synthetic", False)),
            path=path,
        )


def _unknown_codes(where: str, value: Any) -> str:
    if value not in ("register", "reject"):
        raise MappingError(f"{where}: unknown_codes must be register or reject, not {value!r}")
    return str(value)


RETURN_FILES = MappingFiles(RETURN_MAPPINGS_DIR, parse_return_mapping, "return mapping")


def load_return_mapping(name_or_path: str | Path) -> ReturnMapping:
    return RETURN_FILES.named(name_or_path)


def all_return_mappings() -> list[ReturnMapping]:
    return RETURN_FILES.all()


def mapping_for(file_name: str) -> ReturnMapping:
    """The return mapping whose `files` pattern matches a file name (exactly one must)."""
    return RETURN_FILES.matching(file_name)
