"""Example GraphQL queries and data-API links for the front page, made from what is loaded (a
metric with values, its last date, a geography type with placements), so each one runs."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from service.api.graphql.context import Context
from service.api.graphql.numbers_resolvers import held_range

PREFERRED = ("BedsOccupiedCovid", "BedsOccupied", "CovidAdmissions")


def held_metrics(context: Context) -> list[dict[str, Any]]:
    """The metrics with values, with their first and last dates."""
    numbers = context.numbers
    if numbers is None:
        return []
    reported = numbers.reported_metrics()
    out = []
    for term in context.reference.metrics.by_key.values():
        if term.iri not in reported:
            continue
        held = held_range(numbers, term)
        if held is None:
            continue
        out.append(
            {
                "key": term.key,
                "label": term.label,
                "unit": term.unit,
                "kind": term.kind,
                "first": held[0],
                "last": held[1],
            }
        )
    return sorted(out, key=lambda m: m["key"])


def _chosen(held: list[dict[str, Any]]) -> dict[str, Any] | None:
    by_key = {m["key"]: m for m in held}
    return next((by_key[k] for k in PREFERRED if k in by_key), held[0] if held else None)


def graphql_examples(context: Context, held: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(title, query, GraphiQL link) for queries that answer on the loaded data."""
    queries = [
        (
            "The metrics held, with their dates",
            "{ metrics { key label unit kind held { first last valueCount } } }",
        ),
        (
            "Geography types, from the ontology",
            "{ geographyTypes { key label } }",
        ),
    ]
    metric = _chosen(held)
    if metric is not None:
        day: dt.date = metric["last"]
        queries.append(
            (
                f"{metric['label']} by NHS England region on {day}, as the returns state, "
                "with coverage",
                f'{{ rollup(metric: "{metric["key"]}", by: "NHS_REGION", date: "{day}", '
                "method: RETURN_STATED) { kind rows { area { code name } value "
                "coverage { reported expected missing } } unmappedTotal } }",
            )
        )
        start = max(metric["first"], day - dt.timedelta(days=6))
        queries.append(
            (
                f"The last week of {metric['label']} by region, as a series",
                f'{{ rollup(metric: "{metric["key"]}", by: "NHS_REGION", from: "{start}", '
                f'to: "{day}", method: RETURN_STATED) {{ series {{ area {{ name }} '
                "periodStarts values reported expected } } }",
            )
        )
    return [(title, q, "/graphql?" + urlencode({"example": q})) for title, q in queries]


def data_example(context: Context, held: list[dict[str, Any]]) -> str:
    metric = _chosen(held)
    if metric is None:
        return ""
    day: dt.date = metric["last"]
    start = max(metric["first"], day - dt.timedelta(days=6))
    params = {
        "areaType": "NHS_REGION",
        "metric": metric["key"],
        "from": start.isoformat(),
        "to": day.isoformat(),
        "method": "RETURN_STATED",
    }
    return "/api/v1/data?" + urlencode(params)
