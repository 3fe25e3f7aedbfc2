import { describe, expect, it } from 'vitest';
import { SENTENCE_SETS, sentences } from './fixtures.js';
import { SENTENCES_PER_SET, generateSentences, prng } from './sentence-gen.js';

const words = (s: string) => s.split(/\s+/).length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('sentence sets', () => {
  it.each(SENTENCE_SETS)('%s holds at least 512 distinct sentences', (set) => {
    const list = sentences(set);
    expect(list.length).toBeGreaterThanOrEqual(SENTENCES_PER_SET);
    expect(new Set(list).size).toBe(list.length);
  });

  it.each(SENTENCE_SETS)(
    '%s is exactly what the seeded generator makes (regenerate with scripts/gen-sentences.ts)',
    (set) => {
      expect(sentences(set)).toEqual(generateSentences(set));
    },
  );

  it('keeps the length classes apart', () => {
    const [s, m, l] = SENTENCE_SETS.map((set) => median(sentences(set).map(words)));
    expect(s).toBeLessThan(15);
    expect(m).toBeGreaterThan(25);
    expect(m).toBeLessThan(60);
    expect(l).toBeGreaterThan(90);
  });

  it('no set shares a sentence with another', () => {
    const all = SENTENCE_SETS.flatMap((set) => sentences(set));
    expect(new Set(all).size).toBe(all.length);
  });

  it('the generator depends on its seed', () => {
    expect(generateSentences('short', 16, 1)).not.toEqual(generateSentences('short', 16, 2));
    expect(generateSentences('short', 16, 1)).toEqual(generateSentences('short', 16, 1));
    const r = prng(7);
    expect(r()).not.toBe(r());
  });
});
