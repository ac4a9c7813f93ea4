"""Staffing tables computed in a worker process, off the web app's event loop and GIL.

Erlang A for a large queue takes seconds of CPU. In the web process that would slow every
screen pop and the call-record writer; so a single worker process (started on first use)
does it, one question at a time, with a bounded queue and a time limit.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from kpi.staffing import StaffingQuestion, staffing_table

# Questions waiting or running at once; more are refused as busy rather than queued forever.
MAX_PENDING = 4
TIME_LIMIT_S = 20.0


class StaffingBusy(Exception):
    """Too many staffing questions at once, or one took too long: try again shortly."""


class StaffingWorker:
    """One worker process answering staffing questions."""

    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending = 0

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                # forkserver: never fork a process that runs threads (uvicorn, writers).
                context = multiprocessing.get_context("forkserver")
                self._executor = ProcessPoolExecutor(max_workers=1, mp_context=context)
            return self._executor

    async def table(self, question: StaffingQuestion) -> dict[str, Any]:
        """The staffing table for `question`; StaffingBusy when over the limits."""
        with self._lock:
            if self._pending >= MAX_PENDING:
                raise StaffingBusy("staffing is busy with other questions; try again shortly")
            self._pending += 1
        try:
            future = self._pool().submit(staffing_table, question)
            try:
                return await asyncio.wait_for(asyncio.wrap_future(future), TIME_LIMIT_S)
            except TimeoutError:
                raise StaffingBusy("that staffing question took too long; try again") from None
        finally:
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        """Stop the worker process without waiting for a question in progress."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


_worker = StaffingWorker()


def staffing_worker() -> StaffingWorker:
    """The process's staffing worker (its process starts on the first question)."""
    return _worker
