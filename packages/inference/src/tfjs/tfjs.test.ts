// Cross-backend identity: TensorFlow.js (wasm) and onnxruntime run the same ONNX weights and must
// agree to 1e-4 on the golden tokenizer sentences, alone and in padded mixed-length batches.
import { readFileSync } from 'node:fs';
import { tokenizeFixtures } from '@servebench/contract';
import { ensureModel } from '@servebench/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedBatch, Embeddings } from '../backend.js';
import { packBatch } from '../batch.js';
import { OrtBackend } from '../ort.js';
import { WordPieceTokenizer } from '../tokenizer/index.js';
import { SLOW_CALL_TOKENS, TfjsBackend } from './backend.js';
import { loadRuntime } from './runtime.js';

const TOLERANCE = 1e-4;
const texts = tokenizeFixtures().cases.map((c) => c.text);

function maxAbsDiff(a: Embeddings, b: Embeddings): number {
  expect([b.batch, b.dim]).toEqual([a.batch, a.dim]);
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(a.data[i]! - b.data[i]!));
  return d;
}

describe.each(['tiny', 'mini'] as const)('tfjs-wasm vs onnxruntime, %s', (name) => {
  let tokenizer: WordPieceTokenizer;
  let ort: OrtBackend;
  let tfjs: TfjsBackend;
  beforeAll(async () => {
    const files = await ensureModel(name);
    tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(files.vocab, 'utf8'), {
      maxLength: files.config.maxPositions,
    });
    ort = new OrtBackend({ modelPath: files.onnx, device: 'cpu', intraOpThreads: 1, interOpThreads: 1 });
    tfjs = new TfjsBackend({ backend: 'tfjs-wasm', modelPath: files.onnx, device: 'cpu', intraOpThreads: 1 });
    await Promise.all([ort.load(), tfjs.load()]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([ort?.close(), tfjs?.close()]);
  });

  const compare = async (b: EncodedBatch): Promise<number> => maxAbsDiff(await ort.embed(b), await tfjs.embed(b));
  const encode = (ts: string[]): EncodedBatch =>
    packBatch(
      ts.map((t) => tokenizer.encode(t)),
      tokenizer.padId,
    );

  it('agrees on every fixture sentence alone', async () => {
    for (const [i, t] of texts.entries())
      expect(await compare(encode([t])), `case ${i}`).toBeLessThanOrEqual(TOLERANCE);
  }, 120_000);

  it('agrees on padded batches of mixed lengths', async () => {
    // The 512-token cases go in one batch of their own with short ones, to bound the test's time.
    const long = texts.filter((t) => tokenizer.encode(t).length > 128);
    const short = texts.filter((t) => !long.includes(t));
    const batches = [[long[0]!, short[1]!, long[1]!]];
    for (let i = 0; i < short.length; i += 8) batches.push(short.slice(i, i + 8));
    for (const [i, ts] of batches.entries()) {
      const b = encode(ts);
      expect(b.realTokens, 'lengths are mixed').toBeLessThan(b.batch * b.seqLen);
      expect(await compare(b), `batch ${i}`).toBeLessThanOrEqual(TOLERANCE);
    }
  }, 120_000);

  it('agrees with token type 1 and nonzero pad ids under mask 0', async () => {
    const b = encode(['short one', 'a somewhat longer sentence with more word pieces in it']);
    for (let i = 0; i < b.inputIds.length; i++) {
      if (b.attentionMask[i] === 0n) b.inputIds[i] = 30000n;
      if (i % 3 === 0) b.tokenTypeIds[i] = 1n;
    }
    expect(await compare(b)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('runs on a worker thread by default, giving exactly what the main thread gives and leaving no tensors there', async () => {
    expect(tfjs.info().session_thread).toBe('worker');
    const files = await ensureModel(name);
    const main = new TfjsBackend({
      backend: 'tfjs-wasm',
      modelPath: files.onnx,
      device: 'cpu',
      intraOpThreads: 1,
      thread: 'main',
    });
    await main.load();
    try {
      expect(main.info().session_thread).toBe('main');
      expect(main.info().runtime).toBe(tfjs.info().runtime);
      const { tf } = await loadRuntime('tfjs-wasm', 1);
      const b = encode(texts.slice(0, 4));
      const first = await main.embed(b);
      expect(Array.from((await tfjs.embed(b)).data)).toEqual(Array.from(first.data));
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await main.embed(b);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      await main.close();
    }
  }, 120_000);
});

describe('tfjs-wasm and the event loop', () => {
  const backends: Partial<Record<'main' | 'worker', TfjsBackend>> = {};
  let long: EncodedBatch;
  beforeAll(async () => {
    const files = await ensureModel('mini');
    const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(files.vocab, 'utf8'), {
      maxLength: files.config.maxPositions,
    });
    // Long sequences, so that one call computes for a good while whichever thread runs it.
    long = packBatch(
      texts
        .filter((t) => tokenizer.encode(t).length > 128)
        .slice(0, 2)
        .map((t) => tokenizer.encode(t)),
      tokenizer.padId,
    );
    for (const thread of ['main', 'worker'] as const) {
      backends[thread] = new TfjsBackend({
        backend: 'tfjs-wasm',
        modelPath: files.onnx,
        device: 'cpu',
        intraOpThreads: 1,
        thread,
      });
    }
    await Promise.all(Object.values(backends).map((b) => b.load()));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(Object.values(backends).map((b) => b.close()));
  });

  /** Event-loop turns (setImmediate hops) that run while one embed call is in flight. */
  const turnsDuring = async (b: TfjsBackend): Promise<number> => {
    let turns = 0;
    let done = false;
    const spin = () => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    try {
      await b.embed(long);
    } finally {
      done = true;
    }
    return turns;
  };

  it('keeps turning while the model computes on its worker thread, and stalls when it computes on the main thread', async () => {
    expect(long.batch * long.seqLen).toBeGreaterThan(256);
    await Promise.all(Object.values(backends).map((b) => b.embed(long))); // warm up
    const main = await turnsDuring(backends.main!);
    const worker = await turnsDuring(backends.worker!);
    // On the main thread the whole forward pass runs synchronously inside embed(), so the loop
    // cannot turn; on the worker it turns freely (thousands of times, typically) until the reply.
    expect(main, 'turns while the model computes on the main thread').toBeLessThanOrEqual(1);
    expect(worker, 'turns while the model computes on the worker thread').toBeGreaterThanOrEqual(20);
  }, 120_000);
});

describe('tfjs part budget', () => {
  it('computes large requests in one-text parts unless the runtime is native libtensorflow', () => {
    const of = (backend: 'tfjs' | 'tfjs-wasm' | 'tfjs-node' | 'tfjs-node-gpu') =>
      new TfjsBackend({ backend, modelPath: 'unused.onnx', device: 'cpu', intraOpThreads: 1 }).maxCallTokens;
    expect(of('tfjs-wasm')).toBe(SLOW_CALL_TOKENS);
    expect(of('tfjs')).toBe(SLOW_CALL_TOKENS);
    expect(of('tfjs-node')).toBeUndefined();
    expect(of('tfjs-node-gpu')).toBeUndefined();
  });
});
