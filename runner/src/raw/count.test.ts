import { describe, expect, it } from 'vitest';
import { CompletionCounter, aboveCeiling, rangeOf } from './count.js';

describe('CompletionCounter', () => {
  it('counts calls by completion inside [start, end), into their window, whatever their start', () => {
    const c = new CompletionCounter(1000, 3000, 1000);
    c.record(900, 1000); // started in warm-up, completed at the start: counts (as the engine does)
    c.record(1200, 1500);
    c.record(1800, 2100);
    c.record(2500, 2999);
    c.record(2900, 3000); // completed at the end: outside
    c.record(100, 999); // warm-up
    const r = c.result();
    expect(r.completed).toBe(4);
    expect(r.windows).toEqual([2, 2]);
    expect(r.rps).toBe(2);
    expect(r.durationS).toBe(2);
    expect(r.meanCallMs).toBeCloseTo((100 + 300 + 300 + 499) / 4);
  });

  it('counts a batch call as its batch size and rates a partial last window by its own length', () => {
    const c = new CompletionCounter(0, 2500, 1000, 4);
    c.record(2000, 2400);
    const r = c.result();
    expect(r.completed).toBe(4);
    expect(r.windows).toEqual([0, 0, 8]);
    expect(r.rps).toBeCloseTo(1.6);
  });
});

describe('aboveCeiling', () => {
  it('flags a stack faster than the ceiling by more than its spread, not within it', () => {
    const ceiling = rangeOf([1000, 900, 1100]); // spread 20%
    expect(ceiling).toEqual({ median: 1000, min: 900, max: 1100 });
    expect(aboveCeiling(1150, ceiling)).toBe(false);
    expect(aboveCeiling(1201, ceiling)).toBe(true);
    expect(aboveCeiling(1001, rangeOf([1000]))).toBe(true);
    expect(aboveCeiling(5000, rangeOf([]))).toBe(false);
  });
});
