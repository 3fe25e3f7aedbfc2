/**
 * A model backend turns a padded batch of token ids into pooled embeddings. In-process runtimes
 * (ORT, TensorFlow.js), remote model servers (Triton, TF Serving) and the dynamic batcher all
 * implement this one interface, so servers never change when a backend is added.
 */
export interface EncodedBatch {
  /** Number of sequences. */
  batch: number;
  /** Padded length (the longest sequence in this batch, never the model maximum). */
  seqLen: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
  /** Real (unpadded) tokens in the batch, to report padding waste. */
  realTokens: number;
}

export interface Embeddings {
  /** Row-major [batch, dim]. */
  data: Float32Array;
  batch: number;
  dim: number;
  /**
   * ms of the embed() call spent waiting for the runtime to finish an earlier call (the second call
   * in flight on a model thread). Servers count it as queue time, not inference time.
   */
  waitedMs?: number;
}

export interface Backend {
  /** Short id used in stack labels, e.g. `ort`, `tfjs-wasm`, `triton-grpc`. */
  readonly id: string;
  /** Facts worth reporting: runtime versions, device, threads. */
  info(): Record<string, string>;
  load(): Promise<void>;
  /** Cheap liveness check of the backend itself (for /readyz). */
  ready(): Promise<boolean>;
  embed(batch: EncodedBatch, signal?: AbortSignal): Promise<Embeddings>;
  close(): Promise<void>;
  /**
   * embed() calls worth having in flight at once: a model server's connections (it queues and
   * batches them itself). Absent means 1: an in-process model computes one batch at a time.
   */
  readonly concurrency?: number;
  /**
   * Padded tokens per embed() call when a large request is computed in parts (absent: MAX_CALL_TOKENS in
   * pipeline.ts). A slow runtime takes smaller parts, so work whose client went away stops sooner: the part
   * in progress always runs to its end.
   */
  readonly maxCallTokens?: number;
}

/** Errors a backend raises, with stable codes that servers map to HTTP and gRPC statuses. */
export type BackendErrorCode = 'BACKEND_UNAVAILABLE' | 'BACKEND_TIMEOUT' | 'BAD_BACKEND_RESPONSE' | 'BACKEND_CONFIG';

export class BackendError extends Error {
  readonly code: BackendErrorCode;
  constructor(code: BackendErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackendError';
    this.code = code;
  }
}

export function rowOf(e: Embeddings, i: number): Float32Array {
  return e.data.subarray(i * e.dim, (i + 1) * e.dim);
}
