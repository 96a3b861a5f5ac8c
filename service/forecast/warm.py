"""statsmodels (with scipy and pandas) takes seconds to import: a server imports it in a
background thread as it starts, so neither the start nor the first forecast waits for it (a
request that asks meanwhile waits on Python's import lock, no longer)."""

from __future__ import annotations

import importlib
import threading


def warm_forecasting() -> None:
    threading.Thread(
        target=importlib.import_module,
        args=("statsmodels.tsa.arima.model",),
        name="warm-statsmodels",
        daemon=True,
    ).start()
