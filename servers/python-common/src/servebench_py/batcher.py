"""Dynamic batching for the in-process model, the twin of DynamicBatcher in packages/inference/src/batcher.ts.

Requests queue; one thread cuts a batch when the waiting rows reach MAX_BATCH_SIZE (or a preferred size),
or when the oldest request has waited MAX_QUEUE_DELAY_US, runs one model call on it, and hands each
request its own rows. One call in flight: while it runs, new requests gather and form the next batch.
Requests are never split, the oldest one is always in the next batch, and a batch is padded to its own
longest sequence; requests that would pad it past max_padding_ratio wait for a later one.
"""
from __future__ import annotations

import threading
from concurrent.futures import Future
from time import perf_counter
from typing import Callable, List, NamedTuple, Optional, Sequence

from .backend import pack_batch
from .errors import ServeError
from .gate import Timed

# At most a third of a batch's tokens may be padding (DEFAULT_MAX_PADDING_RATIO in batcher.ts).
DEFAULT_MAX_PADDING_RATIO = 1.5
# Requests looked at per batch row when forming a batch, to bound the work under a deep queue.
LOOKAHEAD_PER_ROW = 4

Gone = Optional[Callable[[], bool]]


class BatchReport(NamedTuple):
    """One model call, reported once it ends (for metrics and tests)."""

    size: int
    requests: int
    seq_len: int
    ok: bool


class _Pending:
    __slots__ = ('ids', 'max_len', 'tokens', 'submitted_at', 'gone', 'future')

    def __init__(self, ids: Sequence[Sequence[int]], gone: Gone) -> None:
        self.ids = ids
        self.max_len = max(len(s) for s in ids)
        self.tokens = sum(len(s) for s in ids)
        self.submitted_at = perf_counter()
        self.gone = gone
        self.future: 'Future[Timed]' = Future()


def _gone(p: _Pending) -> bool:
    """Whether the request's client has left; a probe that fails counts as still here (never stops the batcher)."""
    try:
        return p.gone is not None and bool(p.gone())
    except Exception:
        return False


class DynamicBatcher:
    def __init__(
        self,
        embed: Callable[..., List[List[float]]],
        max_batch_size: int,
        max_queue_delay_us: int,
        max_queue_size: int,
        pad_id: int,
        preferred_batch_sizes: Sequence[int] = (),
        max_padding_ratio: float = DEFAULT_MAX_PADDING_RATIO,
        cancellable: bool = False,
        on_batch: Optional[Callable[[BatchReport], None]] = None,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError(f'max_batch_size must be an integer >= 1, got {max_batch_size}')
        self._embed = embed
        self._max_batch = max_batch_size
        self._delay_s = max_queue_delay_us / 1e6
        self._max_queue = max_queue_size
        self._pad_id = pad_id
        self._preferred = frozenset(preferred_batch_sizes)
        self._max_padding_ratio = max_padding_ratio
        self._cancellable = cancellable
        self._on_batch = on_batch
        self._pending: List[_Pending] = []
        self._running = 0
        self._busy = False
        self._closed = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name='batcher', daemon=True)
        self._thread.start()

    @property
    def depth(self) -> int:
        """Requests waiting or in the running batch."""
        return len(self._pending) + self._running

    def check(self) -> None:
        """Raises OVERLOADED if a request would be shed now (before tokenizing); submit decides for good."""
        if (self._busy or self._pending) and len(self._pending) >= self._max_queue:
            raise ServeError('OVERLOADED', f'the inference queue is full ({self._max_queue} waiting); retry later', retry_after=1)

    def submit(self, ids: Sequence[Sequence[int]], gone: Gone = None) -> 'Future[Timed]':
        """Queues one request's token ids; the future resolves to Timed(its rows, queue ms, infer ms)."""
        with self._cond:
            if self._closed:
                raise ServeError('BACKEND_UNAVAILABLE', 'the server is shutting down')
            self.check()
            p = _Pending(ids, gone)
            self._pending.append(p)
            self._cond.notify()
        return p.future

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            with self._cond:
                batch = self._next_batch()
                if batch is None:
                    return
                self._busy = True
                self._running = len(batch)
            try:
                self._execute(batch)
            finally:
                with self._cond:
                    self._busy = False
                    self._running = 0

    def _next_batch(self) -> Optional[List[_Pending]]:
        """Under the lock: waits until a batch is due and takes it from the queue; None once closed."""
        while True:
            self._drop_gone()
            if self._closed:
                for p in self._pending:
                    p.future.set_exception(ServeError('BACKEND_UNAVAILABLE', 'the server is shutting down'))
                self._pending.clear()
                return None
            if not self._pending:
                self._cond.wait()
                continue
            chosen, closed, preferred = self._plan()
            wait = self._pending[0].submitted_at + self._delay_s - perf_counter()
            if not (closed or wait <= 0) and preferred > 0:
                chosen = chosen[:preferred]
            elif not (closed or wait <= 0):
                self._cond.wait(wait)
                continue
            taken = set(map(id, chosen))
            self._pending = [p for p in self._pending if id(p) not in taken]
            return chosen

    def _drop_gone(self) -> None:
        """Requests whose client went away leave the queue (the Node batcher's abort while queued)."""
        if any(_gone(p) for p in self._pending):
            keep = []
            for p in self._pending:
                if _gone(p):
                    p.future.set_exception(ServeError('BACKEND_TIMEOUT', 'the request was cancelled while queued: its client went away'))
                else:
                    keep.append(p)
            self._pending = keep

    def _plan(self):
        """The oldest request, then later ones in arrival order that keep the batch within max_batch_size
        rows and the padding ratio; one that does not fit keeps its place and heads a later batch.
        Returns (chosen, closed: dispatch now, preferred: how many of chosen make a preferred size)."""
        chosen: List[_Pending] = []
        rows = max_len = tokens = preferred = 0
        skipped = False
        scan = min(len(self._pending), LOOKAHEAD_PER_ROW * self._max_batch)
        for p in self._pending[:scan]:
            if rows >= self._max_batch:
                break
            r = rows + len(p.ids)
            m = max(max_len, p.max_len)
            t = tokens + p.tokens
            if chosen and (r > self._max_batch or r * m > self._max_padding_ratio * t):
                skipped = True
                continue
            chosen.append(p)
            rows, max_len, tokens = r, m, t
            if rows in self._preferred:
                preferred = len(chosen)
        closed = rows >= self._max_batch or skipped or scan < len(self._pending)
        return chosen, closed, preferred

    def _execute(self, batch: List[_Pending]) -> None:
        dispatched = perf_counter()
        rows = [s for p in batch for s in p.ids]
        seq_len = max(p.max_len for p in batch)
        out: List[List[float]] = []
        error: Optional[BaseException] = None
        try:
            packed = pack_batch(rows, self._pad_id)
            if self._cancellable and all(p.gone is not None for p in batch):
                # Nobody wants the batch any more: onnxruntime stops the call in progress.
                out = self._embed(*packed, gone=lambda: all(_gone(p) for p in batch))
            else:
                out = self._embed(*packed)
            if len(out) != len(rows):
                raise ServeError('BAD_BACKEND_RESPONSE', f'the backend returned {len(out)} rows for a batch of {len(rows)}')
        except BaseException as e:
            error = e
        infer_ms = (perf_counter() - dispatched) * 1000
        first = 0
        for p in batch:
            n = len(p.ids)
            if p.future.cancelled():
                pass
            elif error is None:
                p.future.set_result(Timed(out[first : first + n], (dispatched - p.submitted_at) * 1000, infer_ms))
            else:
                p.future.set_exception(error)
            first += n
        if self._on_batch is not None:
            try:
                self._on_batch(BatchReport(len(rows), len(batch), seq_len, error is None))
            except Exception:
                pass  # metrics never stop the batcher
