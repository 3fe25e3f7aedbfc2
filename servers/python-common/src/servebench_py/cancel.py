"""Stops an onnxruntime call in progress when its client goes away (issue 15). One thread per process
checks the `gone()` of every model call in progress every `tick_s` (fastapi: the disconnect seen by
uvicorn; flask: a peek at the socket) and sets the call's RunOptions.terminate, which onnxruntime
reads between graph nodes. It sleeps while no call is in progress."""
from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Optional, Tuple


class RunCanceller:
    def __init__(self, tick_s: float = 0.05) -> None:
        self.tick_s = tick_s
        self._lock = threading.Lock()
        self._calls: Dict[int, Tuple[Callable[[], bool], Any]] = {}
        self._next_key = 0
        self._work = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def watch(self, gone: Callable[[], bool], run_options: Any) -> int:
        """Until forget(key): once gone() is true, run_options.terminate is set."""
        with self._lock:
            self._next_key += 1
            self._calls[self._next_key] = (gone, run_options)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name='cancel-runs', daemon=True)
                self._thread.start()
            self._work.set()
            return self._next_key

    def forget(self, key: int) -> None:
        with self._lock:
            self._calls.pop(key, None)

    def _run(self) -> None:
        pause = threading.Event()
        while True:
            self._work.wait()
            pause.wait(self.tick_s)
            with self._lock:
                calls = list(self._calls.items())
                if not calls:
                    self._work.clear()
            for key, (gone, run_options) in calls:
                try:
                    if gone():
                        run_options.terminate = True
                        self.forget(key)
                except Exception:
                    self.forget(key)


CANCELLER = RunCanceller()
