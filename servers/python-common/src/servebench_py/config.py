"""The environment a server reads, parsed once into a frozen config (mirrors packages/core/src/config.ts)."""
from __future__ import annotations

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
    'SHUTDOWN_GRACE_MS': '10000',
}

MODEL_NAMES = ('tiny', 'mini', 'small', 'base')
MAX_SAFE_INTEGER = 2**53 - 1


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int
    max_texts: int
    max_text_chars: int


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
    shutdown_grace_ms: int


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


def parse_config(env: Mapping[str, str]) -> ServerConfig:
    """Raises ConfigError naming the variable."""
    model = env.get('MODEL', ENV_DEFAULTS['MODEL'])
    if model not in MODEL_NAMES:
        raise ConfigError(f'MODEL={model} is invalid: expected tiny, mini, small or base')
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
        shutdown_grace_ms=_int(env, 'SHUTDOWN_GRACE_MS', 0, 600_000),
    )
