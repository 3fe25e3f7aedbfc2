"""Reading a request body up to a limit, shared by the ASGI and WSGI adapters."""
from __future__ import annotations

from typing import List, Optional

from .errors import ServeError


def discard_cap(limit: int) -> int:
    """Bytes of an over-limit body read and discarded before answering 413 anyway: enough for any
    plausible client to finish sending (closing on unread data resets the connection and the client
    may lose its 413), yet bounded, so an endless chunked body is cut off."""
    return max(16 * limit, 16 * 1024 * 1024)


class LimitedBody:
    """Feed it the body's chunks, then call result(). Past the limit it drops the chunks and keeps
    counting, so the client can finish sending and gets its 413 instead of a reset; a body declared
    or grown past discard_cap() raises BODY_TOO_LARGE at once (no 100 Continue for it, and an
    endless chunked body has no end to read to). The 413 carries `Connection: close`."""

    def __init__(self, limit: int, content_length: Optional[str]) -> None:
        self.limit = limit
        declared = int(content_length) if content_length is not None and content_length.isdigit() else None
        self.too_large = declared is not None and declared > limit
        self._parts: List[bytes] = []
        self._size = 0
        if declared is not None and declared > discard_cap(limit):
            raise ServeError('BODY_TOO_LARGE', f'body exceeds {limit} bytes')

    def feed(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self.limit:
            self.too_large = True
            self._parts.clear()
            if self._size > discard_cap(self.limit):
                raise ServeError('BODY_TOO_LARGE', f'body exceeds {self.limit} bytes')
            return
        self._parts.append(chunk)

    def result(self) -> bytes:
        if self.too_large:
            raise ServeError('BODY_TOO_LARGE', f'body exceeds {self.limit} bytes')
        return self._parts[0] if len(self._parts) == 1 else b''.join(self._parts)
