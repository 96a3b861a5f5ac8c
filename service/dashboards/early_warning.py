"""The early-warning panel both dashboards show: each area's forecast 14 days ahead with its 90%
interval, judged against the metric's strain thresholds (ontology/strain.ttl), with the reason
in words; the chart draws one area's last weeks and its forecast."""

from __future__ import annotations

from service.api.graphql.context import Context
from service.api.graphql.errors import UserError
from service.api.graphql.forecast_types import _checked, protection_of
from service.dashboards import charts
from service.dashboards.view import Choices, Panel
from service.forecast.run import ForecastError
from service.rollup.engine import RollupError
from service.rollup.model import RETURN_STATED, Method
from service.strain.cache import cached_strain_flags
from service.strain.flags import EVIDENCE_ALPHA, StrainFlag


def strain_panel(
    context: Context,
    choices: Choices,
    by: str,
    panel: Panel,
    names: dict[str, str],
    only: set[str] | None = None,
) -> None:
    method = Method(choices.method)
    if by != "NHS_REGION" and method == RETURN_STATED:
        method = Method("SITES")
    term = _checked(context, choices.metric, by, method)
    index = context.reference.early_warning
    panel.title = f"Early warning: {term.label} by {by}"
    panel.columns = [
        "Area", "Last day", "Last value", "Forecast day", "Forecast", "90% low", "90% high",
        "Now (quantity)", "Forecast (quantity)", "Flagged", "Why",
    ]  # fmt: skip
    if not index.for_metric(term.iri):
        raise UserError(
            f"no strain threshold is stated for {term.key}",
            "Choose a metric with one (ontology/strain.ttl).",
        )
    if context.numbers is None:
        raise UserError("no numbers store is configured", "Load a return first.")
    try:
        flags = cached_strain_flags(context.numbers, index, term.iri, by, method,
                                    scope=context.access.rollup_scope(), origin=choices.date,
                                    protection=protection_of(context, term))  # fmt: skip
    except (ForecastError, RollupError, LookupError) as exc:
        raise UserError(str(exc), "Choose another metric or area type.") from exc
    if only is not None:
        flags = [f for f in flags if f.area in only]
    flags.sort(key=lambda f: (not f.flagged, names.get(f.area, f.area)))
    for f in flags:
        low, high = f.forecast.intervals[EVIDENCE_ALPHA] if f.forecast else (None, None)
        panel.rows.append(
            [
                names.get(f.area, f.area),
                f.current_day.isoformat() if f.current_day else "",
                f.current_value,
                f.forecast.day.isoformat() if f.forecast else "",
                f.forecast.value if f.forecast else None,
                low,
                high,
                f.current_quantity,
                f.forecast_quantity,
                "yes" if f.flagged else "no",
                f.reason,
            ]
        )
    if flags:
        panel.chart = _chart(flags[0], names)
    flagged = sum(f.flagged for f in flags)
    stated = index.defaults.get(term.iri)
    model = f"{stated.model} ({stated.approach})" if stated else "no model (not forecast)"
    bases = "; ".join(sorted({f"{t.label}: {t.basis.note}" for t in index.for_metric(term.iri)}))
    panel.caption = (
        f"{flagged} of {len(flags)} areas flagged. Forecast by {model}, the metric's model in "
        "the ontology, from the values up to the page's date (the last day held when none is "
        f"chosen); thresholds from the ontology ({bases}). The chart: "
        "the first area listed, its last weeks and its forecast."
    )


def _chart(flag: StrainFlag, names: dict[str, str]) -> str:
    found = flag.area_forecast
    if found is None:
        return ""
    points = list(found.history) + [(p.day, p.value) for p in found.points]
    return charts.line_chart(
        points,
        title=f"{names.get(flag.area, flag.area)}: last weeks and 14-day forecast",
        chart_id="early-warning-chart",
    )
