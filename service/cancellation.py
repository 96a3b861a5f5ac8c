"""Cancellation of work running in a worker thread: a store registers how to interrupt the query
it is about to run with the current job, and whoever gave up waiting cancels the job."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Job:
    """What a worker registers while it runs, so a caller past its budget can interrupt it."""

    interrupts: list[Callable[[], None]] = field(default_factory=list)
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True
        for interrupt in self.interrupts:
            with suppress(Exception):  # a finished cursor cannot be interrupted
                interrupt()


_current: ContextVar[Job | None] = ContextVar("nhskg_job", default=None)


def register_interrupt(interrupt: Callable[[], None]) -> None:
    """Called by a store inside a worker: how to stop the query it is about to run."""
    job = _current.get()
    if job is not None:
        job.interrupts.append(interrupt)
        if job.cancelled:
            interrupt()


@contextmanager
def _job_scope(job: Job) -> Iterator[None]:
    token = _current.set(job)
    try:
        yield
    finally:
        _current.reset(token)


def run_in_job(job: Job, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with _job_scope(job):
        return func(*args, **kwargs)
