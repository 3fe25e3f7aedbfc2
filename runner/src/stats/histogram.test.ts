import { describe, expect, it } from 'vitest';
import { cdf, cdfPercentiles, encodeHistogram, mergeEncoded, newHistogram, summarize } from './histogram.js';

describe('histogram helpers', () => {
  it('merged percentiles equal those of one histogram over all values (not averaged)', () => {
    const a = newHistogram();
    const b = newHistogram();
    const all = newHistogram();
    for (let i = 1; i <= 1000; i++) {
      a.recordValue(i); // fast thread
      all.recordValue(i);
    }
    for (let i = 0; i < 100; i++) {
      b.recordValue(50_000 + i * 10); // slow thread
      all.recordValue(50_000 + i * 10);
    }
    const merged = mergeEncoded([encodeHistogram(a), encodeHistogram(b)]);
    expect(summarize(merged)).toEqual(summarize(all));
    expect(merged.totalCount).toBe(1100);
    expect(summarize(merged).p99).toBeGreaterThan(50);
  });

  it('summarizes in ms from µs and handles empty histograms', () => {
    const h = newHistogram();
    h.recordValue(1500);
    h.recordValue(2500);
    const s = summarize(h);
    expect(s.count).toBe(2);
    expect(s.min).toBeCloseTo(1.5, 2);
    expect(s.max).toBeCloseTo(2.5, 2);
    expect(summarize(newHistogram()).count).toBe(0);
    expect(cdf(newHistogram())).toEqual([]);
  });

  it('cdf has 50-100 increasing points ending at 100', () => {
    const ps = cdfPercentiles();
    expect(ps.length).toBeGreaterThanOrEqual(50);
    expect(ps.length).toBeLessThanOrEqual(100);
    expect(ps[0]).toBe(0);
    expect(ps.at(-1)).toBe(100);
    for (let i = 1; i < ps.length; i++) expect(ps[i]!).toBeGreaterThan(ps[i - 1]!);
    const h = newHistogram();
    for (let i = 1; i <= 10_000; i++) h.recordValue(i);
    const points = cdf(h);
    for (let i = 1; i < points.length; i++) expect(points[i]![1]).toBeGreaterThanOrEqual(points[i - 1]![1]);
  });
});
