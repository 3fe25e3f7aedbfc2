import { describe, expect, it } from 'vitest';
import { embeddingJson } from './embedding-json.js';

// The reference is the encoding /predict used before: JSON.stringify over Array.from of each row.
const reference = (vectors: Float32Array[], single: boolean) => {
  const rows = vectors.map((v) => Array.from(v));
  return JSON.stringify(single ? { embedding: rows[0] } : { embeddings: rows });
};

function randomRow(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  const bits = new Uint32Array(v.buffer);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    bits[i] = s; // arbitrary float32 bit patterns: subnormals, huge exponents, NaN and Infinity among them
  }
  return v;
}

describe('embeddingJson', () => {
  it('is byte-identical to JSON.stringify(Array.from(row)) on special values', () => {
    const v = new Float32Array([
      0,
      -0,
      1,
      -1,
      0.1,
      1e-45,
      -1e-45,
      3.4028234663852886e38,
      NaN,
      Infinity,
      -Infinity,
      1e21,
      1e-7,
      123456789,
    ]);
    expect(embeddingJson([v], true)).toBe(reference([v], true));
    expect(embeddingJson([v, v.subarray(2, 5)], false)).toBe(reference([v, v.subarray(2, 5)], false));
  });

  it('is byte-identical on 200 000 arbitrary float32 bit patterns and typical embedding values', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const v = randomRow(1000, seed);
      expect(embeddingJson([v], true)).toBe(reference([v], true));
    }
    const typical = Float32Array.from({ length: 384 }, (_, i) => Math.sin(i * 0.37) * 0.2);
    expect(embeddingJson([typical], true)).toBe(reference([typical], true));
  });

  it('writes lists of rows, including empty rows and a single-row list', () => {
    const a = randomRow(8, 7);
    const b = new Float32Array(0);
    expect(embeddingJson([a], false)).toBe(reference([a], false));
    expect(embeddingJson([a, b, a], false)).toBe(reference([a, b, a], false));
    expect(embeddingJson([b], true)).toBe('{"embedding":[]}');
  });

  it('reads rows that are views into a larger buffer without touching neighbours', () => {
    const all = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect(embeddingJson([all.subarray(0, 3), all.subarray(3)], false)).toBe('{"embeddings":[[1,2,3],[4,5,6]]}');
  });
});
