"""uvicorn's httptools protocol with the header and request timeouts uvicorn lacks (issue 15): a
connection's request headers must arrive within HEADERS_TIMEOUT_MS (so a connection that never sends
one is closed), its body within REQUEST_TIMEOUT_MS; past it the client gets 408 (if nothing was
answered yet) and the connection closes; an answer the client does not take (writing paused) for
SEND_TIMEOUT_MS drops the connection. A module-level class, read from the environment like the
rest of the config, so uvicorn can hand it to WORKERS processes (it pickles its config)."""
from __future__ import annotations

import asyncio
import os
from typing import Any, Optional

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .config import parse_config
from .timeouts import BAD_REQUEST_RESPONSE, LINGER_S, TIMEOUT_RESPONSE

_limits = parse_config(os.environ).connections
HEADERS_S = _limits.headers_timeout_ms / 1000
REQUEST_S = _limits.request_timeout_ms / 1000
SEND_S = _limits.send_timeout_ms / 1000


class _Lingering:
    """The transport as uvicorn sees it, with a lingering close() while a request body is still arriving
    (uvloop's transports cannot be patched, so it wraps one)."""

    def __init__(self, transport: Any, protocol: 'GuardedHttpToolsProtocol') -> None:
        self._t = transport
        self._p = protocol

    def __getattr__(self, name: str) -> Any:
        return getattr(self._t, name)

    def close(self) -> None:
        t = self._t
        if not self._p._body_pending or t.is_closing():
            return t.close()
        self._p._body_pending = False
        try:
            t.write_eof()  # FIN after the answer; what still arrives is parsed and dropped
            t.resume_reading()
        except (OSError, RuntimeError, NotImplementedError):
            return t.close()
        asyncio.get_running_loop().call_later(LINGER_S, t.close)


class GuardedHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[misc]
    _deadline: Optional[asyncio.TimerHandle] = None
    _send_deadline: Optional[asyncio.TimerHandle] = None
    _body_pending = False

    def _arm(self, seconds: Optional[float]) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None if seconds is None else asyncio.get_running_loop().call_later(seconds, self._expire)

    def _expire(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = getattr(self, 'cycle', None)
        if cycle is None or not cycle.response_started:
            self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm(HEADERS_S)
        self.transport = _Lingering(transport, self)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._arm(None)
        self._end_send_deadline()
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        # The client is not taking its answers (the transport's buffer is past its high-water mark): if it
        # does not drain within SEND_TIMEOUT_MS the connection is dropped, as on the Node stacks.
        super().pause_writing()
        if self._send_deadline is None:
            self._send_deadline = asyncio.get_running_loop().call_later(SEND_S, self.transport.abort)

    def resume_writing(self) -> None:
        self._end_send_deadline()
        super().resume_writing()

    def _end_send_deadline(self) -> None:
        if self._send_deadline is not None:
            self._send_deadline.cancel()
            self._send_deadline = None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(HEADERS_S)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._body_pending = True
        self._arm(REQUEST_S)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._body_pending = False
        self._arm(None)

    def send_400_response(self, msg: str) -> None:
        # uvicorn's own 400 (malformed request line, headers or chunked body) is plain text: the contract's instead.
        self.transport.write(BAD_REQUEST_RESPONSE)
        self.transport.close()

    def eof_received(self) -> None:
        self._body_pending = False
        self.transport.close()
