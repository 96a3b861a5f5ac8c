"""The strategic dashboard's "occupancy against capacity where held" panel: each capacity ratio
metric (occupied over available beds, ontology/metrics.ttl) rolled up by the page's geography,
method and restatement for the period that contains the page's date, through the one engine.
A date no capacity return covers says so in words; nothing is carried from another period."""

from __future__ import annotations

import datetime as dt

from service.api.graphql.errors import UserError
from service.dashboards.view import Panel, Rollups
from service.returns.numbers import NumbersStore
from service.rollup.records import area_of
from service.strain.flags import flag_value

# The occupancy ratios the panel shows, first held first (monthly UEC sitrep from April 2022,
# quarterly KH03 for 2020): dashboard configuration; what each is comes from the ontology.
CAPACITY_METRICS = ("GeneralAcuteBedOccupancy", "OvernightGeneralAcuteBedOccupancy")


def period_holding(
    numbers: NumbersStore, metric_iri: str, day: dt.date
) -> tuple[dt.date, dt.date] | None:
    """The reported period (month, quarter, day) of a metric that contains `day`, if any."""
    con = numbers.reader()
    try:
        found = con.execute(
            f"SELECT period_start, period_end FROM {numbers.values} WHERE metric = ? "
            "AND period_start <= ? AND period_end >= ? ORDER BY period_start DESC LIMIT 1",
            [metric_iri, day, day],
        ).fetchone()
    finally:
        con.close()
    return (found[0], found[1]) if found else None


def capacity(asked: Rollups, panel: Panel) -> None:
    context, choices = asked.context, asked.choices
    assert choices.date is not None
    day = choices.date
    panel.title = f"Occupancy against capacity on {day}"
    panel.columns = [
        "Measure",
        "Period",
        "Area code",
        "Area",
        "Occupancy",
        "Occupied",
        "Available",
        "Reported",
        "Expected",
        "Over strain threshold",
    ]
    named = area_of(context.reference.areas)
    shown: list[str] = []
    for key in CAPACITY_METRICS:
        term = context.reference.metrics.find(key)
        if term is None or term.denominator is None or context.numbers is None:
            continue
        period = period_holding(context.numbers, term.denominator, day)
        if period is None:
            continue
        try:
            result = asked(choices.by, period[0], metric=key)
        except UserError:
            continue
        placed = sorted(((named(r.area), r) for r in result.rows), key=lambda p: p[0])
        for (code, name), row in placed:
            flag = flag_value(term, row.value)
            over = "" if flag is None else ("yes" if flag.flagged else "no")
            panel.rows.append(
                [
                    term.label,
                    f"{period[0]} to {period[1]}",
                    code,
                    name,
                    round(row.value, 4),
                    row.numerator,
                    row.denominator,
                    row.coverage.reported,
                    row.coverage.expected,
                    over,
                ]
            )
        basis = term.strain_basis.note if term.strain_basis else "no threshold"
        shown.append(f"{term.label} ({period[0]} to {period[1]}; strain threshold: {basis})")
    if not shown:
        panel.caption = (
            f"No capacity is held for {day}: bed capacity comes from KH03 (quarters of 2020) "
            "and the UEC situation report (months from April 2022). Choose a date in a period "
            "they cover; no figure is carried from another period."
        )
        return
    panel.caption = (
        f"{'; '.join(shown)}. Occupancy is beds occupied over beds available, each summed over "
        f"the same trusts in the {choices.by} area (by {choices.method}), never a mean of trust "
        "rates; Reported: trusts with both figures of Expected. Strain threshold from the "
        "ontology (nhskg:strainThreshold)."
    )
