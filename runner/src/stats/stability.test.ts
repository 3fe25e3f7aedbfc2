import { describe, expect, it } from 'vitest';
import { assessStability, formatStabilityRule, formatStabilityVerdict } from './stability.js';

const w = (...rps: number[]) => rps.map((r) => ({ rps: r }));

describe('assessStability', () => {
  it('is stable when the last N windows are within ±tolerance of their mean', () => {
    const v = assessStability(w(10, 500, 1000, 1050, 980), { lastN: 3, tolerance: 0.1 });
    expect(v.stable).toBe(true);
    expect(v.spread).toBeCloseTo(70 / (3030 / 3), 10);
    expect(v).toMatchObject({ threshold: 0.1, lastN: 3 });
  });
  it('is unstable when one window deviates more than tolerance (warm-up still ramping)', () => {
    expect(assessStability(w(1000, 1000, 700), { lastN: 3, tolerance: 0.1 }).stable).toBe(false);
  });
  it('accepts a window exactly on the boundary', () => {
    // mean 100; 90 and 110 are exactly ±10%.
    expect(assessStability(w(90, 100, 110), { lastN: 3, tolerance: 0.1 }).stable).toBe(true);
  });
  it('needs at least N windows and non-zero throughput', () => {
    expect(assessStability(w(100, 100), { lastN: 3, tolerance: 0.1 })).toMatchObject({
      stable: false,
      spread: Infinity,
    });
    expect(assessStability(w(0, 0, 0), { lastN: 3, tolerance: 0.1 }).stable).toBe(false);
  });
  it('defaults to last 3 windows, ±10%', () => {
    expect(assessStability(w(100, 101, 99))).toMatchObject({ stable: true, lastN: 3, threshold: 0.1 });
  });
  it('formats the rule and a verdict', () => {
    expect(formatStabilityRule({ lastN: 3, tolerance: 0.1 })).toBe(
      "stable if each of the last 3 windows' rps is within ±10% of their mean",
    );
    expect(formatStabilityVerdict(assessStability(w(100, 100, 100)))).toBe(
      'stable (spread 0.0%, rule ±10% over last 3 windows)',
    );
    expect(formatStabilityVerdict(assessStability(w(1)))).toContain('UNSTABLE (spread n/a');
  });
});
