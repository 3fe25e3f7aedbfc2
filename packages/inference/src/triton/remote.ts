// Options and error mapping shared by every backend that proxies to a model server (Triton and
// TF Serving, over HTTP and gRPC). They live here because Triton came first; tfserving/ imports them.
import { BackendError, type EncodedBatch, type Embeddings } from '../backend.js';

export interface ModelServerOptions {
  /** `http://host:port` (HTTP) or `host:port` (gRPC); '' means the server's standard local port. */
  url: string;
  /** Model name in the server's repository. */
  model: string;
  /** Deadline of each call to the model server; past it the call fails with BACKEND_TIMEOUT. */
  timeoutMs: number;
  /** Keep-alive HTTP sockets, or gRPC channels (each its own HTTP/2 connection), used round-robin. */
  connections: number;
  /** HTTP: reuse idle sockets and TCP keep-alive after this idle time. gRPC: keepalive ping interval while calls are open. 0 turns both off. */
  keepAliveMs: number;
  /** Triton HTTP only: the binary tensor data extension (default) or plain JSON tensors. */
  tensorForm: 'binary' | 'json';
}

/** Defaults a model-server backend uses for fields the caller leaves out. */
export const MODEL_SERVER_DEFAULTS: Readonly<ModelServerOptions> = Object.freeze({
  url: '',
  model: 'bert',
  timeoutMs: 10_000,
  connections: 4,
  keepAliveMs: 60_000,
  tensorForm: 'binary',
});

/** The graph's tensor names, as in packages/model (graph.ts) and every model repository made from it. */
export const INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
export const OUTPUT = 'embedding';

export function inputArrays(b: EncodedBatch): [BigInt64Array, BigInt64Array, BigInt64Array] {
  return [b.inputIds, b.attentionMask, b.tokenTypeIds];
}

/** The little-endian bytes of a typed array, without copying (x86 and ARM Linux are little-endian). */
export function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Checks a model server's [batch, dim] float32 answer and copies it into an aligned Float32Array.
 * Any mismatch (shape, size, type) is BAD_BACKEND_RESPONSE naming the server.
 */
export function embeddingsFrom(
  server: string,
  batch: number,
  shape: readonly number[],
  data: Buffer | Float32Array | readonly unknown[],
): Embeddings {
  const bad = (why: string) =>
    new BackendError('BAD_BACKEND_RESPONSE', `${server} returned a bad "${OUTPUT}" tensor: ${why}`);
  if (shape.length !== 2 || shape[0] !== batch || !Number.isInteger(shape[1]) || (shape[1] as number) < 1) {
    throw bad(`shape ${JSON.stringify(shape)}, expected [${batch}, hidden]`);
  }
  const dim = shape[1] as number;
  const n = batch * dim;
  if (Buffer.isBuffer(data)) {
    if (data.byteLength !== n * 4)
      throw bad(`${data.byteLength} bytes for shape [${batch}, ${dim}] (expected ${n * 4})`);
    const out = new Float32Array(n);
    bytesOf(out).set(data);
    return { data: out, batch, dim };
  }
  if (data.length !== n) throw bad(`${data.length} values for shape [${batch}, ${dim}]`);
  if (data instanceof Float32Array) return { data, batch, dim };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (typeof v !== 'number') throw bad(`value ${i} is ${JSON.stringify(v)}, not a number`);
    out[i] = v;
  }
  return { data: out, batch, dim };
}

/** Why a call to a model server did not get an answer, as a BackendError. */
export function transportError(server: string, e: unknown, timeoutMs: number, callerAborted: boolean): BackendError {
  if (e instanceof BackendError) return e;
  if (callerAborted)
    return new BackendError('BACKEND_TIMEOUT', `request was cancelled while waiting for ${server}`, { cause: e });
  const err = e as NodeJS.ErrnoException & { name?: string };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return new BackendError(
      'BACKEND_TIMEOUT',
      `${server} did not answer within ${timeoutMs} ms (MODEL_SERVER_TIMEOUT_MS)`,
      { cause: e },
    );
  }
  const code = err?.code ? `${err.code}: ` : '';
  return new BackendError(
    'BACKEND_UNAVAILABLE',
    `${server} is unreachable (${code}${err?.message ?? String(e)}); is the model server running?`,
    { cause: e },
  );
}

/** One signal for the caller's cancellation and the call's own deadline. */
export function deadlineSignal(timeoutMs: number, caller?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return caller ? AbortSignal.any([caller, timeout]) : timeout;
}

export function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min)
    throw new BackendError('BACKEND_CONFIG', `${name}=${v} is invalid: expected an integer >= ${min}`);
  return v;
}

/** Completes options with defaults and validates the numbers once. */
export function modelServerOptions(o: Partial<ModelServerOptions> | undefined): Readonly<ModelServerOptions> {
  const m = { ...MODEL_SERVER_DEFAULTS, ...o };
  positiveInt('MODEL_SERVER_TIMEOUT_MS', m.timeoutMs);
  positiveInt('MODEL_SERVER_CONNECTIONS', m.connections);
  positiveInt('MODEL_SERVER_KEEPALIVE_MS', m.keepAliveMs, 0);
  if (!m.model)
    throw new BackendError(
      'BACKEND_CONFIG',
      'MODEL_SERVER_MODEL is empty: name the model in the model server repository',
    );
  if (m.tensorForm !== 'binary' && m.tensorForm !== 'json')
    throw new BackendError(
      'BACKEND_CONFIG',
      `TRITON_HTTP_TENSORS=${String(m.tensorForm)} is invalid: expected binary or json`,
    );
  return Object.freeze(m);
}

/**
 * What every proxy backend shares: its options, completed and validated once, and one call per
 * connection in flight (the model server queues and batches them itself).
 */
export abstract class ModelServerBackend {
  protected readonly o: Readonly<ModelServerOptions>;

  constructor(opts: Partial<ModelServerOptions> | undefined) {
    this.o = modelServerOptions(opts);
  }

  get concurrency(): number {
    return this.o.connections;
  }
}
