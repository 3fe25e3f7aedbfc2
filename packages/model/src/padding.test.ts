import { describe, expect, it } from 'vitest';
import { CONFIGS } from './configs.js';
import { forgeOnnx } from './forge.js';
import { maxAbsDiff, openSession, padBatch, randomSentence, runEmbed } from './testing/ort.js';

describe('padding invariance (tiny, seed 0, onnxruntime)', () => {
  it('embeds a sentence identically alone and padded inside a longer batch', async () => {
    const session = await openSession(forgeOnnx(CONFIGS.tiny, 0));
    const sentence = { ids: randomSentence(11, 7), types: [0, 0, 0, 0, 1, 1, 1] };
    const alone = await runEmbed(session, padBatch([sentence]));
    const longer = { ids: randomSentence(12, 23) };
    for (const [padId, padType] of [
      [0, 0],
      [30000, 1],
    ] as const) {
      // Pad ids/types under mask 0 must not leak in, whatever their values.
      const batched = await runEmbed(session, padBatch([longer, sentence, longer], padId, padType));
      expect(batched.dims).toEqual([3, 128]);
      expect(maxAbsDiff(batched.rows[1]!, alone.rows[0]!)).toBeLessThanOrEqual(1e-5);
    }
  });
});
