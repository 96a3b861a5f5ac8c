"""The forecast models and approaches by name (the ontology's nhskg:forecastModel and
nhskg:forecastApproach): apart from the models themselves, so the CLI can offer them as choices
without importing pandas, SciPy and statsmodels for every command."""

from __future__ import annotations

from enum import StrEnum


class Model(StrEnum):
    ENSEMBLE = "ENSEMBLE"  # mean of ARIMA and LINEAR_TREND, quantile by quantile
    ARIMA = "ARIMA"  # statsmodels ARIMA(1,1,0), Yule-Walker, last 28 days
    ETS = "ETS"  # statsmodels ETSModel(error add, trend add damped) on log1p
    PERSISTENCE = "PERSISTENCE"  # the last value, for every horizon
    LINEAR_TREND = "LINEAR_TREND"  # least squares line through the last 7 days


class Approach(StrEnum):
    AREA = "AREA"  # forecast the area's figure
    CONTRIBUTORS = "CONTRIBUTORS"  # forecast each organisation, then roll up
