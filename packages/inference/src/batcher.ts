import { BackendError, type Backend, type Embeddings } from './backend.js';
import { packBatch } from './batch.js';
import { QueueFullError } from './queue.js';

/**
 * Dynamic batching policy, named after Triton's `dynamic_batching` block so that results from the
 * in-process stacks and the Triton stacks describe the same knobs.
 */
export interface BatchingOptions {
  /** Sequences (rows) per backend call. A single request with more rows runs alone, never split. */
  maxBatchSize: number;
  /** Microseconds the oldest waiting request may wait for others while the backend is idle. */
  maxQueueDelayUs: number;
  /** Dispatch as soon as the waiting rows, taken in arrival order, add up to one of these. */
  preferredBatchSizes?: readonly number[];
  /**
   * Leave out of a batch any request that would make (rows x longest) / real tokens exceed this; it
   * keeps its place in the queue and heads a later batch. Infinity disables it.
   */
  maxPaddingRatio?: number;
}

/**
 * The default padding limit: at most a third of a batch's tokens may be padding. On CPU, ORT time
 * grows with padded tokens while batching saves only 1.2-1.4x (bench/batching.ts), so more padding
 * than this eats the gain; a second call for the long texts is cheaper.
 */
export const DEFAULT_MAX_PADDING_RATIO = 1.5;

/** Time source and timer, injectable so tests drive max_queue_delay without the wall clock. */
export interface BatcherClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Calls fn after about ms milliseconds; returns a cancel function. */
  schedule(fn: () => void, ms: number): () => void;
}

/**
 * Node timers have 1 ms granularity, so the whole milliseconds go to setTimeout and the sub-ms
 * rest to setImmediate turns (which still serve I/O), keeping a 500 us delay near 500 us.
 * The turns only happen while the backend is idle, when the CPU has nothing better to do.
 */
export const realClock: BatcherClock = {
  now: () => performance.now(),
  schedule(fn, ms) {
    if (ms >= 1) {
      const t = setTimeout(fn, Math.floor(ms));
      return () => clearTimeout(t);
    }
    const i = setImmediate(fn);
    return () => clearImmediate(i);
  },
};

/** One backend call, reported once it settles (for metrics and benchmarks). */
export interface BatchReport {
  /** Rows (sequences) in the call. */
  size: number;
  /** Requests whose rows formed the call. */
  requests: number;
  seqLen: number;
  realTokens: number;
  /** (size x seqLen) / realTokens; 1 means no padding. */
  paddingRatio: number;
  /** Per request, ms from submit to dispatch. */
  queueMs: number[];
  inferMs: number;
  ok: boolean;
}

export interface BatchedResult {
  /** This request's rows only, in the order its texts were given. */
  vectors: Float32Array[];
  /** ms from submit to its batch's dispatch. */
  queueMs: number;
  /** ms of its batch's backend call. */
  inferMs: number;
  /** Rows in its batch. */
  batchSize: number;
  seqLen: number;
  paddingRatio: number;
}

type State = 'queued' | 'running' | 'done';

interface Pending {
  ids: readonly (readonly number[])[];
  maxLen: number;
  tokens: number;
  submittedAt: number;
  state: State;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  batch: Running | undefined;
  resolve(r: BatchedResult): void;
  reject(e: unknown): void;
}

interface Running {
  live: number;
  abort: AbortController;
}

interface Plan {
  /** The next batch, in arrival order; always starts with the oldest waiting request. */
  chosen: Pending[];
  /** Dispatch now: the batch is full, or requests were left for a later batch (so waiting only idles the backend). */
  closed: boolean;
  /** How many of `chosen` make the largest preferred batch size reached on the way (0 if none). */
  preferred: number;
}

/** Requests looked at per batch row when forming a batch, to bound the work under a deep queue. */
const LOOKAHEAD_PER_ROW = 4;

const cancelled = (where: string) => new BackendError('BACKEND_TIMEOUT', `request was cancelled ${where}`);

/**
 * Groups concurrent requests into one backend call, like Triton's dynamic batcher, with one call in
 * flight per process: while a call runs, new requests accumulate and form the next batch.
 *
 * Requests are never split, so each request's rows come back contiguous, and the oldest request is
 * always in the next batch (no starvation). A batch is padded to its own longest sequence; requests
 * that would pad it beyond maxPaddingRatio wait for a later batch, which groups similar lengths
 * without sorting the queue.
 */
export class DynamicBatcher {
  private pending: Pending[] = [];
  private busy = false;
  /** Between a call's end and the next event-loop turn, when the next batch is formed. */
  private settling = false;
  private running = 0;
  private cancelTimer: (() => void) | undefined;
  private readonly maxBatch: number;
  private readonly delayMs: number;
  private readonly preferred: ReadonlySet<number>;
  private readonly maxPaddingRatio: number;
  private readonly maxQueueSize: number;
  private readonly padId: number;
  private readonly clock: BatcherClock;
  private readonly onBatch: ((r: BatchReport) => void) | undefined;

  constructor(
    private readonly backend: Backend,
    opts: BatchingOptions & {
      /** Requests allowed to wait (not yet dispatched); beyond it submit rejects with QueueFullError. */
      maxQueueSize: number;
      padId?: number;
      clock?: BatcherClock;
      onBatch?: (r: BatchReport) => void;
    },
  ) {
    if (!Number.isInteger(opts.maxBatchSize) || opts.maxBatchSize < 1)
      throw new RangeError(`maxBatchSize must be an integer >= 1, got ${opts.maxBatchSize}`);
    if (!(opts.maxQueueDelayUs >= 0)) throw new RangeError(`maxQueueDelayUs must be >= 0, got ${opts.maxQueueDelayUs}`);
    this.maxBatch = opts.maxBatchSize;
    this.delayMs = opts.maxQueueDelayUs / 1000;
    this.preferred = new Set(opts.preferredBatchSizes ?? []);
    this.maxPaddingRatio = opts.maxPaddingRatio ?? DEFAULT_MAX_PADDING_RATIO;
    this.maxQueueSize = opts.maxQueueSize;
    this.padId = opts.padId ?? 0;
    this.clock = opts.clock ?? realClock;
    this.onBatch = opts.onBatch;
  }

  /** Requests waiting or in the running batch (not counting cancelled ones). */
  get depth(): number {
    return this.pending.length + this.running;
  }

  submit(ids: readonly (readonly number[])[], signal?: AbortSignal): Promise<BatchedResult> {
    if (signal?.aborted) return Promise.reject(cancelled('before it was queued'));
    const idle = !this.busy && this.pending.length === 0;
    if (!idle && this.pending.length >= this.maxQueueSize) return Promise.reject(new QueueFullError(this.maxQueueSize));
    if (ids.length === 0)
      return Promise.resolve({ vectors: [], queueMs: 0, inferMs: 0, batchSize: 0, seqLen: 0, paddingRatio: 1 });
    let maxLen = 0;
    let tokens = 0;
    for (const s of ids) {
      if (s.length > maxLen) maxLen = s.length;
      tokens += s.length;
    }
    return new Promise<BatchedResult>((resolve, reject) => {
      const p: Pending = {
        ids,
        maxLen,
        tokens,
        submittedAt: this.clock.now(),
        state: 'queued',
        signal,
        onAbort: undefined,
        batch: undefined,
        resolve,
        reject,
      };
      if (signal) {
        p.onAbort = () => this.cancel(p);
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.pending.push(p);
      this.pump();
    });
  }

  /** Decides, while the backend is idle, whether to dispatch now or when the oldest request's delay ends. */
  private pump(): void {
    if (this.busy || this.settling) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const head = this.pending[0];
    if (!head) return;
    const plan = this.plan();
    const wait = head.submittedAt + this.delayMs - this.clock.now();
    if (plan.closed || wait <= 0) return this.dispatch(plan.chosen);
    if (plan.preferred > 0) return this.dispatch(plan.chosen.slice(0, plan.preferred));
    this.cancelTimer = this.clock.schedule(() => {
      this.cancelTimer = undefined;
      this.pump();
    }, wait);
  }

  /**
   * The next batch: the oldest waiting request, then later ones in arrival order that keep the batch
   * within maxBatchSize rows and within the padding ratio. A request that does not fit is skipped,
   * not a stopping point: it keeps its place and heads a later batch, so it waits at most as many
   * batches as there are requests ahead of it, and short requests behind a long one still batch.
   */
  private plan(): Plan {
    const chosen: Pending[] = [];
    let rows = 0;
    let maxLen = 0;
    let tokens = 0;
    let preferred = 0;
    let skipped = false;
    const scan = Math.min(this.pending.length, LOOKAHEAD_PER_ROW * this.maxBatch);
    for (let i = 0; i < scan && rows < this.maxBatch; i++) {
      const p = this.pending[i]!;
      const r = rows + p.ids.length;
      const m = Math.max(maxLen, p.maxLen);
      const t = tokens + p.tokens;
      if (chosen.length > 0 && (r > this.maxBatch || r * m > this.maxPaddingRatio * t)) {
        skipped = true;
        continue;
      }
      chosen.push(p);
      rows = r;
      maxLen = m;
      tokens = t;
      if (this.preferred.has(rows)) preferred = chosen.length;
    }
    const closed = rows >= this.maxBatch || skipped || scan < this.pending.length;
    return { chosen, closed, preferred };
  }

  private dispatch(reqs: Pending[]): void {
    const run: Running = { live: reqs.length, abort: new AbortController() };
    for (const p of reqs) {
      p.state = 'running';
      p.batch = run;
    }
    this.pending = this.pending.filter((p) => p.state === 'queued');
    this.busy = true;
    this.running = reqs.length;
    void this.execute(reqs, run);
  }

  private async execute(reqs: Pending[], run: Running): Promise<void> {
    const dispatchedAt = this.clock.now();
    let size = 0;
    let seqLen = 0;
    let realTokens = 0;
    let out: Embeddings | undefined;
    let error: unknown;
    try {
      const packed = packBatch(
        reqs.flatMap((p) => p.ids),
        this.padId,
      );
      ({ batch: size, seqLen, realTokens } = packed);
      out = await this.backend.embed(packed, run.abort.signal);
      if (out.batch !== size || out.data.length < size * out.dim) {
        throw new BackendError('BAD_BACKEND_RESPONSE', `the backend returned ${out.batch} rows for a batch of ${size}`);
      }
    } catch (e) {
      out = undefined;
      error = e;
    }
    const inferMs = this.clock.now() - dispatchedAt;
    const paddingRatio = realTokens > 0 ? (size * seqLen) / realTokens : 1;
    this.busy = false;
    this.running = 0;
    let row = 0;
    for (const p of reqs) {
      const first = row;
      row += p.ids.length;
      if (p.state !== 'running') continue; // cancelled while running: its rows are discarded
      p.state = 'done';
      if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
      if (out === undefined) {
        p.reject(error);
        continue;
      }
      const vectors: Float32Array[] = [];
      for (let i = first; i < row; i++) vectors.push(out.data.subarray(i * out.dim, (i + 1) * out.dim));
      p.resolve({ vectors, queueMs: dispatchedAt - p.submittedAt, inferMs, batchSize: size, seqLen, paddingRatio });
    }
    try {
      this.onBatch?.({
        size,
        requests: reqs.length,
        seqLen,
        realTokens,
        paddingRatio,
        queueMs: reqs.map((p) => dispatchedAt - p.submittedAt),
        inferMs,
        ok: out !== undefined,
      });
    } finally {
      // Form the next batch one event-loop turn later: requests whose bytes already arrived (and
      // in-process callers just answered) join it instead of trailing it as a second, smaller cohort.
      this.settling = true;
      setImmediate(() => {
        this.settling = false;
        this.pump();
      });
    }
  }

  private cancel(p: Pending): void {
    if (p.state === 'queued') {
      const i = this.pending.indexOf(p);
      if (i >= 0) this.pending.splice(i, 1);
      p.state = 'done';
      p.reject(cancelled('while queued'));
      // The oldest request may have changed, and with it the deadline and the next batch.
      this.pump();
    } else if (p.state === 'running' && p.batch) {
      p.state = 'done';
      this.running--;
      p.reject(cancelled('while its batch was running; its result is discarded'));
      // Nobody wants this batch any more: let backends that can cancel (remote ones) stop early.
      if (--p.batch.live === 0) p.batch.abort.abort();
    }
  }
}
