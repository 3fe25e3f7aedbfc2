import { describe, expect, it } from 'vitest';
import { assessRounds, median, medianIndex, needsRound, spreadsOverlap } from './rounds.js';

describe('round statistics', () => {
  it('takes the median, not the mean', () => {
    expect(median([100, 10, 95])).toBe(95);
    expect(median([1, 2, 3, 10])).toBe(2.5);
    expect(median([])).toBe(0);
    expect(medianIndex([100, 10, 95])).toBe(2);
  });

  it('is stable when every round lies within ±10% of the median', () => {
    const v = assessRounds([100, 92, 108], 3, 0.1);
    expect(v).toMatchObject({ stable: true, within: 3, median: 100, min: 92, max: 108 });
    expect(v.spread).toBeCloseTo(0.16, 10);
  });

  it('flags one disturbed round among the base rounds', () => {
    expect(assessRounds([100, 100, 80], 3, 0.1)).toMatchObject({ stable: false, within: 2 });
  });

  it('lets extra rounds outvote one disturbed round, but keeps it in the spread', () => {
    const v = assessRounds([100, 100, 80, 101], 3, 0.1);
    expect(v).toMatchObject({ stable: true, within: 3, min: 80, max: 101 });
  });

  it('asks for base rounds always and for extra rounds only while unstable, up to the cap', () => {
    expect(needsRound([], 0, 3, 5, 0.1)).toBe(true);
    expect(needsRound([100], 0, 3, 5, 0.1)).toBe(false); // round 0 already measured
    expect(needsRound([100, 100, 100], 3, 3, 5, 0.1)).toBe(false);
    expect(needsRound([100, 100, 70], 3, 3, 5, 0.1)).toBe(true);
    expect(needsRound([100, 100, 70, 60, 50], 5, 3, 5, 0.1)).toBe(false);
  });

  it('treats zero throughput as unstable and detects overlapping spreads', () => {
    expect(assessRounds([0, 0, 0], 3, 0.1).stable).toBe(false);
    expect(spreadsOverlap({ min: 1, max: 2 }, { min: 2, max: 3 })).toBe(true);
    expect(spreadsOverlap({ min: 1, max: 2 }, { min: 2.1, max: 3 })).toBe(false);
  });
});
