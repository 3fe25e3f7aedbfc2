"""The framework-independent core of both Python servers (mirrors packages/core/src/service.ts):
validation, tokenizing, predicting, error mapping, readiness and metrics. Adapters only wire routes
to these methods and send the Reply."""
from __future__ import annotations

import asyncio
import json
import re
import sys
from time import perf_counter
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from .backend import create_backend, pack_batch
from .batcher import DynamicBatcher
from .config import ServerConfig
from .edge import allow_header, canonical_path
from .errors import ServeError
from .gate import InferenceQueue, Timed, TokenHold
from .metrics import Metrics
from .model import ModelFiles
from .request import parse_texts_body
from .tokenizer import BertTokenizer

JSON_TYPE = 'application/json; charset=utf-8'
HELLO_BODY = b'{"Hello":"World"}'
# Padded tokens per model call (16 texts of 512 tokens), as the Node pipeline's MAX_CALL_TOKENS: a large
# request is computed in parts, so one whose client went away stops after the part in progress.
MAX_CALL_TOKENS = 8192
# Event-loop servers parse and tokenize bodies up to this size on the loop (well under a millisecond even
# for the costliest characters); larger ones on a thread, so the loop keeps answering (/healthz).
INLINE_BODY_BYTES = 4096

# Tells whether the request's client has gone away (checked before each model call).
Gone = Optional[Callable[[], bool]]


def cancelled(where: str) -> ServeError:
    return ServeError('BACKEND_TIMEOUT', f'the request was cancelled {where}: its client went away')


class Reply(NamedTuple):
    status: int
    body: bytes
    headers: Dict[str, str]


def _json(status: int, body: bytes, extra: Optional[Dict[str, str]] = None) -> Reply:
    headers = {'content-type': JSON_TYPE}
    if extra:
        headers.update(extra)
    return Reply(status, body, headers)


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(',', ':')).encode()


def to_serve_error(e: BaseException) -> ServeError:
    """Any exception as a contract error; unexpected ones are logged and become a bare INTERNAL."""
    if isinstance(e, ServeError):
        return e
    print(f'unexpected error: {e!r}', file=sys.stderr)
    return ServeError('INTERNAL', 'internal error')


_URL = re.compile(r'\b[a-z][a-z0-9+.-]*://[^\s"\',)]+', re.I)
_HOST_PORT = re.compile(r'(?:\[[0-9a-f:.]+\]|\b(?:\d{1,3}\.){3}\d{1,3}|\blocalhost|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+):\d{1,5}\b', re.I)


def redact_addresses(message: str) -> str:
    """Backend messages name the model server's address; clients get "the model server" instead."""
    return _HOST_PORT.sub('the model server', _URL.sub('the model server', message))


def error_reply(e: BaseException) -> Reply:
    err = to_serve_error(e)
    extra = {'retry-after': str(err.retry_after)} if err.retry_after is not None else {}
    if err.code == 'BODY_TOO_LARGE' or err.close:
        extra['connection'] = 'close'  # the rest of the body is not read: close instead of keeping it alive
    body = json.dumps({'error': {'code': err.code, 'message': redact_addresses(err.message)}}, separators=(',', ':')).encode()
    return _json(err.status, body, extra or None)


def server_timing(**ms: float) -> str:
    """`queue;dur=0.010, tokenize;dur=0.021, infer;dur=0.612` (milliseconds)."""
    return ', '.join(f'{k};dur={v:.3f}' for k, v in ms.items())


def _encoding(ids: List[int]) -> Dict[str, List[int]]:
    return {'input_ids': ids, 'attention_mask': [1] * len(ids), 'token_type_ids': [0] * len(ids)}


class Service:
    def __init__(self, config: ServerConfig, server: str, files: ModelFiles, runtime: Dict[str, str]) -> None:
        self.config = config
        self.server = server
        self.files = files
        self.tokenizer = BertTokenizer(str(files.vocab), files.max_length, files.lowercase, files.strip_accents)
        self.backend = create_backend(config, str(files.onnx))
        self.backend.load()
        # A proxy keeps one call per model-server connection in flight; an in-process model one.
        self.queue = InferenceQueue(config.max_queue, getattr(self.backend, 'concurrency', 1), config.max_queue_tokens)
        self.batcher = self._batcher()
        self.metrics = Metrics(lambda: self.batcher.depth if self.batcher else self.queue.depth)
        self._runtime = {'tokenizer': _tokenizers_version(), **runtime}

    def _batcher(self) -> Optional[DynamicBatcher]:
        """The in-process model's dynamic batcher when MAX_BATCH_SIZE > 1; None keeps one call per request.
        A proxy backend's model server batches (or not) by its own policy, so requests go to it one by one."""
        b = self.config.batching
        if b.max_batch_size <= 1 or self.backend.id != 'ort':
            return None
        return DynamicBatcher(
            lambda *batch, **kw: self.backend.embed(*batch, **kw),
            b.max_batch_size,
            b.max_queue_delay_us,
            self.config.max_queue,
            self.tokenizer.pad_id,
            b.preferred_batch_sizes,
            cancellable=getattr(self.backend, 'cancellable', False),
            on_batch=lambda r: self.metrics.batch(r.size),
        )

    def close(self) -> None:
        if self.batcher is not None:
            self.batcher.close()
        self.queue.close()
        self.backend.close()

    def hello(self) -> Reply:
        self.metrics.hello()
        return _json(200, HELLO_BODY)

    def health(self) -> Reply:
        return _json(200, b'{"status":"ok"}')

    def ready(self) -> Reply:
        """Blocks while a proxy backend asks its model server (at most MODEL_SERVER_TIMEOUT_MS)."""
        try:
            ready = self.backend.ready()
        except Exception:
            ready = False
        if not ready:
            return error_reply(ServeError('NOT_READY', 'the model is not loaded or the backend does not answer'))
        f = self.files
        lim = self.config.limits
        return _json(200, _dumps({
            'status': 'ready',
            'server': self.server,
            'backend': self.backend.id,
            'backend_info': {**self.backend.info(), **self._runtime},
            'model': {'name': f.name, 'seed': f.seed, 'hidden_size': f.hidden_size, 'max_length': self.tokenizer.max_length, 'sha256': f.sha256},
            'limits': {'max_body_bytes': lim.max_body_bytes, 'max_texts': lim.max_texts, 'max_text_chars': lim.max_text_chars},
            'batching': self._batching_applied(),
        }))

    def _batching_applied(self) -> Any:
        """The policy requests actually get (the Node stacks' batchingApplied): the batcher's, one request per
        model call without it, or 'unknown' for a proxy, whose model server batches by a policy it is not told."""
        if self.backend.id != 'ort':
            return 'unknown'
        b = self.config.batching
        if self.batcher is None:
            return {'maxBatchSize': 1, 'maxQueueDelayUs': 0}
        return {'maxBatchSize': b.max_batch_size, 'maxQueueDelayUs': b.max_queue_delay_us}

    def metrics_text(self) -> Reply:
        content_type, body = self.metrics.text()
        return Reply(200, body, {'content-type': content_type})

    def not_found(self) -> Reply:
        return error_reply(ServeError('NOT_FOUND', 'no such route; see GET /hello_world, POST /tokenize, POST /predict'))

    def method_not_allowed(self, allow: str) -> Reply:
        reply = error_reply(ServeError('METHOD_NOT_ALLOWED', f'method not allowed; this route accepts {allow}'))
        reply.headers['allow'] = allow
        return reply

    def unrouted(self, method: str, target: str) -> Reply:
        """The answer to any request no route handler took (the framework's 404/405 hook calls this):
        OPTIONS on a route 204 + Allow, another method 405 + Allow, anything else 404."""
        allow = allow_header(canonical_path(target))
        if allow is None:
            return self.not_found()
        if method.upper() == 'OPTIONS':
            return Reply(204, b'', {'allow': allow})
        return self.method_not_allowed(allow)

    def tokenize(self, raw: bytes, content_type: Optional[str]) -> Reply:
        t0 = perf_counter()
        try:
            texts, single = parse_texts_body(raw, content_type, self.config.limits)
            ids, ms = self._tokenize(texts)
            body = _encoding(ids[0]) if single else {'results': [_encoding(x) for x in ids]}
            reply = _json(200, _dumps(body), {'server-timing': server_timing(tokenize=ms)})
        except Exception as e:
            reply = error_reply(e)
        self.metrics.observe('tokenize', reply.status, perf_counter() - t0)
        return reply

    async def tokenize_async(self, raw: bytes, content_type: Optional[str]) -> Reply:
        """For event-loop (ASGI) servers: a large body is parsed and tokenized on a thread."""
        if len(raw) <= INLINE_BODY_BYTES:
            return self.tokenize(raw, content_type)
        return await asyncio.get_running_loop().run_in_executor(None, self.tokenize, raw, content_type)

    def predict(self, raw: bytes, content_type: Optional[str], gone: Gone = None) -> Reply:
        """For threaded (WSGI) servers: waits for its turn and infers on this thread. `gone` tells
        whether the client has left: its work is then dropped at its turn or between its parts."""
        t0 = perf_counter()
        hold: Optional[TokenHold] = None
        try:
            single, tok_ms, ids, hold = self._prepare_predict(raw, content_type)
            if self.batcher is not None:
                timed = self.batcher.submit(ids, gone).result()
            else:
                timed = self.queue.run(self._work(ids, hold, gone))
            reply = self._predict_reply(single, tok_ms, timed)
        except Exception as e:
            reply = error_reply(e)
        finally:
            if hold is not None:
                hold.release()
        self.metrics.observe('predict', reply.status, perf_counter() - t0)
        return reply

    async def predict_async(self, raw: bytes, content_type: Optional[str], gone: Gone = None) -> Reply:
        """For event-loop (ASGI) servers: the loop stays free while a large body is tokenized, while
        queued and while inferring."""
        t0 = perf_counter()
        try:
            if len(raw) <= INLINE_BODY_BYTES:
                single, tok_ms, ids, hold = self._prepare_predict(raw, content_type)
            else:
                prepare = self._prepare_predict
                single, tok_ms, ids, hold = await asyncio.get_running_loop().run_in_executor(None, prepare, raw, content_type)
            try:
                if self.batcher is not None:
                    future = self.batcher.submit(ids, gone)
                    future.add_done_callback(lambda _: hold.release())
                else:
                    future = self.queue.submit(self._work(ids, hold, gone))
            except BaseException:
                hold.release()
                raise
            # Shielded: a cancelled await must not cancel the queued call, which releases the turn and the tokens.
            reply = self._predict_reply(single, tok_ms, await asyncio.shield(asyncio.wrap_future(future)))
        except Exception as e:
            reply = error_reply(e)
        self.metrics.observe('predict', reply.status, perf_counter() - t0)
        return reply

    def _work(self, ids: List[List[int]], hold: TokenHold, gone: Gone) -> Callable[[], List[List[float]]]:
        """The queued call: dropped at its turn if the client has gone, computed in parts of at most
        MAX_CALL_TOKENS (onnxruntime stops a part in progress too, cancel.py), and it releases the
        request's tokens however it ends."""

        def work() -> List[List[float]]:
            try:
                if gone is not None and gone():
                    raise cancelled('while queued')
                out: List[List[float]] = []
                for i, part in enumerate(split_by_tokens(ids, MAX_CALL_TOKENS)):
                    if i > 0 and gone is not None and gone():
                        raise cancelled('between parts of its work')
                    batch = pack_batch(part, self.tokenizer.pad_id)
                    if gone is not None and getattr(self.backend, 'cancellable', False):
                        out.extend(self.backend.embed(*batch, gone=gone))  # type: ignore[call-arg]
                    else:
                        out.extend(self.backend.embed(*batch))
                    self.metrics.batch(len(part))
                return out
            finally:
                hold.release()

        return work

    def _tokenize(self, texts: List[str]) -> Tuple[List[List[int]], float]:
        t0 = perf_counter()
        ids = self.tokenizer.encode(texts)
        return ids, (perf_counter() - t0) * 1000

    def _estimate(self, texts: Sequence[str]) -> int:
        """Upper bound of a request's padded tokens, known without tokenizing: a token takes at least one character."""
        return len(texts) * min(self.tokenizer.max_length, max(len(t) for t in texts) + 2)

    def _prepare_predict(self, raw: bytes, content_type: Optional[str]) -> Tuple[bool, float, List[List[int]], TokenHold]:
        texts, single = parse_texts_body(raw, content_type, self.config.limits)
        (self.batcher or self.queue).check()  # shed before tokenizing; the queue decides for good
        hold = self.queue.hold(self._estimate(texts))  # the work bound, also before tokenizing
        try:
            ids, tok_ms = self._tokenize(texts)
            hold.resize(len(ids) * max(len(x) for x in ids))
        except BaseException:
            hold.release()
            raise
        return single, tok_ms, ids, hold

    @staticmethod
    def _predict_reply(single: bool, tok_ms: float, r: Timed) -> Reply:
        vectors = r.value
        body = {'embedding': vectors[0]} if single else {'embeddings': vectors}
        return _json(200, _dumps(body), {'server-timing': server_timing(queue=r.queue_ms, tokenize=tok_ms, infer=r.infer_ms)})


def split_by_tokens(ids: List[List[int]], budget: int) -> List[List[List[int]]]:
    """Splits texts, in order, into parts whose padded size (texts x longest) stays within `budget`
    (one text at least); the same split as the Node pipeline's splitByTokens."""
    parts: List[List[List[int]]] = []
    part: List[List[int]] = []
    longest = 0
    for x in ids:
        if part and (len(part) + 1) * max(longest, len(x)) > budget:
            parts.append(part)
            part, longest = [], 0
        part.append(x)
        longest = max(longest, len(x))
    if part:
        parts.append(part)
    return parts


def _tokenizers_version() -> str:
    import tokenizers

    return f'tokenizers {tokenizers.__version__}'
