"""Load one file of values reported by area as one batch, whole or not at all.

read (service/returns/area_readers.py) -> judge each cell and area -> write the values to the
numbers store (the same release_value / reported_value tables as organisations' values, keyed by
reporting area, its type, metric and period, with the batch's release) and the publication's
provenance to the graph -> place the batch's areas in every geography type (area_area).

Findings that reject the batch (nothing is written): a cell that is no number; a suppressed
marker where the mapping allows none (UKHSA's -99 read as a count is negative); a negative or
fractional count; an area type the mapping does not map; a file none of whose area codes the
graph knows. An area code the graph does not know, in a file whose other codes it knows, is a
warning listing the code: its values are kept as reported and the roll-ups list them as unmapped
("unknown area code"), never dropped. A release older than one already loaded for the same
periods is kept as history (service/returns/releases.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from rdflib import Literal, URIRef

from service.geography.rollup import RollUp
from service.mapping.readers import LayoutError
from service.rdf.store import GraphStore
from service.rdf.terms import GRAPH, ID
from service.rdf.vocab import NHSKG
from service.reference.placement import AREA, Reference
from service.returns.area_readers import SUPPRESSED, AreaValues, parse_number, read_area_file
from service.returns.area_spec import AreaMapping, area_mapping_for, load_area_mapping
from service.returns.batch_write import LoadResult, commit_batch, open_batch, outcome
from service.returns.graph import provenance_triples, publication_triples
from service.returns.numbers import NumbersStore
from service.returns.periods import day_array
from service.rollup.area_places import place_areas
from service.validation.report import Finding, ValidationReport
from service.validation.shacl import ontology_graph

MAX_FINDINGS = 50  # findings listed per rule; the count says how many more there were


@dataclass
class AreaLoadResult(LoadResult):
    suppressed: int = 0
    unknown_areas: list[str] = field(default_factory=list)  # codes the graph does not hold
    placements: int = 0


@dataclass
class Judged:
    """The values as stored: number or None, marker, the graph area type key of each."""

    value: list[float | None]
    marker: list[str | None]
    area_type: list[str]
    errors: list[Finding]


def _whole_units(metric: str) -> bool:
    flag = ontology_graph().value(URIRef(metric), NHSKG.countsWholeUnits)
    return isinstance(flag, Literal) and flag.toPython() is True


def judge(values: AreaValues, mapping: AreaMapping) -> Judged:
    """Each cell parsed and checked, each row's area type mapped; the findings that reject."""
    out = Judged([], [], [], [])
    wrong: Counter[str] = Counter()
    whole = {m: _whole_units(m) for m in set(values.metric)}

    def error(i: int, rule: str) -> None:
        wrong[rule.split(":", 1)[0]] += 1
        if wrong[rule.split(":", 1)[0]] <= MAX_FINDINGS:
            out.errors.append(Finding(values.file, None, values.cell[i], values.text[i], rule))

    for i in range(len(values)):
        kind = mapping.type_of(values.type_text[i])
        out.area_type.append(kind or "")
        if kind is None:
            error(i, f"area type {values.type_text[i]!r}: not one of {sorted(mapping.area_types)}")
        if not values.code[i]:
            error(i, f"area {values.name[i]!r}: no code (the mapping's areas_by_name lacks it)")
        number, marker = parse_number(values.text[i], mapping.suppressed)
        out.value.append(number)
        out.marker.append(marker)
        if marker == SUPPRESSED:
            continue
        if number is None:
            error(i, f"not a number: {values.text[i]!r} (suppressed markers: {mapping.suppressed})")
        elif number < 0:
            error(
                i,
                f"a count cannot be negative: {values.text[i]!r} (a suppression marker such as "
                "UKHSA's -99 is listed under source: suppressed in the mapping, never counted)",
            )
        elif whole[values.metric[i]] and number != int(number):
            error(i, f"a count of whole units: {values.text[i]!r} has a fraction")
    for rule, n in wrong.items():
        if n > MAX_FINDINGS:
            out.errors.append(
                Finding(values.file, None, None, None, f"{rule}: {n - MAX_FINDINGS} more cells")
            )
    return out


def unknown_codes(values: AreaValues, reference: Reference) -> list[str]:
    """Area codes the graph does not hold."""
    return sorted(c for c in set(values.code) if AREA + c not in reference.areas)


def type_findings(values: AreaValues, judged: Judged, reference: Reference) -> list[Finding]:
    """Areas the graph holds under other geography types than the file states (an LRF's code in
    a row of LTLAs): once per code. Areas with no API type (MSOAs) are not checked."""
    api = set(reference.api_names())
    seen: set[str] = set()
    out = []
    for i, (code, kind) in enumerate(zip(values.code, judged.area_type, strict=True)):
        area = reference.areas.get(AREA + code)
        if area is None or kind not in api or kind in area.types or code in seen:
            continue
        seen.add(code)
        held = ", ".join(sorted(area.types)) or "no geography type"
        rule = f"area {code} is not a {kind} in the graph (it is {held}): check the type column"
        out.append(Finding(values.file, None, values.cell[i], code, rule))
    return out


def load_area_file(
    store: GraphStore,
    numbers: NumbersStore,
    path: Path,
    reference: Reference,
    mapping: str | AreaMapping | None = None,
    *,
    release: date | None = None,
    dry_run: bool = False,
    rollup: RollUp | None = None,
) -> AreaLoadResult:
    """`rollup`: the geography roll-up of `reference` already built (its memo is reused)."""
    spec = (
        mapping
        if isinstance(mapping, AreaMapping)
        else (load_area_mapping(mapping) if mapping else area_mapping_for(path.name))
    )
    opened = open_batch(store, numbers, path, spec, release, dry_run=dry_run)
    batch = opened.batch
    if opened.unchanged:
        return AreaLoadResult(**outcome(opened, path, spec.id))
    try:
        values = read_area_file(path, spec)
    except LayoutError as exc:
        finding = Finding(exc.file, exc.row, None, None, f"layout of {spec.id}: {exc.message}")
        return AreaLoadResult(
            "rejected", path.name, spec.id, batch, ValidationReport(False, [finding])
        )
    judged = judge(values, spec)
    unknown = unknown_codes(values, reference)
    errors = list(judged.errors) + type_findings(values, judged, reference)
    codes = set(values.code)
    if not len(values):
        errors.append(Finding(path.name, None, None, None, "the file has no values"))
    elif codes and set(unknown) >= codes:
        errors.append(
            Finding(
                path.name, None, None, None,
                f"none of the file's {len(codes)} area codes is known to the graph "
                f"(first: {', '.join(unknown[:5])}): load the geography first, or check the file",
            )
        )  # fmt: skip
    warnings = [
        Finding(path.name, None, None, code, f"unknown area code {code}: kept, listed unmapped")
        for code in unknown
    ]
    result = AreaLoadResult(
        **outcome(opened, path, spec.id, (errors, warnings), len(values), dry_run),
        suppressed=sum(1 for m in judged.marker if m == SUPPRESSED),
        unknown_areas=unknown,
    )
    if errors or dry_run:
        return result
    graph = str(GRAPH[f"areas/{opened.key}/{opened.tag}"])
    record = opened.record(spec.dataset, spec.id, path, graph, len(values))
    provenance = provenance_triples(
        record, (values.period_start, values.period_end), values.metric, opened.current_batch,
        len(warnings),
    )  # fmt: skip
    columns = _columns(values, judged, set(unknown))
    commit_batch(
        store, numbers, record, publication_triples(record, spec.dataset_title), provenance,
        numbers.replacing_columns(record, columns), opened.current_batch,
    )  # fmt: skip
    result.answering = numbers.answering_count(batch)
    result.placements = place_areas(numbers, reference, set(values.code) - set(unknown), rollup)
    return result


def _columns(values: AreaValues, judged: Judged, unknown: set[str]) -> dict[str, np.ndarray]:
    n = len(values)
    return {
        "org_code": np.array(values.code, dtype=object),
        "org_iri": np.array(
            ["" if c in unknown else str(ID[f"area/{c}"]) for c in values.code], dtype=object
        ),
        "reported_code": np.array(values.code, dtype=object),
        "stated_region": np.array(values.region, dtype=object),
        "region_code": np.full(n, "", dtype=object),
        "metric": np.array(values.metric, dtype=object),
        "period_start": day_array(values.period_start),
        "period_end": day_array(values.period_end),
        # None (suppressed) stays NULL: an object column (a float NaN would be stored as NaN)
        "value": np.array(judged.value, dtype=object),
        "sheet": np.full(n, values.file, dtype=object),
        "cell": np.array(values.cell, dtype=object),
        "area_type": np.array(judged.area_type, dtype=object),
        "marker": np.array(judged.marker, dtype=object),
    }
