import { describe, expect, it } from 'vitest';
import { diffHistogram, type Buckets } from './scrape.js';

const b = (o: Record<string, number>): Buckets => new Map(Object.entries(o));

describe('diffHistogram', () => {
  it('turns two cumulative scrapes into per-bucket batch counts and a mean size', () => {
    const before = b({ '1': 10, '2': 10, '4': 12, '+Inf': 12, sum: 16 });
    const after = b({ '1': 10, '2': 13, '4': 20, '+Inf': 21, sum: 16 + 3 * 2 + 5 * 4 + 1 * 9 });
    expect(diffHistogram(before, after)).toEqual({
      buckets: [
        { le: '2', batches: 3 },
        { le: '4', batches: 5 },
        { le: '+Inf', batches: 1 },
      ],
      batches: 9,
      meanSize: 35 / 9,
    });
  });
  it('is undefined for a server without the histogram', () => {
    expect(diffHistogram(undefined, undefined)).toBeUndefined();
  });
});
