"""gunicorn's gthread worker with a header timeout, which gunicorn lacks (issue 15): a worker thread
that has taken a connection reads the request's headers with a blocking socket and no deadline, so a
client that trickles its headers holds that thread for as long as it likes. Here the headers must
arrive within HEADERS_TIMEOUT_MS of a thread first taking the connection; past it the client gets
408 and the connection closes. The deadline keeps running while gunicorn parks a new connection that
has sent nothing on its poller (after 5 s), so idle new connections close after HEADERS_TIMEOUT_MS too,
as on the Node stacks, and those waiting beyond MAX_CONNECTIONS in the listen backlog get their turn. Read from the environment like the rest of the config,
because gunicorn loads the worker class by name (`worker_class` in ../../flask/src/main.py)."""
from __future__ import annotations

import os
from typing import Any

from gunicorn.workers.gthread import _DEFER, ThreadWorker

from .config import parse_config
from .timeouts import WATCHDOG, answer_408_and_close

HEADERS_S = parse_config(os.environ).connections.headers_timeout_ms / 1000


class HeaderDeadlineThreadWorker(ThreadWorker):  # type: ignore[misc]
    def handle(self, conn: Any) -> Any:
        if getattr(conn, 'servebench_deadline', None) is None:
            sock = conn.sock
            conn.servebench_deadline = WATCHDOG.arm(HEADERS_S, lambda: answer_408_and_close(sock))
        result: Any = None
        try:
            result = super().handle(conn)
            return result
        finally:
            if result is not _DEFER:  # parked with nothing sent yet: the same deadline runs on
                self._end_deadline(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        # The headers are in: their deadline ends (the body's is deadline_wsgi's).
        self._end_deadline(conn)
        return super().handle_request(req, conn)

    @staticmethod
    def _end_deadline(conn: Any) -> None:
        key = getattr(conn, 'servebench_deadline', None)
        if key is not None:
            WATCHDOG.disarm(key)
            conn.servebench_deadline = None
