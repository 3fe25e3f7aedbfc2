import { DEFAULT_LIMITS, type Limits } from '@servebench/contract';
import type { BatchingOptions, ModelServerOptions } from '@servebench/inference';
import { isModelSpec, MODEL_CHOICES } from '@servebench/model';

export interface ServerConfig {
  host: string;
  port: number;
  workers: number;
  /** A generated config (tiny|mini|small|base), a named real model, or a path to a HF directory / ONNX export. */
  model: string;
  modelSeed: number;
  /** Where generated models live; undefined means the repo's models/ folder. */
  modelsDir: string | undefined;
  backend: string;
  device: 'cpu' | 'cuda';
  intraOpThreads: number;
  interOpThreads: number;
  /** Where an in-process model (ort, tfjs*) computes: its own thread (default) or the event loop's. */
  modelThread: 'main' | 'worker';
  limits: Limits;
  /** Requests allowed to wait for the backend before new ones are shed with 429 (Triton's max_queue_size). */
  maxQueue: number;
  /** Work (padded tokens) admitted but not finished before new requests are shed with 429; checked before tokenizing. */
  maxQueueTokens: number;
  /** Slow or idle clients: timeouts and the connection cap of every HTTP server (and gRPC's idle limit). */
  connections: Readonly<ConnectionLimits>;
  /** Dynamic batching for in-process backends; off when maxBatchSize is 1. */
  batching: Readonly<Required<Pick<BatchingOptions, 'maxBatchSize' | 'maxQueueDelayUs' | 'preferredBatchSizes'>>>;
  shutdownGraceMs: number;
  /** Where the proxy backends (triton-*, tfserving-*) find their model server, and how they call it. */
  modelServer: Readonly<ModelServerOptions>;
}

export interface ConnectionLimits {
  /** A request's headers must arrive within this (408 and close past it). */
  headersTimeoutMs: number;
  /** A whole request, body included, must arrive within this (408 and close past it). */
  requestTimeoutMs: number;
  /** A connection with no request in progress (new or kept alive) is closed after this. */
  idleTimeoutMs: number;
  /** Open connections at most; more are closed at once (stays under the usual 1,024 file limit). */
  maxConnections: number;
  /** An answer must leave for the client within this once written; a client that stops reading is closed past it. */
  sendTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Every environment variable a server reads, with its default. Documented in docs/stacks.md. */
export const ENV_DEFAULTS = {
  HOST: '127.0.0.1',
  PORT: '8080',
  WORKERS: '1',
  MODEL: 'mini',
  MODEL_SEED: '0',
  MODELS_DIR: '',
  BACKEND: 'ort',
  DEVICE: 'cpu',
  INTRA_OP_THREADS: '1',
  INTER_OP_THREADS: '1',
  MODEL_THREAD: 'worker',
  MAX_BODY_BYTES: String(DEFAULT_LIMITS.maxBodyBytes),
  MAX_TEXTS: String(DEFAULT_LIMITS.maxTexts),
  MAX_TEXT_CHARS: String(DEFAULT_LIMITS.maxTextChars),
  MAX_QUEUE: '256',
  /** Padded tokens of work admitted at once (8 requests of 64 texts x 512 tokens); 429 past it. */
  MAX_QUEUE_TOKENS: '262144',
  HEADERS_TIMEOUT_MS: '10000',
  REQUEST_TIMEOUT_MS: '30000',
  /** Longer than common clients' own idle timeouts (Node's agent 5 s, undici 4 s), so the client closes first. */
  IDLE_TIMEOUT_MS: '30000',
  MAX_CONNECTIONS: '768',
  /** As long to take an answer as to send a request (REQUEST_TIMEOUT_MS): a client that stops reading is closed after it. */
  SEND_TIMEOUT_MS: '30000',
  /** Sequences per backend call; 1 turns dynamic batching off. */
  MAX_BATCH_SIZE: '1',
  /** How long the oldest waiting request may wait for others while the backend is idle. */
  MAX_QUEUE_DELAY_US: '2000',
  /** Comma-separated batch sizes that dispatch at once when reached, e.g. `8,16`. */
  PREFERRED_BATCH_SIZES: '',
  SHUTDOWN_GRACE_MS: '10000',
  /** Proxy backends: `http://host:port` (HTTP) or `host:port` (gRPC); empty means the server's usual local port. */
  MODEL_SERVER_URL: '',
  /** Proxy backends: the model's name in the model server's repository. */
  MODEL_SERVER_MODEL: 'bert',
  /** Proxy backends: deadline of each model server call (504 past it). */
  MODEL_SERVER_TIMEOUT_MS: '10000',
  /** Proxy backends: keep-alive HTTP sockets, or gRPC channels, to the model server. */
  MODEL_SERVER_CONNECTIONS: '4',
  /** Proxy backends: HTTP socket reuse / TCP keep-alive delay, gRPC keepalive ping interval; 0 turns them off. */
  MODEL_SERVER_KEEPALIVE_MS: '60000',
  /** triton-http: `binary` (binary tensor data extension) or `json` tensors. */
  TRITON_HTTP_TENSORS: 'binary',
} as const;

type Env = Record<string, string | undefined>;

function int(env: Env, key: keyof typeof ENV_DEFAULTS, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[key] ?? ENV_DEFAULTS[key];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key}=${raw} is invalid: expected an integer in [${min}, ${max}]`);
  }
  return n;
}

/** A comma list of distinct integers in [1, MAX_BATCH_SIZE], returned sorted. */
function preferredSizes(env: Env, maxBatchSize: number): readonly number[] {
  const raw = env.PREFERRED_BATCH_SIZES ?? ENV_DEFAULTS.PREFERRED_BATCH_SIZES;
  if (raw.trim() === '') return Object.freeze([]);
  const sizes = raw.split(',').map((part) => {
    const n = Number(part.trim());
    if (part.trim() === '' || !Number.isInteger(n) || n < 1 || n > maxBatchSize) {
      throw new ConfigError(
        `PREFERRED_BATCH_SIZES=${raw} is invalid: "${part.trim()}" is not an integer in [1, ${maxBatchSize}] (MAX_BATCH_SIZE); expected a comma list such as 8,16`,
      );
    }
    return n;
  });
  return Object.freeze([...new Set(sizes)].sort((a, b) => a - b));
}

function modelServer(env: Env): Readonly<ModelServerOptions> {
  const tensorForm = env.TRITON_HTTP_TENSORS || ENV_DEFAULTS.TRITON_HTTP_TENSORS;
  if (tensorForm !== 'binary' && tensorForm !== 'json')
    throw new ConfigError(`TRITON_HTTP_TENSORS=${tensorForm} is invalid: expected binary or json`);
  return Object.freeze({
    url: env.MODEL_SERVER_URL ?? ENV_DEFAULTS.MODEL_SERVER_URL,
    model: env.MODEL_SERVER_MODEL || ENV_DEFAULTS.MODEL_SERVER_MODEL,
    timeoutMs: int(env, 'MODEL_SERVER_TIMEOUT_MS', 1, 3_600_000),
    connections: int(env, 'MODEL_SERVER_CONNECTIONS', 1, 1024),
    keepAliveMs: int(env, 'MODEL_SERVER_KEEPALIVE_MS', 0, 3_600_000),
    tensorForm,
  });
}

function oneOf<T extends string>(env: Env, key: keyof typeof ENV_DEFAULTS, allowed: readonly T[]): T {
  const raw = env[key] || ENV_DEFAULTS[key];
  if (!(allowed as readonly string[]).includes(raw))
    throw new ConfigError(`${key}=${raw} is invalid: expected ${allowed.join(' or ')}`);
  return raw as T;
}

/** Parses the environment once, at the edge, into a frozen config. Throws ConfigError with the variable name. */
export function parseServerConfig(env: Env): Readonly<ServerConfig> {
  const model = env.MODEL ?? ENV_DEFAULTS.MODEL;
  if (!isModelSpec(model)) throw new ConfigError(`MODEL=${model} is invalid: expected ${MODEL_CHOICES}`);
  const device = env.DEVICE ?? ENV_DEFAULTS.DEVICE;
  if (device !== 'cpu' && device !== 'cuda') throw new ConfigError(`DEVICE=${device} is invalid: expected cpu or cuda`);
  const maxBatchSize = int(env, 'MAX_BATCH_SIZE', 1, 4096);
  return Object.freeze({
    host: env.HOST || ENV_DEFAULTS.HOST,
    port: int(env, 'PORT', 0, 65535),
    workers: int(env, 'WORKERS', 1, 64),
    model,
    modelSeed: int(env, 'MODEL_SEED', 0, 2 ** 31 - 1),
    modelsDir: env.MODELS_DIR || undefined,
    backend: env.BACKEND || ENV_DEFAULTS.BACKEND,
    device,
    intraOpThreads: int(env, 'INTRA_OP_THREADS', 1, 256),
    interOpThreads: int(env, 'INTER_OP_THREADS', 1, 256),
    modelThread: oneOf(env, 'MODEL_THREAD', ['main', 'worker'] as const),
    limits: Object.freeze({
      maxBodyBytes: int(env, 'MAX_BODY_BYTES', 64, 256 * 1024 * 1024),
      maxTexts: int(env, 'MAX_TEXTS', 1, 100_000),
      maxTextChars: int(env, 'MAX_TEXT_CHARS', 1, 100_000_000),
    }),
    maxQueue: int(env, 'MAX_QUEUE', 0, 1_000_000),
    maxQueueTokens: int(env, 'MAX_QUEUE_TOKENS', 1, 2 ** 31 - 1),
    connections: Object.freeze({
      headersTimeoutMs: int(env, 'HEADERS_TIMEOUT_MS', 1, 3_600_000),
      requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 1, 3_600_000),
      idleTimeoutMs: int(env, 'IDLE_TIMEOUT_MS', 1, 3_600_000),
      maxConnections: int(env, 'MAX_CONNECTIONS', 1, 1_000_000),
      sendTimeoutMs: int(env, 'SEND_TIMEOUT_MS', 1, 3_600_000),
    }),
    batching: Object.freeze({
      maxBatchSize,
      maxQueueDelayUs: int(env, 'MAX_QUEUE_DELAY_US', 0, 60_000_000),
      preferredBatchSizes: preferredSizes(env, maxBatchSize),
    }),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 0, 600_000),
    modelServer: modelServer(env),
  });
}
