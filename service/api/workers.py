"""Worker pools for blocking work, with a per-request time budget.

The event loop only accepts requests and writes answers: the engine (roll-ups, observations,
steward work) and reference reads (lookups, organisations, areas) run in worker threads, each
kind in a pool of its own, so a slow roll-up never delays a lookup or /health. A request that
runs past its budget is answered at once with a clear error; its DuckDB queries are interrupted
(each worker's cursors are registered with its job) and its thread is left to finish alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from service.api.priority import lower_this_thread
from service.cancellation import Job, run_in_job

T = TypeVar("T")


class BudgetExceeded(Exception):
    """Work that ran past the request's time budget and was stopped."""

    def __init__(self, budget: float, what: str) -> None:
        super().__init__(
            f"{what} took longer than the {budget:g} s a request may take and was stopped"
        )
        self.budget = budget


class WorkerPool:
    """A bounded pool of worker threads (anyio's), with a time budget per call."""

    def __init__(self, name: str, threads: int, budget_seconds: float) -> None:
        self.name = name
        self.limiter = anyio.CapacityLimiter(threads)
        self.budget = budget_seconds

    async def run(
        self,
        what: str,
        func: Callable[..., T],
        *args: Any,
        budget: float | None = None,
        **kwargs: Any,
    ) -> T:
        """`func(*args, **kwargs)` in a worker thread, stopped after `budget` seconds (default:
        the pool's)."""
        budget = self.budget if budget is None else budget
        job = Job()
        call = partial(_run_lowered, job, func, *args, **kwargs)
        with anyio.move_on_after(budget) as scope:
            return await anyio.to_thread.run_sync(
                call, limiter=self.limiter, abandon_on_cancel=True
            )
        if scope.cancelled_caught:
            job.cancel()
        raise BudgetExceeded(budget, what)


def _run_lowered(job: Job, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    lower_this_thread()  # below the event loop, when `nhskg serve` favours it (priority.py)
    return run_in_job(job, func, *args, **kwargs)


@dataclass
class Workers:
    """The app's pools: `reference` for lookups and reference reads, `engine` for roll-ups,
    observations and steward work (fewer threads: each may keep a core busy)."""

    reference: WorkerPool
    engine: WorkerPool
    steward_budget: float  # seconds a steward's change set may take (in the engine pool)

    @classmethod
    def create(
        cls, budget_seconds: float, engine_threads: int = 2, steward_budget: float | None = None
    ) -> Workers:
        return cls(
            reference=WorkerPool("reference", 8, budget_seconds),
            engine=WorkerPool("engine", engine_threads, budget_seconds),
            steward_budget=budget_seconds if steward_budget is None else steward_budget,
        )
