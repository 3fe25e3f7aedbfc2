"""gunicorn's gthread worker with a header timeout, which gunicorn lacks (issue 15): a worker thread
that has taken a connection reads the request's headers with a blocking socket and no deadline, so a
client that trickles its headers holds that thread for as long as it likes. Here the headers must
arrive within HEADERS_TIMEOUT_MS of the thread taking the connection (for a new connection, gunicorn
hands it back to its poller after 5 s without a byte, where IDLE_TIMEOUT_MS applies); past it the
client gets 408 and the connection closes. Read from the environment like the rest of the config,
because gunicorn loads the worker class by name (`worker_class` in ../../flask/src/main.py)."""
from __future__ import annotations

import os
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from .config import parse_config
from .timeouts import WATCHDOG, answer_408_and_close

HEADERS_S = parse_config(os.environ).connections.headers_timeout_ms / 1000


class HeaderDeadlineThreadWorker(ThreadWorker):  # type: ignore[misc]
    def handle(self, conn: Any) -> Any:
        sock = conn.sock
        conn.servebench_deadline = WATCHDOG.arm(HEADERS_S, lambda: answer_408_and_close(sock))
        try:
            return super().handle(conn)
        finally:
            WATCHDOG.disarm(conn.servebench_deadline)

    def handle_request(self, req: Any, conn: Any) -> Any:
        # The headers are in: their deadline ends (the body's is deadline_wsgi's).
        WATCHDOG.disarm(conn.servebench_deadline)
        return super().handle_request(req, conn)
