import { describe, expect, it } from 'vitest';
import { resolveSettings } from './settings.js';
import { buildWorkload, groupTexts, type Oracle } from './workload.js';

/** A stand-in oracle: ids are char codes, the "embedding" is [length, first char code]. */
const standInOracle: Oracle = {
  tokenize: (t) => [101, ...[...t].map((c) => c.charCodeAt(0)), 102],
  embed: async (texts) => texts.map((t) => [t.length, t.charCodeAt(0)]),
};

describe('--texts-per-request', () => {
  it('groups the texts consecutively, wrapping so every request has exactly n', () => {
    expect(groupTexts(['a', 'b', 'c', 'd', 'e'], 2)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'a'],
    ]);
    expect(groupTexts(['a'], 3)).toEqual([['a', 'a', 'a']]);
  });

  it('sends {"texts"} and expects the batched answers', async () => {
    const texts = ['ab', 'c', 'def'];
    const p = await buildWorkload('predict', texts, standInOracle, 1e-4, 2);
    expect(p.requests.map((r) => JSON.parse(r.body!))).toEqual([{ texts: ['ab', 'c'] }, { texts: ['def', 'ab'] }]);
    expect(p.expect[1]).toEqual({
      kind: 'embedding',
      field: 'embeddings',
      values: [
        [3, 100],
        [2, 97],
      ],
      tol: 1e-4,
    });
    const t = await buildWorkload('tokenize', texts, standInOracle, 1e-4, 2);
    expect(t.expect[0]).toEqual({
      kind: 'json',
      value: {
        results: [
          { input_ids: [101, 97, 98, 102], attention_mask: [1, 1, 1, 1], token_type_ids: [0, 0, 0, 0] },
          { input_ids: [101, 99, 102], attention_mask: [1, 1, 1], token_type_ids: [0, 0, 0] },
        ],
      },
    });
    // 1 keeps the single-text form.
    const one = await buildWorkload('predict', texts, standInOracle, 1e-4, 1);
    expect(JSON.parse(one.requests[0]!.body!)).toEqual({ text: 'ab' });
  });

  it('is a positive integer up to 64 in the settings', () => {
    expect(resolveSettings({ textsPerRequest: '8' }).textsPerRequest).toBe(8);
    expect(resolveSettings({}).textsPerRequest).toBeUndefined();
    expect(() => resolveSettings({ textsPerRequest: '0' })).toThrow(/--texts-per-request 0/);
    expect(() => resolveSettings({ textsPerRequest: '65' })).toThrow(/at most 64/);
  });
});
