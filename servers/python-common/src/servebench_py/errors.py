"""The contract's stable error codes and HTTP statuses (mirrors packages/contract/src/errors.ts)."""
from __future__ import annotations

import json
from typing import Optional

HTTP_STATUS = {
    'INVALID_JSON': 400,
    'INVALID_UTF8': 400,
    'INVALID_REQUEST': 400,
    'EMPTY_TEXTS': 400,
    'TOO_MANY_TEXTS': 400,
    'TEXT_TOO_LONG': 400,
    'NOT_FOUND': 404,
    'METHOD_NOT_ALLOWED': 405,
    'BODY_TOO_LARGE': 413,
    'UNSUPPORTED_MEDIA_TYPE': 415,
    'OVERLOADED': 429,
    'INTERNAL': 500,
    'BAD_BACKEND_RESPONSE': 502,
    'NOT_READY': 503,
    'BACKEND_UNAVAILABLE': 503,
    'BACKEND_TIMEOUT': 504,
}


class ServeError(Exception):
    """The one error type the handlers raise; Service turns it into a JSON reply."""

    def __init__(self, code: str, message: str, retry_after: Optional[int] = None, close: bool = False) -> None:
        super().__init__(message)
        if code not in HTTP_STATUS:
            raise ValueError(f'unknown error code {code}')
        self.code = code
        self.message = message
        self.status = HTTP_STATUS[code]
        # Seconds, sent as Retry-After when shedding load.
        self.retry_after = retry_after
        # The connection cannot carry another request (its framing is lost): answer with `Connection: close`.
        self.close = close

    def body(self) -> bytes:
        return json.dumps({'error': {'code': self.code, 'message': self.message}}, separators=(',', ':')).encode()


class Unavailable(Exception):
    """This stack cannot run on this machine (missing runtime, GPU, backend): exit 78, reported as skipped."""
