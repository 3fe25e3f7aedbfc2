"""One inference at a time, in arrival order, with a bounded wait list (mirrors SerialQueue in
packages/inference): overload is shed at the door with 429 instead of piling up memory."""
from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from time import perf_counter
from typing import Any, Callable, NamedTuple

from .errors import ServeError


class Timed(NamedTuple):
    value: Any
    queue_ms: float
    infer_ms: float


class InferenceQueue:
    """A single-thread executor is the FIFO; a counter bounds how many wait in it. Both the
    WSGI server (blocking on .result()) and the ASGI one (awaiting the future) use it."""

    def __init__(self, max_waiting: int) -> None:
        self.max_waiting = max_waiting
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix='infer')
        self._lock = threading.Lock()
        self._depth = 0

    @property
    def depth(self) -> int:
        """Requests running or waiting."""
        return self._depth

    def check(self) -> None:
        """Raises OVERLOADED if submit() would now; lets a caller shed load before doing work."""
        # One runs, max_waiting wait: the same admission rule as the Node stacks.
        if self._depth > self.max_waiting:
            raise ServeError('OVERLOADED', f'the inference queue is full ({self.max_waiting} waiting); retry later', retry_after=1)

    def submit(self, fn: Callable[[], Any]) -> 'Future[Timed]':
        with self._lock:
            self.check()
            self._depth += 1
        t0 = perf_counter()

        def job() -> Timed:
            t1 = perf_counter()
            try:
                value = fn()
                return Timed(value, (t1 - t0) * 1000, (perf_counter() - t1) * 1000)
            finally:
                with self._lock:
                    self._depth -= 1

        try:
            return self._executor.submit(job)
        except BaseException:
            with self._lock:
                self._depth -= 1
            raise

    def close(self) -> None:
        self._executor.shutdown(wait=True)
