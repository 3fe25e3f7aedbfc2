import { describe, expect, it } from 'vitest';
import { burstOffsets, parseBurst, parseTrace, recoveryS } from './shapes.js';

describe('burst', () => {
  it('parses base:peak:before:peak:after and rejects anything else', () => {
    expect(parseBurst('100:400:5:3:10')).toEqual({ baseRate: 100, peakRate: 400, beforeS: 5, peakS: 3, afterS: 10 });
    expect(() => parseBurst('100:400:5')).toThrow(/expected <base req\/s>/);
    expect(() => parseBurst('100:-4:5:3:10')).toThrow(/expected/);
  });

  it('has about each phase rate x its length, ascending, and is deterministic for a seed', () => {
    const b = { baseRate: 200, peakRate: 1000, beforeS: 5, peakS: 5, afterS: 5 };
    const t = burstOffsets(b, 7);
    const count = (from: number, to: number) => t.filter((x) => x >= from * 1000 && x < to * 1000).length;
    // Poisson counts: mean 1000 (sd ~32) and 5000 (sd ~71); 5 sd bounds.
    expect(count(0, 5)).toBeGreaterThan(840);
    expect(count(0, 5)).toBeLessThan(1160);
    expect(count(5, 10)).toBeGreaterThan(4640);
    expect(count(5, 10)).toBeLessThan(5360);
    expect(t.every((x, k) => k === 0 || x >= t[k - 1]!)).toBe(true);
    expect(Math.max(...t)).toBeLessThan(15_000);
    expect(burstOffsets(b, 7)).toEqual(t);
  });
});

describe('trace', () => {
  it('shifts to 0, converts seconds to ms, applies speed, skips comments', () => {
    expect(parseTrace('# access log\n1700000000.5\n1700000001.0 GET /\n\n1700000003.5\n')).toEqual([0, 500, 3000]);
    expect(parseTrace('0\n10\n20', { unit: 'ms', speed: 2 })).toEqual([0, 5, 10]);
  });

  it('rejects unsorted, non-numeric and too-short traces', () => {
    expect(() => parseTrace('1\n3\n2')).toThrow(/arrival 3 \(2\) is before arrival 2 \(3\)/);
    expect(() => parseTrace('1\nabc')).toThrow(/line 2/);
    expect(() => parseTrace('1')).toThrow(/at least two/);
  });
});

describe('recoveryS', () => {
  it('is the time after the peak until p99 holds under the limit', () => {
    // 1 s windows; the peak ends at 4 s; windows 4-5 still high, 6 and 7 low.
    const p99 = [10, 10, 50, 90, 80, 40, 12, 11, 10];
    expect(recoveryS(p99, 1, 4, 20)).toBe(2);
    expect(recoveryS(p99, 1, 4, 100)).toBe(0);
    expect(recoveryS([10, 90, 90, 15, 90], 1, 1, 20)).toBeNull();
  });
});
