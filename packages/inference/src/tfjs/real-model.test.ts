// TensorFlow.js serves the real all-MiniLM-L6-v2 from the converted model.onnx's weights (mean
// pooling + Normalize from config.json) and agrees with sentence-transformers' golden embeddings
// (packages/model/fixtures/all-minilm-l6-v2.golden.json); the int8 ONNX export is refused with a
// BACKEND_CONFIG error saying why (the runner shows that stack as skipped with the reason).
import { readFileSync } from 'node:fs';
import { ensureModel } from '@servebench/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendError } from '../backend.js';
import { packBatch } from '../batch.js';
import { TfjsBackend } from './backend.js';

const golden = JSON.parse(
  readFileSync(new URL('../../../model/fixtures/all-minilm-l6-v2.golden.json', import.meta.url), 'utf8'),
) as { texts: string[]; input_ids: number[][]; embeddings: number[][] };

/** The bar for every stack against sentence-transformers (tfjs-wasm measured 3.1e-7 here). */
const TOLERANCE = 1e-5;

describe('tfjs-wasm on all-minilm-l6-v2', { timeout: 600_000 }, () => {
  let tfjs: TfjsBackend;
  beforeAll(async () => {
    const files = await ensureModel('all-minilm-l6-v2');
    tfjs = new TfjsBackend({ backend: 'tfjs-wasm', modelPath: files.onnx, device: 'cpu', intraOpThreads: 1 });
    await tfjs.load();
  });
  afterAll(async () => {
    await tfjs?.close();
  });

  it('matches sentence-transformers on every fixture sentence', async () => {
    let worst = 0;
    for (let i = 0; i < golden.input_ids.length; i += 8) {
      const ids = golden.input_ids.slice(i, i + 8);
      const out = await tfjs.embed(packBatch(ids, 0));
      ids.forEach((_, r) => {
        const want = golden.embeddings[i + r]!;
        for (let k = 0; k < out.dim; k++) worst = Math.max(worst, Math.abs(out.data[r * out.dim + k]! - want[k]!));
      });
    }
    console.log(`tfjs-wasm all-minilm-l6-v2 vs sentence-transformers: max abs diff ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });

  it('refuses the int8 ONNX export with a reason', async () => {
    const files = await ensureModel('all-minilm-l6-v2-int8');
    const b = new TfjsBackend({ backend: 'tfjs-wasm', modelPath: files.onnx, device: 'cpu', intraOpThreads: 1 });
    const err = await b.load().then(
      () => undefined,
      (e: unknown) => e,
    );
    await b.close();
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).code).toBe('BACKEND_CONFIG');
    expect((err as Error).message).toMatch(/is an ONNX export with its own graph .* serve it with an ORT stack/);
  });
});
