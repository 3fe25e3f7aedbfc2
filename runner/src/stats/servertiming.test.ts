import { describe, expect, it } from 'vitest';
import { parseServerTiming } from './servertiming.js';

describe('parseServerTiming', () => {
  it('parses name;dur entries', () => {
    expect(parseServerTiming('queue;dur=0.012, tokenize;dur=0.05, infer;dur=0.61, batch;dur=4')).toEqual([
      { name: 'queue', dur: 0.012 },
      { name: 'tokenize', dur: 0.05 },
      { name: 'infer', dur: 0.61 },
      { name: 'batch', dur: 4 },
    ]);
  });
  it('tolerates desc, quotes, case and spacing; skips entries without dur', () => {
    expect(parseServerTiming('cache;desc="hit", db ; DUR = "2.5" ;desc=x,miss,bad;dur=abc')).toEqual([
      { name: 'db', dur: 2.5 },
    ]);
    expect(parseServerTiming('')).toEqual([]);
  });
});
