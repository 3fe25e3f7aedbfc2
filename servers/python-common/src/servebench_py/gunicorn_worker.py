"""gunicorn's gthread worker with a header timeout, which gunicorn lacks (issue 15): a worker thread
that has taken a connection reads the request's headers with a blocking socket and no deadline, so a
client that trickles its headers holds that thread for as long as it likes. Here the headers must
arrive within HEADERS_TIMEOUT_MS of a thread first taking the connection; past it the client gets
408 and the connection closes. The deadline keeps running while gunicorn parks a new connection that
has sent nothing on its poller (after 5 s), so idle new connections close after HEADERS_TIMEOUT_MS too,
as on the Node stacks, and those waiting beyond MAX_CONNECTIONS in the listen backlog get their turn. Read from the environment like the rest of the config,
because gunicorn loads the worker class by name (`worker_class` in ../../flask/src/main.py).
It also closes a connection when the app answers `Connection: close` (a 413), which gunicorn would keep
open, and lingers on that close while the unread body still arrives (timeouts.linger); and it answers a
request gunicorn cannot parse with the contract's JSON error instead of gunicorn's HTML page. A send
that moves nothing for SEND_TIMEOUT_MS (a client that stopped reading) closes the connection (limit_send)."""
from __future__ import annotations

import os
import threading
from typing import Any, Callable, Iterable, Optional

from gunicorn import util
from gunicorn.http import errors
from gunicorn.workers.gthread import _DEFER, ThreadWorker

from .config import parse_config
from .timeouts import BAD_REQUEST_RESPONSE, WATCHDOG, answer_408_and_close, closing_answer, limit_send, linger

_limits = parse_config(os.environ).connections
HEADERS_S = _limits.headers_timeout_ms / 1000
SEND_S = _limits.send_timeout_ms / 1000

# Parse errors gunicorn answers with another status than 400 or that are not the client's (an app's bad
# response header): left to gunicorn. getattr: gunicorn 23 (Python < 3.10) lacks some of them.
_NOT_BAD_REQUESTS = tuple(
    getattr(errors, name)
    for name in ('InvalidResponseHeader', 'InvalidResponseHeaderName', 'ExpectationFailed', 'UnsupportedTransferCoding',
                 'ForbiddenProxyRequest', 'ConfigurationProblem')
    if hasattr(errors, name)
)


def client_error_answer(exc: BaseException) -> Optional[bytes]:
    """The contract's answer to a request gunicorn could not parse, with gunicorn's status (414 and 431 for an
    over-long request line or header section, as the edge allows; else 400); None when gunicorn answers."""
    if not isinstance(exc, errors.ParseException) or isinstance(exc, _NOT_BAD_REQUESTS):
        return None
    if isinstance(exc, errors.LimitRequestLine):
        return closing_answer('414 URI Too Long', 'the request line is too long')
    if isinstance(exc, errors.LimitRequestHeaders):
        return closing_answer('431 Request Header Fields Too Large', 'the request headers are too large')
    return BAD_REQUEST_RESPONSE


class HeaderDeadlineThreadWorker(ThreadWorker):  # type: ignore[misc]
    def handle(self, conn: Any) -> Any:
        if getattr(conn, 'servebench_deadline', None) is None:
            sock = conn.sock
            conn.servebench_deadline = WATCHDOG.arm(HEADERS_S, lambda: answer_408_and_close(sock))
            limit_send(sock, SEND_S)  # once per connection: a client that stops reading frees its thread
        result: Any = None
        try:
            result = super().handle(conn)
            return result
        finally:
            if result is not _DEFER:  # parked with nothing sent yet: the same deadline runs on
                self._end_deadline(conn)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        answer = client_error_answer(exc)
        if answer is None:
            return super().handle_error(req, client, addr, exc)
        try:
            util.write_nonblock(client, answer)
        except Exception:
            pass  # the client is gone; the connection closes either way

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = _closing(self.wsgi)

    def handle_request(self, req: Any, conn: Any) -> Any:
        # The headers are in: their deadline ends (the body's is deadline_wsgi's).
        self._end_deadline(conn)
        _serving.req = req
        try:
            keepalive = super().handle_request(req, conn)
        except BlockingIOError:
            # A send past SEND_TIMEOUT_MS (limit_send): close as gunicorn closes a connection it gives up on,
            # without the traceback it logs for other socket errors.
            raise StopIteration('the client stopped reading its answer') from None
        finally:
            _serving.req = None
        if not keepalive and _has_body(req):  # e.g. a 413: the body may be arriving still
            linger(conn.sock)
        return keepalive

    @staticmethod
    def _end_deadline(conn: Any) -> None:
        key = getattr(conn, 'servebench_deadline', None)
        if key is not None:
            WATCHDOG.disarm(key)
            conn.servebench_deadline = None


def _has_body(req: Any) -> bool:
    return any(n == 'TRANSFER-ENCODING' or (n == 'CONTENT-LENGTH' and v.strip() != '0') for n, v in req.headers)


_serving = threading.local()  # the gunicorn request this worker thread is answering


def _closing(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """gunicorn drops an application's hop-by-hop headers, `Connection: close` on a 413 included, and
    keeps the connection: this turns that header into gunicorn's own close (it then sends the header)."""

    def wsgi(environ: Any, start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: Any, *rest: Any) -> Any:
            if any(n.lower() == 'connection' and v.lower() == 'close' for n, v in headers):
                req = getattr(_serving, 'req', None)
                if req is not None:
                    req.force_close()
            return start_response(status, headers, *rest)

        return app(environ, start)

    return wsgi
