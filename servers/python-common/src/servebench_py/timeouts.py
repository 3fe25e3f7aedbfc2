"""Request timeouts for gunicorn (flask), which has none (issue 15); uvicorn's are in
uvicorn_protocol.py. The same variables and defaults as the Node stacks: a request's headers must
arrive within HEADERS_TIMEOUT_MS (gunicorn_worker.py arms it), its body within REQUEST_TIMEOUT_MS of
the headers (deadline_wsgi); past either the client gets 408 and the connection is closed.
IDLE_TIMEOUT_MS and MAX_CONNECTIONS go to gunicorn's own keep-alive and connection options.
The 408 and 400 answers and the lingering close's bound (LINGER_S) are uvicorn_protocol.py's too."""
from __future__ import annotations

import json
import socket
import struct
import threading
from time import monotonic
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

from .body import discard_cap
from .config import ConnectionLimits

# After an answer sent before the body arrived (413), how long the rest is read and discarded before closing:
# closing with unread data resets the connection, and a client still sending may lose its answer.
LINGER_S = 5.0



def closing_answer(status: str, message: str) -> bytes:
    """An INVALID_REQUEST answer that closes the connection, byte for byte as the Node stacks' parser
    sends one (packages/core/src/http.ts answerClientError)."""
    body = json.dumps({'error': {'code': 'INVALID_REQUEST', 'message': message}}, separators=(',', ':')).encode()
    return (
        f'HTTP/1.1 {status}\r\ncontent-type: application/json; charset=utf-8\r\n'.encode()
        + f'content-length: {len(body)}\r\nconnection: close\r\n\r\n'.encode()
        + body
    )


TIMEOUT_RESPONSE = closing_answer('408 Request Timeout', 'the request did not arrive in time')
# A request the server's HTTP parser rejects (uvicorn's and gunicorn's own answers are text or HTML).
BAD_REQUEST_RESPONSE = closing_answer('400 Bad Request', 'the request is not valid HTTP/1.1')


class Watchdog:
    """Deadlines for one process, checked by one thread every `tick_s` (a timer thread per request
    would cost a thread each). An expiry runs under the lock, so once disarm() has returned False the
    expiry is complete, and while it returns True the expiry will never run."""

    def __init__(self, tick_s: float = 0.05) -> None:
        self.tick_s = tick_s
        self._lock = threading.Lock()
        self._armed: Dict[int, Tuple[float, Callable[[], None]]] = {}
        self._next_key = 0
        self._thread: Optional[threading.Thread] = None

    def arm(self, seconds: float, expire: Callable[[], None]) -> int:
        with self._lock:
            self._next_key += 1
            self._armed[self._next_key] = (monotonic() + seconds, expire)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name='deadlines', daemon=True)
                self._thread.start()
            return self._next_key

    def disarm(self, key: int) -> bool:
        """True if the deadline had not expired (it never will now); False if it had."""
        with self._lock:
            return self._armed.pop(key, None) is not None

    def _run(self) -> None:
        pause = threading.Event()
        while True:
            pause.wait(self.tick_s)
            now = monotonic()
            with self._lock:
                for key in [k for k, (at, _) in self._armed.items() if at <= now]:
                    _, expire = self._armed.pop(key)
                    try:
                        expire()
                    except Exception:
                        pass


WATCHDOG = Watchdog()


def answer_408_and_close(sock: socket.socket) -> None:
    """Writes the 408 without blocking (a client that does not read must not stall the watchdog) and
    shuts the socket down, so the thread reading from it sees the end and gunicorn closes it."""
    try:
        sock.send(TIMEOUT_RESPONSE, socket.MSG_DONTWAIT)
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def limit_send(sock: socket.socket, seconds: float) -> None:
    """A blocking send on `sock` that moves no byte for `seconds` fails (SO_SNDTIMEO; sendall then raises)
    instead of holding its worker thread for as long as the client does not read: SEND_TIMEOUT_MS, which
    gunicorn lacks. A slow client that still reads keeps each send under it."""
    whole = int(seconds)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack('ll', whole, int((seconds - whole) * 1_000_000)))


def linger(sock: socket.socket, seconds: float = LINGER_S) -> None:
    """A lingering close for a connection closing after an answer sent before its body arrived (413):
    FIN after the answer, then what the client still sends is read and dropped until it closes or
    `seconds` pass, then both directions are shut (the closer then never blocks). gunicorn's own
    graceful close drains only 64 KiB, which a client still sending fills at once; it then closes with
    unread data, the kernel resets the connection, and a client whose next write fails first (EPIPE)
    never reads its 413."""
    try:
        sock.shutdown(socket.SHUT_WR)
        end = monotonic() + seconds
        while (left := end - monotonic()) > 0:
            sock.settimeout(left)
            if not sock.recv(1 << 16):
                break
    except OSError:  # including the timeout
        pass
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _DeadlineInput:
    """wsgi.input that ends the body's deadline once the body has been read to its end."""

    def __init__(self, stream: Any, done: Callable[[], None]) -> None:
        self._stream = stream
        self._done = done

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if not data or size is None or size < 0:
            self._done()
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def deadline_wsgi(app: Callable[..., Any], limits: ConnectionLimits, watchdog: Watchdog = WATCHDOG) -> Callable[..., Any]:
    """A WSGI middleware for gunicorn: the body must arrive within REQUEST_TIMEOUT_MS of the headers;
    past it the client gets 408 and the connection closes (the app's read then ends short, and what it
    writes goes nowhere). The deadline ends when the body has been read or the app starts its answer."""
    request_s = limits.request_timeout_ms / 1000

    def guarded(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        sock: Optional[socket.socket] = environ.get('gunicorn.socket')
        if sock is None or _body_read(environ):
            return app(environ, start_response)
        key = watchdog.arm(request_s, lambda: answer_408_and_close(sock))
        done = lambda: watchdog.disarm(key)  # noqa: E731
        environ['wsgi.input'] = _DeadlineInput(environ['wsgi.input'], done)

        def start(*args: Any) -> Any:
            done()
            return start_response(*args)

        try:
            return app(environ, start)
        finally:
            done()

    return guarded


def _body_read(environ: Dict[str, Any]) -> bool:
    return environ.get('CONTENT_LENGTH') in (None, '', '0') and 'chunked' not in environ.get('HTTP_TRANSFER_ENCODING', '').lower()


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
