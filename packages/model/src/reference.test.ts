import type ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIGS } from './configs.js';
import { forgeOnnx, readOnnxWeights } from './forge.js';
import { maxAbsDiff, openSession, padBatch, randomSentence, runEmbed, type Sequence } from './testing/ort.js';
import { erf, referenceEmbed, type ReferenceBatch, type WeightMap } from './testing/reference.js';

const config = CONFIGS.tiny;
let session: ort.InferenceSession;
let weights: WeightMap;

beforeAll(async () => {
  const bytes = forgeOnnx(config, 0);
  weights = readOnnxWeights(bytes);
  session = await openSession(bytes);
});

/** Two segments: [CLS] a [SEP] with type 0, then b [SEP] with type 1. */
function pair(seed: number, na: number, nb: number): Sequence {
  const a = randomSentence(seed, na);
  const b = randomSentence(seed + 1000, nb).slice(1);
  return { ids: [...a, ...b], types: [...a.map(() => 0), ...b.map(() => 1)] };
}

const batches: Record<string, ReferenceBatch> = {
  'one full sequence': padBatch([{ ids: randomSentence(1, 9) }]),
  'ragged batch padded with 0 and token types 1': padBatch([
    { ids: randomSentence(2, 5) },
    pair(3, 6, 7),
    pair(4, 3, 4),
  ]),
  'extreme ids and a 40-token sequence': padBatch([{ ids: [101, 0, 30521, 30520, 1, 102] }, pair(5, 20, 21)]),
  'an all-zero mask row': {
    inputIds: [randomSentence(6, 4), randomSentence(7, 4)],
    attentionMask: [
      [1, 1, 1, 1],
      [0, 0, 0, 0],
    ],
    tokenTypeIds: [
      [0, 0, 1, 1],
      [0, 0, 0, 0],
    ],
  },
};

describe('ONNX graph vs plain-loop reference (tiny, seed 0)', () => {
  it('reference erf is accurate', () => {
    expect(erf(0)).toBe(0);
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(-1.5)).toBeCloseTo(-0.9661051464753108, 14);
    expect(erf(3.5)).toBeCloseTo(0.9999992569016276, 14);
  });

  for (const [label, batch] of Object.entries(batches)) {
    it(`matches within 1e-4: ${label}`, async () => {
      const got = await runEmbed(session, batch);
      const want = referenceEmbed(config, weights, batch);
      expect(got.dims).toEqual([batch.inputIds.length, config.hiddenSize]);
      const diff = Math.max(...got.rows.map((row, i) => maxAbsDiff(row, want[i]!)));
      console.log(`max |ort - reference| for ${label}: ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(1e-4);
      for (const row of got.rows) expect(row.every(Number.isFinite)).toBe(true);
    });
  }

  // Small BERT init makes attention nearly uniform, so check the tolerance still has teeth there.
  it('would notice a 1.5x error in an attention weight', async () => {
    const batch = batches['ragged batch padded with 0 and token types 1']!;
    const got = await runEmbed(session, batch);
    const key = 'encoder.layer.1.attention.self.key.weight';
    const scaled = new Map(weights);
    scaled.set(key, { dims: weights.get(key)!.dims, data: weights.get(key)!.data.map((x) => x * 1.5) });
    const want = referenceEmbed(config, scaled, batch);
    expect(Math.max(...got.rows.map((row, i) => maxAbsDiff(row, want[i]!)))).toBeGreaterThan(1e-4);
  });

  it('pools an all-zero mask row to the zero vector', async () => {
    const got = await runEmbed(session, batches['an all-zero mask row']!);
    expect(got.rows[1]!.every((x) => x === 0)).toBe(true);
    expect(got.rows[0]!.some((x) => x !== 0)).toBe(true);
  });
});
