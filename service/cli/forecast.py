"""`nhskg forecast run|backtest` and `nhskg strain`: forecasts of area figures, their rolling-origin
backtest against persistence and a 7-day linear trend, and the strain flags the ontology's
thresholds raise.

Exit codes as elsewhere: 0 done, 2 a question that cannot be answered as asked (unknown metric,
type or method, a bad date, no values released by the date).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from service.cli.numbers import JsonOption, console, stores
from service.forecast.choices import Approach, Model
from service.mapping.spec import MappingError
from service.returns.spec import metric_term
from service.rollup.engine import RollupError
from service.rollup.model import DEFAULT_METHOD, Method

if TYPE_CHECKING:
    from service.forecast.backtest import Target

forecast_app = typer.Typer(help="Forecasts of area figures, their backtest, strain flags.")

KnownAtOption = Annotated[
    str | None,
    typer.Option(help="Forecast from the values published by this date (default: all loaded)."),
]


def _metric(key: str) -> str:
    try:
        return str(metric_term(key))
    except MappingError as exc:
        console.print(f"{exc} (metrics are names in ontology/metrics.ttl)")
        raise typer.Exit(2) from exc


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError as exc:
        console.print(f"{text!r} is not a date: give YYYY-MM-DD")
        raise typer.Exit(2) from exc


@forecast_app.command("run")
def run_command(
    ctx: typer.Context,
    metric: Annotated[str, typer.Argument(help="Metric, e.g. BedsOccupiedCovid.")],
    by: Annotated[str, typer.Option(help="Area type: NHS_REGION, ICB, LRF, ...")],
    method: Annotated[Method, typer.Option(help="How organisations are placed.")] = DEFAULT_METHOD,
    as_known_at: KnownAtOption = None,
    horizon: Annotated[int, typer.Option(help="Days ahead (1 to 14).")] = 14,
    approach: Annotated[
        Approach | None,
        typer.Option(
            help="Forecast the AREA, or CONTRIBUTORS and roll up (default: the metric's "
            "nhskg:forecastApproach in the ontology)."
        ),
    ] = None,
    model: Annotated[
        Model | None,
        typer.Option(
            help="ENSEMBLE, ARIMA, ETS, PERSISTENCE, LINEAR_TREND (default: the metric's "
            "nhskg:forecastModel in the ontology)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Forecast METRIC for every area of a type, 1..horizon days after the last day known."""
    from service.forecast.run import ForecastError, forecast
    from service.reference.strain import EarlyWarningIndex

    iri, known = _metric(metric), _day(as_known_at)
    store, numbers = stores(ctx, read_only=True)
    try:
        stated = EarlyWarningIndex.build(store).default_for(iri)
        approach = approach or Approach(stated.approach)
        model = model or Model(stated.model)
    except (LookupError, ValueError) as exc:
        numbers.close()
        console.print(f"{exc}; name --model and --approach")
        raise typer.Exit(2) from exc
    started = time.perf_counter()
    try:
        result = forecast(
            numbers, iri, by, method, known_at=known, horizon=horizon, approach=approach,
            model=model,
        )  # fmt: skip
    except (ForecastError, RollupError) as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    finally:
        numbers.close()
    took = time.perf_counter() - started
    if as_json:
        typer.echo(json.dumps(asdict(result), default=str, indent=2))
        return
    typer.echo(
        f"{metric} by {by} ({method.value}, {approach.value}, {model.value}), from the values "
        f"known at {known or 'the latest releases'}: last day {result.last_day}; "
        f"{len(result.areas)} areas in {took:.2f} s"
    )
    typer.echo(f"{'area':<12} {'last':>8} {'+' + str(horizon) + 'd':>8}  90% interval")
    for a in result.areas:
        end = a.points[-1]
        lo, hi = end.intervals[0.1]
        typer.echo(f"{a.area:<12} {a.last_value:>8.0f} {end.value:>8.0f}  {lo:.0f} to {hi:.0f}")


def _targets(metrics: list[str], by: list[str]) -> list[Target]:
    from service.forecast.backtest import Target

    out = []
    for m in metrics:
        for spec in by:
            area_type, _, method = spec.partition(":")
            try:
                placed = Method(method) if method else DEFAULT_METHOD
            except ValueError as exc:
                console.print(f"unknown method {method!r}: {', '.join(Method)}")
                raise typer.Exit(2) from exc
            out.append(Target(_metric(m), area_type, placed))
    return out


@forecast_app.command("backtest")
def backtest_command(
    ctx: typer.Context,
    metric: Annotated[
        list[str] | None,
        typer.Option(help="Metrics (repeat); default the three of the weekly publication."),
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(
            help="TYPE or TYPE:METHOD (repeat); default NHS_REGION:RETURN_STATED, LRF:HEADQUARTERS."
        ),
    ] = None,
    start: Annotated[str, typer.Option("--from", help="First origin.")] = "2020-11-01",
    end: Annotated[str, typer.Option("--to", help="Last origin.")] = "2020-12-01",
    step: Annotated[int, typer.Option(help="Days between origins.")] = 3,
    horizons: Annotated[str, typer.Option(help="Days ahead scored, comma separated.")] = "1,7,14",
    contributors: Annotated[
        bool,
        typer.Option(help="Also forecast by contributors rolled up (one fit per organisation)."),
    ] = True,
    out: Annotated[Path | None, typer.Option(help="Also write the table (Markdown) here.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Rolling origins from --from to --to: each forecast made from the first release holding its
    origin day, scored against the latest release (MAE, weighted interval score) per metric,
    geography type and horizon, for ENSEMBLE (area and contributors), ARIMA, PERSISTENCE and
    LINEAR_TREND."""
    from service.forecast.backtest import DEFAULT_RUNS, backtest, origins_between, score_table

    metrics = metric or [
        "BedsOccupiedCovid", "MechanicalVentilationBedsOccupiedCovid",
        "CovidAdmissionsAndDiagnoses",
    ]  # fmt: skip
    targets = _targets(metrics, by or ["NHS_REGION:RETURN_STATED", "LRF:HEADQUARTERS"])
    first, last = _day(start), _day(end)
    assert first is not None and last is not None
    try:
        days = sorted({int(h) for h in horizons.split(",")})
    except ValueError as exc:
        console.print(f"--horizons {horizons!r}: give whole days, e.g. 1,7,14")
        raise typer.Exit(2) from exc
    if first > last or step < 1 or not all(1 <= h <= 14 for h in days):
        console.print("--from must not be after --to, --step at least 1, horizons 1 to 14")
        raise typer.Exit(2)
    _, numbers = stores(ctx, read_only=True)
    started = time.perf_counter()
    try:
        result = backtest(
            numbers, targets, origins_between(first, last, step), days,
            [r for r in DEFAULT_RUNS if contributors or r[0] != Approach.CONTRIBUTORS],
            progress=lambda text: console.print(text),
        )  # fmt: skip
    except RollupError as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    finally:
        numbers.close()
    took = time.perf_counter() - started
    table = score_table(result)
    if out:
        out.write_text(table + "\n")
    if as_json:
        typer.echo(json.dumps([asdict(s) for s in result.scores], indent=2))
        return
    typer.echo(table)
    typer.echo(
        f"\n{len(result.origins)} origins from {first} to {last}, every {step} days; "
        f"{took:.0f} s" + (f"; skipped: {'; '.join(result.skipped)}" if result.skipped else "")
    )


@forecast_app.command("strain")
def strain_command(
    ctx: typer.Context,
    metric: Annotated[str, typer.Argument(help="Metric with strain thresholds in the ontology.")],
    by: Annotated[str, typer.Option(help="Area type: NHS_REGION, ICB, LRF, ...")],
    method: Annotated[Method, typer.Option(help="How organisations are placed.")] = DEFAULT_METHOD,
    as_known_at: KnownAtOption = None,
    on: Annotated[
        str | None, typer.Option(help="Judge the figures up to this day (default: the last).")
    ] = None,
    flagged_only: Annotated[bool, typer.Option(help="Only the areas flagged.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Judge every area of a type against METRIC's strain thresholds (ontology/strain.ttl):
    current figure and forecast, with the reason and the evidence."""
    from service.forecast.run import ForecastError
    from service.reference.strain import EarlyWarningIndex
    from service.strain.areas import strain_flags

    iri, known, origin = _metric(metric), _day(as_known_at), _day(on)
    store, numbers = stores(ctx, read_only=True)
    try:
        index = EarlyWarningIndex.build(store)
        flags = strain_flags(numbers, index, iri, by, method, known_at=known, origin=origin)
    except (ForecastError, RollupError) as exc:
        console.print(str(exc))
        raise typer.Exit(2) from exc
    finally:
        numbers.close()
    shown = [f for f in flags if f.flagged or not flagged_only]
    if as_json:
        for f in shown:
            f.area_forecast = None  # the history and every day: ask `forecast run --json`
        typer.echo(json.dumps([asdict(f) for f in shown], default=str, indent=2))
        return
    typer.echo(f"{sum(f.flagged for f in flags)} of {len(flags)} areas flagged")
    for f in shown:
        typer.echo(f"{f.area:<12} {'FLAGGED' if f.flagged else 'ok':<8} {f.reason}")
