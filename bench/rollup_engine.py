"""(d) ours: the project's roll-up engine (service/rollup, service/returns/numbers.py). The adapter
below is all that joins the engine to the benchmark: the synthetic values loaded as one batch, the
placements as the SITES method's organisation -> area rows, and the synthetic successions with
their split shares (as a steward states them), so ours restates splits as the other paths do."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from bench.rollup_data import SyntheticSystem
from bench.rollup_model import placements

AREA_TYPE = "LRF"


def available() -> bool:
    return importlib.util.find_spec("service.rollup") is not None


def engine_load(system: SyntheticSystem, path: Path | None) -> Any:
    """The synthetic values into a NumbersStore (one batch), and every placement as the SITES
    method's organisation -> area rows, as the server holds them after a load."""
    from service.returns.numbers import NumbersStore
    from service.rollup.engine import materialise_org_areas
    from service.rollup.model import Method

    numbers = NumbersStore(path)
    n = len(system.value)
    columns = {  # noqa: F841 (read by DuckDB's replacement scan)
        "batch_id": np.full(n, "synthetic", dtype=object),
        "org_code": system.org,
        "org_iri": system.org,
        "reported_code": system.org,
        "stated_region": np.full(n, "", dtype=object),
        "region_code": np.full(n, "", dtype=object),
        "metric": system.metric,
        "period_start": system.day.astype("datetime64[s]"),
        "period_end": system.day.astype("datetime64[s]"),
        "value": system.value,
        "sheet": np.full(n, None, dtype=object),
        "cell": np.full(n, None, dtype=object),
    }
    numbers.con.execute(
        "INSERT INTO reported_value BY NAME SELECT * REPLACE (CAST(period_start AS DATE) AS "
        "period_start, "
        "CAST(period_end AS DATE) AS period_end) FROM columns"
    )
    numbers.refresh_reporters()
    rows = [(t, o, a, s, f, to) for o, t, a, s, f, to in placements(system)]
    materialise_org_areas(numbers, rows, Method.SITES)
    return numbers, _successions(system)


def _successions(system: SyntheticSystem) -> Any:
    from service.returns.codes import Step

    steps: dict[str, list[Step]] = {}
    for event in system.events:
        successors = tuple(sorted(event.successors))
        names, weights = tuple(c for c, _ in successors), tuple(w for _, w in successors)
        for code in event.predecessors:
            steps.setdefault(code, []).append(Step(event.day, names, weights))
    return lambda code: steps.get(code, [])


def engine_query(loaded: Any, metric: str, start: date, end: date, at: date) -> dict[str, float]:
    """The adapter: one call of the engine, its rows as {LRF: total}."""
    from service.rollup.engine import rollup
    from service.rollup.model import Method, to_organisations_at

    numbers, successions = loaded
    when = start if start == end else (start, end)
    result = rollup(
        numbers, metric, AREA_TYPE, when, Method.SITES, to_organisations_at(at),
        successions=successions,
    )  # fmt: skip
    totals: dict[str, float] = {}
    for row in result.rows:
        totals[row.area] = totals.get(row.area, 0.0) + row.value
    return totals
