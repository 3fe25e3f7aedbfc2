"""Request timeouts for gunicorn (flask), which has none for a body (issue 15); uvicorn's are in
uvicorn_protocol.py. The same variables and defaults as the Node stacks; IDLE_TIMEOUT_MS and
MAX_CONNECTIONS go to the servers' own keep-alive and connection options."""
from __future__ import annotations

import socket
import threading
from typing import Any, Callable, Optional

from .body import discard_cap
from .config import ConnectionLimits

def deadline_wsgi(app: Callable[..., Any], limits: ConnectionLimits) -> Callable[..., Any]:
    """A WSGI middleware for gunicorn: the body must arrive within REQUEST_TIMEOUT_MS of the headers.
    Past it the socket's read side is shut down, so a trickled body ends short and fails like a broken
    one (400), and gunicorn closes the connection."""
    request_s = limits.request_timeout_ms / 1000

    def guarded(environ: dict, start_response: Callable[..., Any]) -> Any:
        sock: Optional[socket.socket] = environ.get('gunicorn.socket')
        timer: Optional[threading.Timer] = None
        if sock is not None and not _body_read(environ):
            timer = threading.Timer(request_s, _cut, (sock,))
            timer.daemon = True
            timer.start()
        try:
            return app(environ, start_response)
        finally:
            if timer is not None:
                timer.cancel()

    return guarded


def _body_read(environ: dict) -> bool:
    return environ.get('CONTENT_LENGTH') in (None, '', '0') and 'chunked' not in environ.get('HTTP_TRANSFER_ENCODING', '').lower()


def _cut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass


def no_continue_past_limit(max_body_bytes: int) -> Callable[[Any, Any], None]:
    """gunicorn's pre_request hook: no `100 Continue` for a Content-Length past discard_cap() (gunicorn
    sends it before the app runs); the app then answers 413 and closes without reading the body."""

    def pre_request(_worker: Any, req: Any) -> None:
        if not getattr(req, '_expected_100_continue', False):
            return
        for name, value in req.headers:
            if name == 'CONTENT-LENGTH' and value.isdigit() and int(value) > discard_cap(max_body_bytes):
                req._expected_100_continue = False

    return pre_request
