import { BackendError, rowOf, type Backend, type Embeddings } from './backend.js';
import { packBatch } from './batch.js';
import { DynamicBatcher, type BatchingOptions, type BatchReport } from './batcher.js';
import { QueueFullError, WorkQueue } from './queue.js';
import type { WordPieceTokenizer } from './tokenizer/index.js';

export interface LayerTiming {
  queue: number;
  tokenize: number;
  infer: number;
}

export interface PredictResult {
  vectors: Float32Array[];
  timing: LayerTiming;
  /** Rows in the backend call that served this request (its own texts, or the whole dynamic batch). */
  batch: number;
  seqLen: number;
}

/** Hooks for metrics; called once per backend call and once per request that reached the backend. */
export interface PipelineObserver {
  onBatch(r: BatchReport): void;
  onQueueWait(ms: number): void;
}

export interface PipelineOptions {
  /** Requests allowed to wait for the backend before new ones are shed with QueueFullError. */
  maxQueue: number;
  /**
   * Work admitted but not finished, in padded tokens (texts x longest), before new requests are
   * shed with QueueFullError. Checked before tokenizing, on an upper bound (characters + 2 per
   * text), then held at the real figure. Default: unbounded (the request count still applies).
   */
  maxQueueTokens?: number;
  /** Dynamic batching; used only when maxBatchSize > 1, otherwise requests go to the backend one by one (up to its `concurrency` at once). */
  batching?: BatchingOptions;
  observer?: PipelineObserver;
}

/**
 * tokenize -> pad -> backend, with per-layer timings (ms). Servers and the runner's in-process
 * `raw` ceiling both use this, so the raw row differs from a stack only by the server around it.
 */
/** Tokenizing yields to the event loop after this much work, so a costly request cannot hold it. */
export const TOKENIZE_SLICE_MS = 10;

const cancelled = (where: string) => new BackendError('BACKEND_TIMEOUT', `request was cancelled ${where}`);
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Pipeline {
  private readonly maxQueueTokens: number;
  private admittedTokens = 0;
  private readonly queue: WorkQueue | undefined;
  private readonly batcher: DynamicBatcher | undefined;
  private readonly observer: PipelineObserver | undefined;

  constructor(
    readonly tokenizer: WordPieceTokenizer,
    readonly backend: Backend,
    opts: PipelineOptions,
  ) {
    this.observer = opts.observer;
    this.maxQueueTokens = opts.maxQueueTokens ?? Number.POSITIVE_INFINITY;
    const b = opts.batching;
    if (b && b.maxBatchSize > 1) {
      const observer = opts.observer;
      this.batcher = new DynamicBatcher(backend, {
        ...b,
        maxQueueSize: opts.maxQueue,
        padId: tokenizer.padId,
        onBatch: observer
          ? (r) => {
              observer.onBatch(r);
              for (const ms of r.queueMs) observer.onQueueWait(ms);
            }
          : undefined,
      });
    } else {
      this.queue = new WorkQueue(opts.maxQueue, backend.concurrency ?? 1);
    }
  }

  get batching(): boolean {
    return this.batcher !== undefined;
  }

  get queueDepth(): number {
    return this.batcher?.depth ?? this.queue?.depth ?? 0;
  }

  /** Padded tokens of work admitted and not finished (the MAX_QUEUE_TOKENS bound). */
  get queuedTokens(): number {
    return this.admittedTokens;
  }

  /** Upper bound of a request's padded tokens, known without tokenizing: a token takes at least one character. */
  private estimate(texts: readonly string[]): number {
    let longest = 0;
    for (const t of texts) longest = Math.max(longest, Math.min(this.tokenizer.maxLength, t.length + 2));
    return texts.length * longest;
  }

  /** Tokenizes text by text, yielding to the event loop every TOKENIZE_SLICE_MS; ms counts tokenizing only. */
  private async tokenizeYielding(
    texts: readonly string[],
    signal?: AbortSignal,
  ): Promise<{ ids: number[][]; ms: number }> {
    const ids: number[][] = [];
    let ms = 0;
    let slice = performance.now();
    for (const t of texts) {
      ids.push(this.tokenizer.encode(t));
      const now = performance.now();
      if (now - slice >= TOKENIZE_SLICE_MS) {
        ms += now - slice;
        await nextTurn();
        if (signal?.aborted) throw cancelled('while tokenizing');
        slice = performance.now();
      }
    }
    return { ids, ms: ms + performance.now() - slice };
  }

  tokenize(texts: readonly string[]): { ids: number[][]; ms: number } {
    const t0 = performance.now();
    const ids = texts.map((t) => this.tokenizer.encode(t));
    return { ids, ms: performance.now() - t0 };
  }

  async predict(texts: readonly string[], signal?: AbortSignal): Promise<PredictResult> {
    if (signal?.aborted) throw cancelled('before it was queued');
    // Shed before tokenizing: the bound is checked on an upper bound of the work.
    let held = this.estimate(texts);
    if (this.admittedTokens > 0 && this.admittedTokens + held > this.maxQueueTokens) {
      throw new QueueFullError(this.maxQueueTokens, 'tokens of work admitted');
    }
    this.admittedTokens += held;
    try {
      const tok = await this.tokenizeYielding(texts, signal);
      const real = tok.ids.length * tok.ids.reduce((m, x) => Math.max(m, x.length), 0);
      this.admittedTokens += real - held;
      held = real;
      return await this.infer(tok, signal);
    } finally {
      this.admittedTokens -= held;
    }
  }

  private async infer(tok: { ids: number[][]; ms: number }, signal?: AbortSignal): Promise<PredictResult> {
    if (this.batcher) {
      const r = await this.batcher.submit(tok.ids, signal);
      return {
        vectors: r.vectors,
        timing: { queue: r.queueMs, tokenize: tok.ms, infer: r.inferMs },
        batch: r.batchSize,
        seqLen: r.seqLen,
      };
    }
    // One queue turn; a large request is computed in parts of at most MAX_CALL_TOKENS padded tokens (or the
    // backend's own smaller budget), so a client that goes away stops its work after the part in progress.
    const parts = splitByTokens(tok.ids, this.backend.maxCallTokens ?? MAX_CALL_TOKENS);
    let inferMs = 0;
    // Time a backend call spent behind another call in flight (a model thread's inbox) is queue time.
    let backendWaitMs = 0;
    let rows = 0;
    let seqLen = 0;
    const { value: vectors, waitedMs } = await this.queue!.run(async () => {
      const out: Float32Array[] = [];
      for (const part of parts) {
        if (signal?.aborted) throw cancelled('between parts of its work');
        const batch = packBatch(part, this.tokenizer.padId);
        const t0 = performance.now();
        const e: Embeddings = await this.backend.embed(batch, signal);
        const waited = e.waitedMs ?? 0;
        const ms = performance.now() - t0 - waited;
        inferMs += ms;
        backendWaitMs += waited;
        rows = Math.max(rows, batch.batch);
        seqLen = Math.max(seqLen, batch.seqLen);
        for (let i = 0; i < e.batch; i++) out.push(rowOf(e, i));
        this.observer?.onBatch({
          size: batch.batch,
          requests: 1,
          seqLen: batch.seqLen,
          realTokens: batch.realTokens,
          paddingRatio: batch.realTokens > 0 ? (batch.batch * batch.seqLen) / batch.realTokens : 1,
          queueMs: [waited],
          inferMs: ms,
          ok: true,
        });
      }
      return out;
    }, signal);
    this.observer?.onQueueWait(waitedMs + backendWaitMs);
    return {
      vectors,
      timing: { queue: waitedMs + backendWaitMs, tokenize: tok.ms, infer: inferMs },
      batch: rows,
      seqLen,
    };
  }
}

/** Padded tokens per backend call without dynamic batching (16 texts of 512 tokens). */
export const MAX_CALL_TOKENS = 8192;

/** Splits texts, in order, into parts whose padded size (texts x longest) stays within `budget` (one text at least). */
export function splitByTokens(ids: number[][], budget: number): number[][][] {
  const parts: number[][][] = [];
  let part: number[][] = [];
  let longest = 0;
  for (const x of ids) {
    const l = Math.max(longest, x.length);
    if (part.length > 0 && (part.length + 1) * l > budget) {
      parts.push(part);
      part = [];
      longest = 0;
    }
    part.push(x);
    longest = Math.max(longest, x.length);
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/**
 * `queue;dur=0.010, tokenize;dur=0.021, infer;dur=0.612, batch;desc=4`: layer durations in ms, then
 * the backend batch size as a description (it is a count, not a duration).
 */
export function serverTiming(t: Partial<LayerTiming>, batch?: number): string {
  const parts = Object.entries(t).map(([k, v]) => `${k};dur=${(v as number).toFixed(3)}`);
  if (batch !== undefined) parts.push(`batch;desc=${batch}`);
  return parts.join(', ');
}
