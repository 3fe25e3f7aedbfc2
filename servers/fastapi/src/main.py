"""Entry point (via ../python-common/start.sh): runs the FastAPI app on uvicorn, WORKERS processes."""
from __future__ import annotations

import inspect
import socket

from servebench_py.config import ServerConfig
from servebench_py.serve import exit_now, on_stop_signals, run_main


def serve(config: ServerConfig, sock: socket.socket) -> None:
    import uvicorn

    options = dict(
        log_level='warning',
        access_log=False,
        server_header=False,
        lifespan='off',
        # IDLE_TIMEOUT_MS (30 s): longer than any client's idle timeout (Node's agent: 5 s), so the client
        # always closes an idle connection first and never reuses one the server is closing.
        timeout_keep_alive=max(1, round(config.connections.idle_timeout_ms / 1000)),
        # MAX_CONNECTIONS: beyond it uvicorn answers 503 (it counts connections and tasks).
        limit_concurrency=config.connections.max_connections,
        # HEADERS_TIMEOUT_MS / REQUEST_TIMEOUT_MS, which uvicorn lacks (servebench_py/timeouts.py).
        http='servebench_py.uvicorn_protocol:GuardedHttpToolsProtocol',
        timeout_graceful_shutdown=max(1, round(config.shutdown_grace_ms / 1000)),
        workers=config.workers,
    )
    if config.workers == 1:
        # One process: load here and hand uvicorn the app object.
        from app import create_app

        on_stop_signals(exit_now)
        server = uvicorn.Server(uvicorn.Config(create_app(), **options))
        # From here a stop signal means a graceful shutdown, also before uvicorn installs its own
        # handlers; uvicorn puts this one back and re-raises the signal once it has shut down,
        # which then only sets should_exit again: the process exits 0 rather than by the signal.
        on_stop_signals(server.handle_exit)
        server.run(sockets=[sock])
        return
    # Several: each spawned worker imports app.py and calls the factory (loads its own model).
    from uvicorn.supervisors import Multiprocess

    config_ = uvicorn.Config('app:create_app', factory=True, **options)
    if 'target' in inspect.signature(Multiprocess).parameters:  # uvicorn 0.39 (what Python 3.9 gets)
        Multiprocess(config_, target=uvicorn.Server(config_).run, sockets=[sock]).run()
    else:
        Multiprocess(config_, sockets=[sock]).run()


if __name__ == '__main__':
    run_main('fastapi', serve)
