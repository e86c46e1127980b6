"""Where `fleet status` and `fleet update` run their per-service work.

Rendering is CPU-bound and copier changes the process's working directory as it goes, so the
work runs in worker processes, not threads. forkserver: workers start from a clean process, not
a fork of the CLI's threaded one, and each renders many services, so it applies the speed-ups of
generator.fleet._speed once. `--jobs 1` runs everything in the CLI's own process instead: no
worker start-up, plain copier, and a traceback that points at the code.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any, TypeVar

from generator.fleet._speed import speed_up_rendering

T = TypeVar("T")


class _Inline(Executor):
    """Run each job at once, in this process."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # handed to the caller through the future
            future.set_exception(error)
        return future


def workers(jobs: int) -> Executor:
    """Return an executor running jobs at once: worker processes, or this process for 1."""
    if jobs == 1:
        return _Inline()
    context = multiprocessing.get_context("forkserver")
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=speed_up_rendering)
