import { describe, expect, it, vi } from 'vitest';
import type { Backend, EncodedBatch, Embeddings } from './backend.js';
import { MAX_CALL_TOKENS, Pipeline, splitByTokens } from './pipeline.js';
import { QueueFullError } from './queue.js';
import { WordPieceTokenizer } from './tokenizer/index.js';

const turn = () => new Promise((r) => setImmediate(r));
const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b', 'c'].join('\n');

/** A stand-in backend: each embed() stays in flight until the test releases it. */
class StandInBackend implements Backend {
  readonly id = 'stand-in';
  maxCallTokens?: number;
  readonly calls: EncodedBatch[] = [];
  private readonly waiting: Array<() => void> = [];
  info = () => ({});
  load = async () => undefined;
  ready = async () => true;
  close = async () => undefined;
  async embed(batch: EncodedBatch, signal?: AbortSignal): Promise<Embeddings> {
    this.calls.push(batch);
    await new Promise<void>((resolve, reject) => {
      this.waiting.push(resolve);
      signal?.addEventListener('abort', () => reject(new Error('aborted in flight')), { once: true });
    });
    return { data: new Float32Array(batch.batch * 2), batch: batch.batch, dim: 2 };
  }
  releaseAll(): void {
    for (const r of this.waiting.splice(0)) r();
  }
}

function setup(maxQueueTokens: number) {
  const tokenizer = WordPieceTokenizer.fromVocabText(vocab, { maxLength: 64 });
  const encode = vi.spyOn(tokenizer, 'encode');
  const backend = new StandInBackend();
  const pipeline = new Pipeline(tokenizer, backend, { maxQueue: 1000, maxQueueTokens });
  return { pipeline, backend, encode };
}

describe('Pipeline work bound (MAX_QUEUE_TOKENS)', () => {
  it('sheds by tokens of work, not request count, and before tokenizing', async () => {
    const { pipeline, backend, encode } = setup(100);
    const text = 'a '.repeat(19); // 38 characters: at most 40 tokens
    const first = pipeline.predict([text]);
    const second = pipeline.predict([text]);
    await turn();
    expect(pipeline.queuedTokens).toBe(2 * 21); // held at the real figure once tokenized: [CLS] 19 x a [SEP]
    const calls = encode.mock.calls.length;
    // 42 + 42 + an upper bound of 3 x 40 > 100: shed with 2 requests admitted, 998 request slots free.
    await expect(pipeline.predict([text, text, text])).rejects.toBeInstanceOf(QueueFullError);
    expect(encode.mock.calls.length).toBe(calls); // never tokenized
    // A small request still fits.
    const small = pipeline.predict(['a']);
    await turn();
    backend.releaseAll();
    await turn();
    backend.releaseAll();
    await turn();
    backend.releaseAll();
    await Promise.all([first, second, small]);
    expect(pipeline.queuedTokens).toBe(0);
  });

  it('always admits one request on an idle pipeline, however large', async () => {
    const { pipeline, backend } = setup(10);
    const big = pipeline.predict(['a '.repeat(40)]);
    await turn();
    backend.releaseAll();
    await expect(big).resolves.toMatchObject({ batch: 1 });
    expect(pipeline.queuedTokens).toBe(0);
  });

  it('a cancelled request leaves the queue and frees its tokens; the next one runs', async () => {
    const { pipeline, backend } = setup(1000);
    const running = pipeline.predict(['a b c']);
    const aborts = Array.from({ length: 6 }, () => new AbortController());
    const abandoned = aborts.map((ac) => pipeline.predict(['a '.repeat(30)], ac.signal));
    await turn();
    expect(pipeline.queueDepth).toBe(7);
    for (const ac of aborts) ac.abort();
    for (const p of abandoned) await expect(p).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT' });
    const next = pipeline.predict(['c']);
    await turn();
    backend.releaseAll();
    await turn();
    backend.releaseAll();
    await Promise.all([running, next]);
    expect(backend.calls.length).toBe(2); // the abandoned work never reached the backend
    expect(pipeline.queuedTokens).toBe(0);
    expect(pipeline.queueDepth).toBe(0);
  });

  it('an already aborted request is not tokenized or queued', async () => {
    const { pipeline, encode } = setup(1000);
    const ac = new AbortController();
    ac.abort();
    await expect(pipeline.predict(['a'], ac.signal)).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT' });
    expect(encode).not.toHaveBeenCalled();
  });
});

describe('Pipeline parts (MAX_CALL_TOKENS)', () => {
  it('splits texts in order into parts of at most the padded budget, one text at least', () => {
    const ids = [[1, 2], [1, 2, 3, 4], [1], [1, 2, 3, 4, 5, 6, 7, 8, 9]];
    expect(splitByTokens(ids, 8)).toEqual([
      [
        [1, 2],
        [1, 2, 3, 4],
      ],
      [[1]],
      [[1, 2, 3, 4, 5, 6, 7, 8, 9]],
    ]);
    expect(splitByTokens(ids, 100)).toEqual([ids]);
  });

  it('computes a large request in parts, and an abandoned one stops after the part in progress', async () => {
    const { pipeline, backend } = setup(1_000_000);
    const texts = Array.from({ length: 300 }, () => 'a '.repeat(62)); // 64 tokens each: 3 parts
    let done = false;
    const whole = pipeline.predict(texts).finally(() => (done = true));
    while (!done) {
      await turn();
      backend.releaseAll();
    }
    const r = await whole;
    expect(r.vectors).toHaveLength(300);
    expect(backend.calls.map((b) => b.batch)).toEqual([
      MAX_CALL_TOKENS / 64,
      MAX_CALL_TOKENS / 64,
      300 - MAX_CALL_TOKENS / 32,
    ]);

    backend.calls.length = 0;
    const ac = new AbortController();
    const abandoned = pipeline.predict(texts, ac.signal).then(
      () => 'served',
      () => 'rejected',
    );
    while (backend.calls.length === 0) await turn();
    expect(backend.calls).toHaveLength(1); // the first part is in flight
    ac.abort();
    backend.releaseAll();
    expect(await abandoned).toBe('rejected');
    expect(backend.calls).toHaveLength(1); // the other parts never ran
    expect(pipeline.queuedTokens).toBe(0);
  });

  it("takes the backend's smaller part budget when it has one (slow runtimes)", async () => {
    const { pipeline, backend } = setup(1_000_000);
    backend.maxCallTokens = 128;
    const texts = Array.from({ length: 5 }, () => 'a '.repeat(62)); // 64 tokens each: 2 per part
    let done = false;
    const whole = pipeline.predict(texts).finally(() => (done = true));
    while (!done) {
      await turn();
      backend.releaseAll();
    }
    expect((await whole).vectors).toHaveLength(5);
    expect(backend.calls.map((b) => b.batch)).toEqual([2, 2, 1]);
  });
});
