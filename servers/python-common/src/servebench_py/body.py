"""Reading a request body up to a limit, shared by the ASGI and WSGI adapters."""
from __future__ import annotations

from typing import List, Optional

from .errors import ServeError


class LimitedBody:
    """Feed it the body's chunks, then call result(). Past the limit it keeps counting but drops
    the chunks, so the adapter can read the rest and the client gets its 413 instead of a reset."""

    def __init__(self, limit: int, content_length: Optional[str]) -> None:
        self.limit = limit
        self.too_large = content_length is not None and content_length.isdigit() and int(content_length) > limit
        self._parts: List[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self.limit:
            self.too_large = True
        if not self.too_large:
            self._parts.append(chunk)

    def result(self) -> bytes:
        if self.too_large:
            raise ServeError('BODY_TOO_LARGE', f'body exceeds {self.limit} bytes')
        return self._parts[0] if len(self._parts) == 1 else b''.join(self._parts)
