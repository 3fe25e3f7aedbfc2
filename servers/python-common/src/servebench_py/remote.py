"""HTTP/1.1 to a model server, and the checks every proxy backend shares (mirrors http-pool.ts and
remote.ts in packages/inference/src/triton). Standard library only, and no numpy at import time:
serve.py checks the URL in the gunicorn parent, which must fork without numpy's threads."""
from __future__ import annotations

import http.client
import json
import socket
import threading
from time import monotonic
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union
from urllib.parse import quote, urlsplit

from .config import ModelServer
from .errors import ServeError, Unavailable

# The graph's tensor names, as in packages/model (graph.ts) and every model repository made from it.
INPUTS = ('input_ids', 'attention_mask', 'token_type_ids')
OUTPUT = 'embedding'
MAX_BODY_BYTES = 256 * 1024 * 1024

Embeddings = List[List[float]]


class HttpReply(NamedTuple):
    status: int
    headers: Dict[str, str]  # lower-case names
    body: bytes


def base_url(url: str, default: str) -> Tuple[str, int, str]:
    """host, port and origin of MODEL_SERVER_URL ('' means `default`); Unavailable (exit 78) if it is no http:// URL."""
    raw = url or default
    try:
        u = urlsplit(raw)
        scheme, host, port = u.scheme, u.hostname, u.port or 80
    except ValueError:
        scheme, host, port = '', None, 0
    if scheme != 'http' or not host:
        raise Unavailable(f'MODEL_SERVER_URL={raw} is not a URL this client supports; expected http://host:port')
    shown = f'[{host}]' if ':' in host else host
    return host, port, f'http://{shown}:{port}'


def check_options(o: ModelServer) -> None:
    if not o.model:
        raise Unavailable('MODEL_SERVER_MODEL is empty: name the model in the model server repository')


class HttpPool:
    """At most `connections` keep-alive connections to one model server. Every call has a deadline;
    refusals, resets and timeouts become ServeErrors (503/504), so a stopped or stuck model server
    never hangs a request. A connection that failed in any way is closed, never pooled again."""

    def __init__(self, host: str, port: int, label: str, o: ModelServer) -> None:
        self.host, self.port, self.label = host, port, label
        self.timeout_s = o.timeout_ms / 1000
        self.timeout_ms = o.timeout_ms
        self.keep_alive_s = o.keep_alive_ms / 1000
        self._slots = threading.BoundedSemaphore(o.connections)
        self._lock = threading.Lock()
        self._idle: List[Tuple[http.client.HTTPConnection, float]] = []

    def request(self, method: str, path: str, body: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None) -> HttpReply:
        deadline = monotonic() + self.timeout_s
        if not self._slots.acquire(timeout=self.timeout_s):
            raise self._timeout()
        try:
            conn, reused = self._take()
            try:
                return self._once(conn, method, path, body, headers or {}, deadline)
            except (ConnectionResetError, BrokenPipeError) as e:
                # A reused keep-alive connection the server closed just before: one retry on a new one.
                if not reused or monotonic() >= deadline:
                    raise self._transport_error(e) from None
                return self._once(self._new(), method, path, body, headers or {}, deadline)
        except (OSError, http.client.HTTPException) as e:
            raise self._transport_error(e) from None
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            conn.close()

    def _take(self) -> Tuple[http.client.HTTPConnection, bool]:
        now = monotonic()
        with self._lock:
            while self._idle:
                conn, since = self._idle.pop()
                if now - since < self.keep_alive_s:
                    return conn, True
                conn.close()
        return self._new(), False

    def _new(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)

    def _once(self, conn: http.client.HTTPConnection, method: str, path: str, body: Optional[bytes],
              headers: Dict[str, str], deadline: float) -> HttpReply:
        try:
            conn.timeout = self._left(deadline)  # the connect, if this connection is new
            if conn.sock is not None:
                conn.sock.settimeout(conn.timeout)
            conn.request(method, path, body=body, headers=headers)
            sock = conn.sock  # getresponse() drops conn.sock when the answer closes the connection
            sock.settimeout(self._left(deadline))
            res = conn.getresponse()
            chunks: List[bytes] = []
            size = 0
            while True:
                sock.settimeout(self._left(deadline))
                chunk = res.read(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise ServeError('BAD_BACKEND_RESPONSE', f'{self.label} sent more than {MAX_BODY_BYTES} bytes')
                chunks.append(chunk)
            reply = HttpReply(res.status, {k.lower(): v for k, v in res.getheaders()}, b''.join(chunks))
        except BaseException:
            conn.close()
            raise
        if res.will_close or self.keep_alive_s <= 0:
            conn.close()
        else:
            with self._lock:
                self._idle.append((conn, monotonic()))
        return reply

    def _left(self, deadline: float) -> float:
        left = deadline - monotonic()
        if left <= 0:
            raise socket.timeout('deadline passed')
        return left

    def _timeout(self) -> ServeError:
        return ServeError('BACKEND_TIMEOUT', f'{self.label} did not answer within {self.timeout_ms} ms (MODEL_SERVER_TIMEOUT_MS)')

    def _transport_error(self, e: BaseException) -> ServeError:
        """Why a call got no answer: a timeout is 504, anything else (refused, reset, closed, not HTTP) 503."""
        if isinstance(e, (socket.timeout, TimeoutError)):
            return self._timeout()
        why = e.strerror if isinstance(e, OSError) and e.strerror else (str(e) or 'connection closed')
        return ServeError('BACKEND_UNAVAILABLE', f'{self.label} is unreachable ({type(e).__name__}: {why}); is the model server running?')


def error_text(body: bytes) -> str:
    """The `error` field of a model server's JSON error body, or the start of the body."""
    text = body[:2000].decode('utf-8', 'replace')
    try:
        j = json.loads(text)
        if isinstance(j, dict) and isinstance(j.get('error'), str):
            return j['error']
    except ValueError:
        pass
    return text.strip()[:300] or '(empty body)'


def status_error(label: str, r: HttpReply) -> ServeError:
    """A model server's non-200 status as a contract error."""
    msg = f'{label} answered {r.status}: {error_text(r.body)}'
    if r.status in (502, 503):
        return ServeError('BACKEND_UNAVAILABLE', msg)
    if r.status in (408, 504):
        return ServeError('BACKEND_TIMEOUT', msg)
    return ServeError('BAD_BACKEND_RESPONSE', msg)


def _no_constant(name: str) -> None:
    raise ValueError(f'{name} is not JSON')


def json_body(label: str, body: bytes) -> Any:
    """Parses strict JSON (no NaN) or raises BAD_BACKEND_RESPONSE."""
    try:
        return json.loads(body.decode('utf-8'), parse_constant=_no_constant)
    except ValueError:
        raise ServeError('BAD_BACKEND_RESPONSE', f'{label} sent a body that is not JSON: {body[:80].decode("latin-1")!r}') from None


def is_int(v: object) -> bool:
    return type(v) is int


def embeddings_from(label: str, batch: int, shape: Sequence[Any], data: Union[bytes, Sequence[Any]]) -> Embeddings:
    """Checks a [batch, dim] float32 answer (raw little-endian bytes or JSON numbers); any mismatch is BAD_BACKEND_RESPONSE."""
    import numpy as np

    def bad(why: str) -> ServeError:
        return ServeError('BAD_BACKEND_RESPONSE', f'{label} returned a bad "{OUTPUT}" tensor: {why}')

    if len(shape) != 2 or shape[0] != batch or not is_int(shape[0]) or not is_int(shape[1]) or shape[1] < 1:
        raise bad(f'shape {json.dumps(list(shape))}, expected [{batch}, hidden]')
    dim = shape[1]
    n = batch * dim
    if isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) != n * 4:
            raise bad(f'{len(data)} bytes for shape [{batch}, {dim}] (expected {n * 4})')
        return np.frombuffer(data, dtype='<f4').reshape(batch, dim).tolist()
    if len(data) != n:
        raise bad(f'{len(data)} values for shape [{batch}, {dim}]')
    for i, v in enumerate(data):
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise bad(f'value {i} is {json.dumps(v)}, not a number')
    return np.asarray(data, dtype=np.float32).reshape(batch, dim).tolist()


class ModelServerBackend:
    """What both HTTP proxy backends share: the checked URL and model, their pool of connections,
    and one call per connection in flight (the model server queues and batches them itself)."""

    def __init__(self, o: ModelServer, default_url: str, name: str, models_path: str) -> None:
        check_options(o)
        host, port, self.origin = base_url(o.url, default_url)
        self.label = f'{name} at {self.origin}'
        self.o = o
        self.concurrency = o.connections
        self.pool = HttpPool(host, port, self.label, o)
        self._model_path = f'{models_path}/{quote(o.model, safe="")}'
