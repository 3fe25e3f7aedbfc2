"""Entry point (via ../python-common/start.sh): runs the Flask app on gunicorn, WORKERS processes."""
from __future__ import annotations

import math
import socket
from typing import Any, Dict

from gunicorn.app.base import BaseApplication

from servebench_py.config import ServerConfig
from servebench_py.serve import run_main
from servebench_py.timeouts import deadline_wsgi, no_continue_past_limit

# gthread hands each request to a thread pool whose own queue is not bounded by MAX_QUEUE, and a
# request waiting there blocks /healthz behind it. So: a thread for every request in flight (they
# start on demand, so a light load starts few), at least one per admitted predict (1 running +
# MAX_QUEUE waiting), the excess shed with 429 by the app; MAX_CONNECTIONS bounds the connections held.
MIN_THREADS = 512
MAX_THREADS = 2048


def threads_for(config: ServerConfig) -> int:
    return min(max(MIN_THREADS, config.max_queue + 2), MAX_THREADS)


class Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: Dict[str, Any], threads: int, config: ServerConfig) -> None:
        self.options = options
        self.threads = threads
        self.config = config
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # older gunicorns lack some settings
                self.cfg.set(key, value)

    def load(self) -> Any:
        from app import create_app

        # REQUEST_TIMEOUT_MS for the body, which gunicorn lacks (servebench_py/timeouts.py).
        return deadline_wsgi(create_app(self.threads), self.config.connections)


def serve(config: ServerConfig, sock: socket.socket) -> None:
    threads = threads_for(config)
    options = {
        # gunicorn takes over the bound socket (and closes our descriptor of it).
        'bind': [f'fd://{sock.detach()}'],
        'workers': config.workers,
        # gthread with HEADERS_TIMEOUT_MS, which gunicorn lacks (servebench_py/gunicorn_worker.py).
        'worker_class': 'servebench_py.gunicorn_worker.HeaderDeadlineThreadWorker',
        'threads': threads,
        # MAX_CONNECTIONS (768) caps the connections a worker holds; at least one idle slot beyond the threads.
        'worker_connections': max(config.connections.max_connections, threads + 1),
        # gunicorn's largest request line (default 4094); Node's parser allows 16 KiB of headers.
        'limit_request_line': 8190,
        # IDLE_TIMEOUT_MS (30 s): longer than any client's idle timeout (Node's agent: 5 s), so the client
        # always closes an idle connection first and never reuses one the server is closing.
        'keepalive': max(1, round(config.connections.idle_timeout_ms / 1000)),
        'graceful_timeout': math.ceil(config.shutdown_grace_ms / 1000),
        # Expect: 100-continue with a Content-Length over MAX_BODY_BYTES gets 413, not 100 Continue.
        'pre_request': no_continue_past_limit(config.limits.max_body_bytes),
        'loglevel': 'warning',
        'accesslog': None,
        'errorlog': '-',
        'proc_name': 'servebench-flask',
        # gunicorn >= 25.1 opens ~/.gunicorn/gunicorn.ctl by default; parallel servers would collide.
        'control_socket_disable': True,
    }
    Gunicorn(options, threads, config).run()


if __name__ == '__main__':
    run_main('flask', serve)
