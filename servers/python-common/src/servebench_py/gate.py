"""Inference in arrival order, at most `concurrency` at once, with a bounded wait list and a bound on
the work admitted in padded tokens (mirrors WorkQueue and Pipeline in packages/inference): overload is
shed at the door with 429 instead of piling up memory and model time. An in-process model runs one call
at a time; a proxy keeps one call per model-server connection."""
from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from time import perf_counter
from typing import Any, Callable, Deque, NamedTuple, Optional

from .errors import ServeError


class Timed(NamedTuple):
    value: Any
    queue_ms: float
    infer_ms: float


class InferenceQueue:
    """A FIFO ticket lock with a bounded wait list. Threaded (WSGI) servers call run(), which
    infers on the request's own thread; event-loop (ASGI) servers call submit(), which infers on
    `concurrency` executor threads so the loop stays free. Both go through the same turn order."""

    def __init__(self, max_waiting: int, concurrency: int = 1, max_tokens: Optional[int] = None) -> None:
        self.max_waiting = max_waiting
        self.concurrency = concurrency
        self.max_tokens = max_tokens
        self._tokens = 0
        self._lock = threading.Lock()
        self._running = 0
        self._waiters: Deque[threading.Event] = deque()
        self._depth = 0
        self._executor: Optional[ThreadPoolExecutor] = None

    @property
    def depth(self) -> int:
        """Requests running or waiting."""
        return self._depth

    def check(self) -> None:
        """Raises OVERLOADED if a request would be shed now; lets a caller shed before doing work."""
        # `concurrency` run, max_waiting wait: the same admission rule as the Node stacks.
        if self._depth >= self.concurrency + self.max_waiting:
            raise ServeError('OVERLOADED', f'the inference queue is full ({self.max_waiting} waiting); retry later', retry_after=1)

    @property
    def tokens(self) -> int:
        """Padded tokens of work admitted and not finished (the MAX_QUEUE_TOKENS bound)."""
        return self._tokens

    def hold(self, tokens: int) -> 'TokenHold':
        """Admits `tokens` of work (an upper bound, known before tokenizing) or raises OVERLOADED once
        the work admitted and not finished would pass max_tokens; one request is always admitted on an
        idle queue. The caller releases the hold when its work is done or abandoned."""
        with self._lock:
            if self.max_tokens is not None and self._tokens > 0 and self._tokens + tokens > self.max_tokens:
                raise ServeError('OVERLOADED', f'the inference queue is full ({self.max_tokens} tokens of work admitted); retry later', retry_after=1)
            self._tokens += tokens
        return TokenHold(self, tokens)

    def _adjust(self, delta: int) -> None:
        with self._lock:
            self._tokens += delta

    def run(self, fn: Callable[[], Any]) -> Timed:
        """Waits for this request's turn, then runs fn on the calling thread."""
        t0 = perf_counter()
        return self._turn(self._admit(), fn, t0)

    def submit(self, fn: Callable[[], Any]) -> 'Future[Timed]':
        """Admits now (or raises OVERLOADED); fn runs on the executor thread in its turn."""
        t0 = perf_counter()
        turn = self._admit()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix='infer')
        try:
            return self._executor.submit(self._turn, turn, fn, t0)
        except BaseException:
            self._leave()
            raise

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    def _admit(self) -> Optional[threading.Event]:
        """Counts the request in; returns an event to wait for when every slot is taken."""
        with self._lock:
            self.check()
            self._depth += 1
            if self._running < self.concurrency:
                self._running += 1
                return None
            turn = threading.Event()
            self._waiters.append(turn)
            return turn

    def _leave(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._waiters:
                self._waiters.popleft().set()  # hand the slot over; _running stays the same
            else:
                self._running -= 1

    def _turn(self, turn: Optional[threading.Event], fn: Callable[[], Any], t0: float) -> Timed:
        try:
            if turn is not None:
                turn.wait()
            t1 = perf_counter()
            value = fn()
            return Timed(value, (t1 - t0) * 1000, (perf_counter() - t1) * 1000)
        finally:
            self._leave()


class TokenHold:
    """Tokens one request holds in its queue's budget: resized to the real figure once tokenized,
    released once (later calls do nothing)."""

    def __init__(self, queue: InferenceQueue, tokens: int) -> None:
        self._queue = queue
        self.tokens = tokens

    def resize(self, tokens: int) -> None:
        if self.tokens > 0:
            self._queue._adjust(tokens - self.tokens)
            self.tokens = tokens

    def release(self) -> None:
        if self.tokens > 0:
            self._queue._adjust(-self.tokens)
            self.tokens = 0
