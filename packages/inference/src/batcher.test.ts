import { readFileSync } from 'node:fs';
import { ensureModel } from '@servebench/model';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackendError, type Backend, type EncodedBatch, type Embeddings } from './backend.js';
import {
  DynamicBatcher,
  type BatchReport,
  type BatchedResult,
  type BatcherClock,
  type BatchingOptions,
} from './batcher.js';
import { OrtBackend } from './ort.js';
import { Pipeline, serverTiming } from './pipeline.js';
import { QueueFullError } from './queue.js';
import { WordPieceTokenizer } from './tokenizer/index.js';

/** A controllable clock: time moves only when a test advances it, and due timers fire in order. */
class ManualClock implements BatcherClock {
  private t = 0;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void }> = [];

  now(): number {
    return this.t;
  }

  schedule(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Moves time forward to now + ms, firing due timers in time order and settling promises after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = end;
  }

  get pendingTimers(): number {
    return this.timers.length;
  }
}

/** Lets queued promise continuations and the batcher's next-turn batch forming run (a few event-loop turns). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
};

interface Call {
  batch: number;
  seqLen: number;
  /** First token of each row, which the tests use as the row's identity. */
  rows: number[];
  signal: AbortSignal | undefined;
}

/**
 * TEST STAND-IN for a model backend. Row r of the output encodes the row's identity:
 * [first token id, real length, sum of real token ids]. Calls either finish on their own
 * (after `latencyMs` on the clock, or at once) or are held until the test releases them.
 */
class RowEchoTestBackend implements Backend {
  readonly id = 'row-echo-test';
  readonly calls: Call[] = [];
  inFlight = 0;
  maxInFlight = 0;
  hold = false;
  failCalls = new Set<number>();
  private held: Array<() => void> = [];

  constructor(private readonly timing?: { clock: ManualClock; latencyMs: number }) {}

  info(): Record<string, string> {
    return {};
  }
  async load(): Promise<void> {}
  async ready(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}

  async embed(b: EncodedBatch, signal?: AbortSignal): Promise<Embeddings> {
    const index = this.calls.length;
    const rows = Array.from({ length: b.batch }, (_, r) => Number(b.inputIds[r * b.seqLen]));
    this.calls.push({ batch: b.batch, seqLen: b.seqLen, rows, signal });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.hold) await new Promise<void>((r) => this.held.push(r));
      else if (this.timing) await new Promise<void>((r) => this.timing!.clock.schedule(r, this.timing!.latencyMs));
      if (this.failCalls.has(index)) throw new BackendError('BACKEND_UNAVAILABLE', `test failure of call ${index}`);
      const data = new Float32Array(b.batch * 3);
      for (let r = 0; r < b.batch; r++) {
        let len = 0;
        let sum = 0;
        for (let t = 0; t < b.seqLen; t++) {
          if (b.attentionMask[r * b.seqLen + t] === 1n) {
            len++;
            sum += Number(b.inputIds[r * b.seqLen + t]);
          }
        }
        data.set([Number(b.inputIds[r * b.seqLen]), len, sum], r * 3);
      }
      return { data, batch: b.batch, dim: 3 };
    } finally {
      this.inFlight--;
    }
  }

  /** Finishes the oldest held call. */
  async release(): Promise<void> {
    const r = this.held.shift();
    if (!r) throw new Error('no held call');
    r();
    await settle();
  }
}

/** A text as token ids whose first id is its identity, with `len` tokens in all. */
const row = (id: number, len = 3): number[] => [id, ...Array.from({ length: len - 1 }, (_, i) => 1000 + i)];
const expected = (r: number[]): number[] => [r[0]!, r.length, r.reduce((a, b) => a + b, 0)];
const asArrays = (res: BatchedResult) => res.vectors.map((v) => Array.from(v));

function setup(opts: Partial<BatchingOptions> & { maxQueueSize?: number; latencyMs?: number } = {}) {
  const clock = new ManualClock();
  const backend = new RowEchoTestBackend(
    opts.latencyMs === undefined ? undefined : { clock, latencyMs: opts.latencyMs },
  );
  const reports: BatchReport[] = [];
  const batcher = new DynamicBatcher(backend, {
    maxBatchSize: 8,
    maxQueueDelayUs: 2000,
    maxQueueSize: 100,
    clock,
    onBatch: (r) => reports.push(r),
    ...opts,
  });
  return { clock, backend, batcher, reports };
}

/** Tracks a promise's outcome without leaving a rejection unhandled. */
function track<T>(p: Promise<T>) {
  const s: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (v) => Object.assign(s, { done: true, value: v }),
    (e: unknown) => Object.assign(s, { done: true, error: e }),
  );
  return s;
}

describe('DynamicBatcher', () => {
  it('gives each request exactly its own rows, in order, including multi-text requests', async () => {
    const { clock, backend, batcher, reports } = setup({ maxBatchSize: 32, maxPaddingRatio: Number.POSITIVE_INFINITY });
    const reqs = [[row(1, 5)], [row(2, 3), row(3, 9), row(4, 4)], [row(5, 2)], [row(6, 7), row(7, 3)]];
    const out = reqs.map((r) => track(batcher.submit(r)));
    expect(backend.calls).toHaveLength(0);
    await clock.advance(2);
    expect(backend.calls).toHaveLength(1);
    expect(backend.calls[0]).toMatchObject({ batch: 7, seqLen: 9, rows: [1, 2, 3, 4, 5, 6, 7] });
    for (let i = 0; i < reqs.length; i++) {
      const r = out[i]!;
      expect(r.error).toBeUndefined();
      expect(asArrays(r.value!)).toEqual(reqs[i]!.map(expected));
      expect(r.value).toMatchObject({ batchSize: 7, seqLen: 9, queueMs: 2 });
    }
    expect(reports).toEqual([expect.objectContaining({ size: 7, requests: 4, seqLen: 9, realTokens: 33, ok: true })]);
    expect(reports[0]!.paddingRatio).toBeCloseTo((7 * 9) / 33);
  });

  it('honours max_queue_delay: the oldest request waits exactly that long when the backend is idle', async () => {
    const { clock, backend, batcher } = setup({ maxQueueDelayUs: 2000 });
    const a = track(batcher.submit([row(1)]));
    await clock.advance(1.5);
    const b = track(batcher.submit([row(2)]));
    await clock.advance(0.499);
    expect(backend.calls).toHaveLength(0);
    await clock.advance(0.001);
    expect(backend.calls.map((c) => c.rows)).toEqual([[1, 2]]);
    await settle();
    expect(a.value?.queueMs).toBeCloseTo(2);
    expect(b.value?.queueMs).toBeCloseTo(0.5);
  });

  it('with max_queue_delay 0 dispatches at once', async () => {
    const { backend, batcher } = setup({ maxQueueDelayUs: 0 });
    const a = track(batcher.submit([row(1)]));
    await settle();
    expect(backend.calls).toHaveLength(1);
    expect(a.value?.queueMs).toBe(0);
  });

  it('moves the deadline to the next request when the oldest is cancelled while queued', async () => {
    const { clock, backend, batcher } = setup({ maxQueueDelayUs: 2000 });
    const ac = new AbortController();
    const a = track(batcher.submit([row(1)], ac.signal));
    await clock.advance(1);
    const b = track(batcher.submit([row(2)]));
    ac.abort();
    await settle();
    expect(a.error).toBeInstanceOf(BackendError);
    expect((a.error as BackendError).code).toBe('BACKEND_TIMEOUT');
    await clock.advance(1.5);
    expect(backend.calls).toHaveLength(0);
    await clock.advance(0.5);
    expect(backend.calls.map((c) => c.rows)).toEqual([[2]]);
    await settle();
    expect(b.value?.queueMs).toBeCloseTo(2);
  });

  it('dispatches a full batch at once, and a request larger than max_batch_size alone and unsplit', async () => {
    const { clock, backend, batcher } = setup({ maxBatchSize: 4, maxQueueDelayUs: 1e6 });
    const small = [1, 2, 3].map((i) => track(batcher.submit([row(i)])));
    await settle();
    expect(backend.calls).toHaveLength(0);
    const big = track(batcher.submit([10, 11, 12, 13, 14, 15].map((i) => row(i))));
    await settle();
    // The head three plus the next request would be 9 rows: the three go now, closed by size.
    expect(backend.calls.map((c) => c.rows)).toEqual([
      [1, 2, 3],
      [10, 11, 12, 13, 14, 15],
    ]);
    expect(small.every((s) => s.done && !s.error)).toBe(true);
    expect(asArrays(big.value!)).toEqual([10, 11, 12, 13, 14, 15].map((i) => expected(row(i))));
    const four = [20, 21, 22, 23].map((i) => track(batcher.submit([row(i)])));
    await settle();
    expect(backend.calls[2]?.rows).toEqual([20, 21, 22, 23]);
    expect(four.every((s) => s.value?.batchSize === 4)).toBe(true);
    expect(clock.now()).toBe(0);
  });

  it('dispatches early when the waiting rows reach a preferred batch size', async () => {
    const { backend, batcher } = setup({ maxBatchSize: 16, maxQueueDelayUs: 1e6, preferredBatchSizes: [4, 8] });
    const a = track(batcher.submit([row(1), row(2)]));
    track(batcher.submit([row(3)]));
    await settle();
    expect(backend.calls).toHaveLength(0);
    track(batcher.submit([row(4)]));
    await settle();
    expect(backend.calls.map((c) => c.rows)).toEqual([[1, 2, 3, 4]]);
    expect(asArrays(a.value!)).toEqual([expected(row(1)), expected(row(2))]);
  });

  it('keeps one backend call in flight; requests arriving meanwhile form the next batch', async () => {
    const { backend, batcher, clock } = setup({ maxBatchSize: 32, maxQueueDelayUs: 0 });
    backend.hold = true;
    const first = track(batcher.submit([row(1)]));
    await settle();
    const later = [2, 3, 4, 5, 6].map((i) => track(batcher.submit([row(i)])));
    await settle();
    expect(backend.calls).toHaveLength(1);
    expect(batcher.depth).toBe(6);
    await clock.advance(5);
    await backend.release();
    expect(first.value?.batchSize).toBe(1);
    expect(backend.calls.map((c) => c.rows)).toEqual([[1], [2, 3, 4, 5, 6]]);
    await backend.release();
    expect(later.map((s) => s.value?.queueMs)).toEqual([5, 5, 5, 5, 5]);
    expect(backend.maxInFlight).toBe(1);
    expect(batcher.depth).toBe(0);
  });

  it('forms the next batch a turn after a call ends, so callers answered by it can join the waiting ones', async () => {
    const { backend, batcher } = setup({ maxBatchSize: 32, maxQueueDelayUs: 0 });
    backend.hold = true;
    let again: ReturnType<typeof track<BatchedResult>> | undefined;
    void batcher.submit([row(1)]).then(() => {
      again = track(batcher.submit([row(3)]));
    });
    const waiting = track(batcher.submit([row(2)]));
    await settle();
    await backend.release();
    expect(backend.calls.map((c) => c.rows)).toEqual([[1], [2, 3]]);
    await backend.release();
    expect(waiting.value?.batchSize).toBe(2);
    expect(again?.value?.batchSize).toBe(2);
  });

  it('sheds requests beyond max_queue_size with QueueFullError and keeps serving the others', async () => {
    const { backend, batcher } = setup({ maxBatchSize: 2, maxQueueDelayUs: 0, maxQueueSize: 3 });
    backend.hold = true;
    const running = track(batcher.submit([row(1)]));
    const queued = [2, 3, 4].map((i) => track(batcher.submit([row(i)])));
    const shed = track(batcher.submit([row(5)]));
    await settle();
    expect(shed.error).toBeInstanceOf(QueueFullError);
    expect(queued.some((s) => s.done)).toBe(false);
    await backend.release();
    // Two waiting requests left for the running batch, so one slot is free again.
    const again = track(batcher.submit([row(6)]));
    await backend.release();
    await backend.release();
    expect([running, ...queued, again].map((s) => s.value?.vectors[0]?.[0])).toEqual([1, 2, 3, 4, 6]);
    expect(backend.calls.map((c) => c.rows)).toEqual([[1], [2, 3], [4, 6]]);
  });

  it('with max_queue_size 0 still serves a request that finds the batcher idle', async () => {
    const { batcher } = setup({ maxQueueSize: 0, maxQueueDelayUs: 0 });
    await expect(batcher.submit([row(1)])).resolves.toMatchObject({ batchSize: 1 });
  });

  it('removes a request cancelled while queued: rejected, and its rows never reach the backend', async () => {
    const { backend, batcher } = setup({ maxBatchSize: 8, maxQueueDelayUs: 0 });
    backend.hold = true;
    track(batcher.submit([row(1)]));
    const ac = new AbortController();
    const b = track(batcher.submit([row(2)]));
    const c = track(batcher.submit([row(3), row(4)], ac.signal));
    const d = track(batcher.submit([row(5)]));
    ac.abort();
    await settle();
    expect((c.error as BackendError).code).toBe('BACKEND_TIMEOUT');
    expect(batcher.depth).toBe(3);
    await backend.release();
    await backend.release();
    expect(backend.calls.map((x) => x.rows)).toEqual([[1], [2, 5]]);
    expect(asArrays(b.value!)).toEqual([expected(row(2))]);
    expect(asArrays(d.value!)).toEqual([expected(row(5))]);
  });

  it('rejects at once a request cancelled while its batch runs, discards its rows, and serves the rest', async () => {
    const { backend, batcher } = setup({ maxBatchSize: 8, maxQueueDelayUs: 0 });
    backend.hold = true;
    track(batcher.submit([row(1)]));
    const ac = new AbortController();
    const b = track(batcher.submit([row(2)], ac.signal));
    const c = track(batcher.submit([row(3), row(4)]));
    await backend.release();
    expect(backend.calls[1]?.rows).toEqual([2, 3, 4]);
    ac.abort();
    await settle();
    expect((b.error as BackendError).code).toBe('BACKEND_TIMEOUT');
    expect(backend.calls[1]?.signal?.aborted).toBe(false);
    await backend.release();
    expect(asArrays(c.value!)).toEqual([expected(row(3)), expected(row(4))]);
    expect(batcher.depth).toBe(0);
  });

  it('aborts the backend call once every request in the running batch is cancelled (AbortSignal.timeout included)', async () => {
    const { backend, batcher } = setup({ maxBatchSize: 8, maxQueueDelayUs: 0 });
    backend.hold = true;
    const ac1 = new AbortController();
    const ac2 = new AbortController();
    const a = track(batcher.submit([row(1)], ac1.signal));
    const b = track(batcher.submit([row(2)], AbortSignal.any([ac2.signal])));
    ac1.abort(new DOMException('deadline', 'TimeoutError'));
    await settle();
    expect(backend.calls[0]?.signal?.aborted).toBe(true);
    expect((a.error as BackendError).code).toBe('BACKEND_TIMEOUT');
    await backend.release();
    ac2.abort();
    await settle();
    expect((b.error as BackendError).code).toBe('BACKEND_TIMEOUT');
    await backend.release();
    await expect(batcher.submit([row(9)], AbortSignal.abort())).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT' });
    expect(backend.calls).toHaveLength(2);
  });

  it('rejects exactly the requests of a failed batch and keeps working', async () => {
    const { backend, batcher, reports } = setup({ maxBatchSize: 2, maxQueueDelayUs: 0 });
    backend.hold = true;
    backend.failCalls.add(1);
    const a = track(batcher.submit([row(1)]));
    const b = track(batcher.submit([row(2)]));
    const c = track(batcher.submit([row(3)]));
    const d = track(batcher.submit([row(4)]));
    await backend.release();
    await backend.release();
    await backend.release();
    expect(backend.calls.map((x) => x.rows)).toEqual([[1], [2, 3], [4]]);
    expect(a.value).toBeDefined();
    expect((b.error as BackendError).code).toBe('BACKEND_UNAVAILABLE');
    expect(c.error).toBe(b.error);
    expect(asArrays(d.value!)).toEqual([expected(row(4))]);
    expect(reports.map((r) => r.ok)).toEqual([true, false, true]);
    const e = track(batcher.submit([row(5)]));
    await backend.release();
    expect(e.value?.batchSize).toBe(1);
  });

  it('rejects a batch when the backend returns the wrong number of rows', async () => {
    const clock = new ManualClock();
    const bad: Backend = {
      id: 'short-output-test',
      info: () => ({}),
      load: async () => {},
      ready: async () => true,
      close: async () => {},
      embed: async (b) => ({ data: new Float32Array(3), batch: b.batch - 1, dim: 3 }),
    };
    const batcher = new DynamicBatcher(bad, { maxBatchSize: 4, maxQueueDelayUs: 0, maxQueueSize: 10, clock });
    await expect(batcher.submit([row(1), row(2)])).rejects.toMatchObject({ code: 'BAD_BACKEND_RESPONSE' });
  });

  it('pads each batch to its own longest sequence and leaves a request that would pass the padding ratio for a later batch', async () => {
    const { backend, batcher, reports } = setup({ maxBatchSize: 32, maxQueueDelayUs: 0, maxPaddingRatio: 2 });
    backend.hold = true;
    track(batcher.submit([row(1, 4)]));
    const lens = [4, 5, 4, 40, 4, 6, 38];
    const out = lens.map((len, i) => track(batcher.submit([row(10 + i, len)])));
    for (let i = 0; i < 3; i++) await backend.release();
    // The 40-token text would pad the short ones 8x: it is skipped, the short ones behind it still
    // join, and it heads the next batch with the other long one.
    expect(backend.calls.map((c) => [c.rows, c.seqLen])).toEqual([
      [[1], 4],
      [[10, 11, 12, 14, 15], 6],
      [[13, 16], 40],
    ]);
    expect(out.map((s) => s.value?.vectors[0]?.[1])).toEqual(lens);
    expect(reports.every((r) => r.paddingRatio <= 2)).toBe(true);
  });

  it('with no padding limit pads the whole batch to its longest sequence', async () => {
    const { backend, batcher, reports } = setup({
      maxBatchSize: 32,
      maxQueueDelayUs: 0,
      maxPaddingRatio: Number.POSITIVE_INFINITY,
    });
    backend.hold = true;
    track(batcher.submit([row(1, 4)]));
    [4, 40, 6].forEach((len, i) => track(batcher.submit([row(10 + i, len)])));
    await backend.release();
    await backend.release();
    expect(backend.calls.map((c) => [c.rows, c.seqLen])).toEqual([
      [[1], 4],
      [[10, 11, 12], 40],
    ]);
    expect(reports[1]?.paddingRatio).toBeCloseTo(120 / 50);
  });

  it('skips a multi-text request that would overflow max_batch_size, keeping it whole for the next batch', async () => {
    const { backend, batcher } = setup({ maxBatchSize: 4, maxQueueDelayUs: 0 });
    backend.hold = true;
    track(batcher.submit([row(1)]));
    const a = track(batcher.submit([row(2), row(3)]));
    const b = track(batcher.submit([row(4), row(5), row(6)]));
    const c = track(batcher.submit([row(7)]));
    for (let i = 0; i < 3; i++) await backend.release();
    expect(backend.calls.map((x) => x.rows)).toEqual([[1], [2, 3, 7], [4, 5, 6]]);
    expect(asArrays(a.value!)).toEqual([2, 3].map((i) => expected(row(i))));
    expect(asArrays(b.value!)).toEqual([4, 5, 6].map((i) => expected(row(i))));
    expect(asArrays(c.value!)).toEqual([expected(row(7))]);
  });

  it('property: under random arrivals, sizes, cancellations and failures every request gets its own rows or a clear error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxBatchSize: fc.integer({ min: 1, max: 8 }),
          maxQueueDelayUs: fc.integer({ min: 0, max: 3000 }),
          preferredBatchSizes: fc.uniqueArray(fc.integer({ min: 1, max: 8 }), { maxLength: 3 }),
          maxPaddingRatio: fc.constantFrom(Number.POSITIVE_INFINITY, 1.5, 2),
          maxQueueSize: fc.integer({ min: 0, max: 12 }),
          latencyMs: fc.constantFrom(0.3, 1, 2.5),
        }),
        fc.array(
          fc.record({
            lens: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
            gapMs: fc.constantFrom(0, 0, 0.1, 0.5, 1, 3),
            cancelAfterMs: fc.option(fc.constantFrom(0, 0.2, 1, 2.4, 5), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        fc.uniqueArray(fc.integer({ min: 0, max: 10 }), { maxLength: 3 }),
        async (opts, arrivals, failing) => {
          const { clock, backend, batcher } = setup(opts);
          failing.forEach((i) => backend.failCalls.add(i));
          let nextId = 1;
          const sent: Array<{ ids: number[][]; s: ReturnType<typeof track<BatchedResult>>; cancellable: boolean }> = [];
          for (const a of arrivals) {
            await clock.advance(a.gapMs);
            const ids = a.lens.map((len) => row(nextId++, len + 1));
            const ac = new AbortController();
            const s = track(batcher.submit(ids, ac.signal));
            if (a.cancelAfterMs !== undefined) clock.schedule(() => ac.abort(), a.cancelAfterMs);
            sent.push({ ids, s, cancellable: a.cancelAfterMs !== undefined });
          }
          await clock.advance(1000);
          expect(backend.maxInFlight).toBeLessThanOrEqual(1);
          expect(batcher.depth).toBe(0);
          // Every row reaches the backend at most once, in a batch padded to that batch's longest row.
          const seen = backend.calls.flatMap((c) => c.rows);
          expect(new Set(seen).size).toBe(seen.length);
          const allRows = sent.flatMap((x) => x.ids);
          for (const c of backend.calls) {
            const lens = c.rows.map((id) => allRows.find((r) => r[0] === id)!.length);
            expect(c.seqLen).toBe(Math.max(...lens));
            // Rows keep arrival order inside a batch, and the padding limit holds unless one request is alone.
            expect(c.rows).toEqual([...c.rows].sort((x, y) => x - y));
            const requests = sent.filter((x) => c.rows.includes(x.ids[0]![0]!)).length;
            if (requests > 1)
              expect(c.batch * c.seqLen).toBeLessThanOrEqual(opts.maxPaddingRatio * lens.reduce((x, y) => x + y, 0));
          }
          for (const { ids, s, cancellable } of sent) {
            expect(s.done).toBe(true);
            if (s.error === undefined) {
              expect(asArrays(s.value!)).toEqual(ids.map(expected));
              const call = backend.calls.find((c) => c.rows.includes(ids[0]![0]!))!;
              expect(call.rows.length <= opts.maxBatchSize || call.rows.length === ids.length).toBe(true);
              expect(s.value!.batchSize).toBe(call.rows.length);
            } else if (s.error instanceof QueueFullError) {
              expect(seen).not.toContain(ids[0]![0]);
            } else {
              const code = (s.error as BackendError).code;
              expect(code === 'BACKEND_UNAVAILABLE' || (cancellable && code === 'BACKEND_TIMEOUT')).toBe(true);
            }
          }
          expect(clock.pendingTimers).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Pipeline with batching', () => {
  const fakeTokenizer = () =>
    WordPieceTokenizer.fromVocabText(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b', 'c'].join('\n'), {
      maxLength: 16,
    });

  it('leaves batching off (max batch 1) on the serial path, with the request as the backend batch', async () => {
    const backend = new RowEchoTestBackend();
    const reports: BatchReport[] = [];
    const waits: number[] = [];
    const p = new Pipeline(fakeTokenizer(), backend, {
      maxQueue: 4,
      batching: { maxBatchSize: 1, maxQueueDelayUs: 2000 },
      observer: { onBatch: (r) => reports.push(r), onQueueWait: (ms) => waits.push(ms) },
    });
    expect(p.batching).toBe(false);
    const [x, y] = await Promise.all([p.predict(['a b', 'c']), p.predict(['b'])]);
    expect(backend.calls.map((c) => c.batch)).toEqual([2, 1]);
    expect(x.batch).toBe(2);
    expect(y.batch).toBe(1);
    expect(reports.map((r) => [r.size, r.requests])).toEqual([
      [2, 1],
      [1, 1],
    ]);
    expect(waits).toHaveLength(2);
  });

  it('batches concurrent predicts and reports queue, infer and batch size per request', async () => {
    const backend = new RowEchoTestBackend();
    const reports: BatchReport[] = [];
    const waits: number[] = [];
    const p = new Pipeline(fakeTokenizer(), backend, {
      maxQueue: 16,
      batching: { maxBatchSize: 3, maxQueueDelayUs: 5_000_000 },
      observer: { onBatch: (r) => reports.push(r), onQueueWait: (ms) => waits.push(ms) },
    });
    expect(p.batching).toBe(true);
    const [x, y] = await Promise.all([p.predict(['a b', 'c']), p.predict(['b'])]);
    expect(backend.calls.map((c) => c.batch)).toEqual([3]);
    // [CLS]=2 [SEP]=3 a=5 b=6 c=7: each request sees its own rows only.
    expect(x.vectors.map((v) => Array.from(v))).toEqual([
      [2, 4, 16],
      [2, 3, 12],
    ]);
    expect(y.vectors.map((v) => Array.from(v))).toEqual([[2, 3, 11]]);
    expect(x.batch).toBe(3);
    expect(x.seqLen).toBe(4);
    expect(x.timing.queue).toBeGreaterThanOrEqual(0);
    expect(x.timing.infer).toBe(y.timing.infer);
    expect(reports).toHaveLength(1);
    expect(waits).toHaveLength(2);
  });

  it('serverTiming keeps queue/tokenize/infer durations and adds the batch size as a description', () => {
    expect(serverTiming({ queue: 0.01, tokenize: 0.0214, infer: 0.6123 }, 4)).toBe(
      'queue;dur=0.010, tokenize;dur=0.021, infer;dur=0.612, batch;desc=4',
    );
    expect(serverTiming({ tokenize: 0.5 })).toBe('tokenize;dur=0.500');
  });
});

describe('batched ORT embeddings', () => {
  it('equal unbatched embeddings to 1e-5 with the tiny model, for mixed lengths and multi-text requests', async () => {
    const files = await ensureModel('tiny');
    const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(files.vocab, 'utf8'), {
      maxLength: files.config.maxPositions,
    });
    const backend = new OrtBackend({ modelPath: files.onnx, device: 'cpu', intraOpThreads: 1, interOpThreads: 1 });
    await backend.load();
    try {
      const requests = [
        ['hello'],
        ['The quick brown fox jumps over the lazy dog near the river bank at dawn.', 'short'],
        ['Batch inference amortizes kernel launches across many concurrent user requests.'],
        ['a', 'b c', 'unaffordable tokenization, with punctuation!'],
        ['Is this restaurant open on public holidays?'],
      ];
      const serial = new Pipeline(tokenizer, backend, { maxQueue: 100 });
      const alone = await Promise.all(
        requests.map((texts) => Promise.all(texts.map(async (t) => (await serial.predict([t])).vectors[0]!))),
      );
      const sizes: number[] = [];
      const batched = new Pipeline(tokenizer, backend, {
        maxQueue: 100,
        // All 8 texts meet in one batch: it dispatches when full; the long delay is only a fallback.
        batching: { maxBatchSize: 8, maxQueueDelayUs: 5_000_000, maxPaddingRatio: Number.POSITIVE_INFINITY },
        observer: { onBatch: (r) => sizes.push(r.size), onQueueWait: () => {} },
      });
      const results = await Promise.all(requests.map((texts) => batched.predict(texts)));
      expect(sizes).toEqual([8]);
      for (let i = 0; i < requests.length; i++) {
        const got = results[i]!.vectors;
        expect(got).toHaveLength(requests[i]!.length);
        for (let j = 0; j < got.length; j++) {
          const a = alone[i]![j]!;
          const b = got[j]!;
          let diff = 0;
          for (let k = 0; k < a.length; k++) diff = Math.max(diff, Math.abs(a[k]! - b[k]!));
          expect(diff, `request ${i} text ${j}`).toBeLessThanOrEqual(1e-5);
        }
      }
    } finally {
      await backend.close();
    }
  }, 60_000);
});
