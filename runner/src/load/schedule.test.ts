import { describe, expect, it } from 'vitest';
import { scheduleOffsets } from './schedule.js';
import { isLoopbackHost } from './loopback.js';

describe('arrival schedules', () => {
  it('fixed: evenly spaced', () => {
    expect(scheduleOffsets(200, 'fixed', 1, 4)).toEqual([0, 5, 10, 15]);
  });
  it('poisson: deterministic for a seed, different across seeds, mean gap 1/rate', () => {
    const a = scheduleOffsets(100, 'poisson', 42, 5000);
    expect(scheduleOffsets(100, 'poisson', 42, 5000)).toEqual(a);
    expect(scheduleOffsets(100, 'poisson', 43, 5000)).not.toEqual(a);
    const meanGap = a.at(-1)! / (a.length - 1);
    expect(meanGap).toBeGreaterThan(9.5);
    expect(meanGap).toBeLessThan(10.5);
    // Exponential gaps: coefficient of variation ~1 (fixed would be 0).
    const gaps = a.slice(1).map((t, i) => t - a[i]!);
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - meanGap) ** 2, 0) / gaps.length);
    expect(sd / meanGap).toBeGreaterThan(0.9);
    expect(sd / meanGap).toBeLessThan(1.1);
  });
});

describe('isLoopbackHost', () => {
  it('accepts 127.0.0.0/8, ::1 and localhost only', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['10.0.0.1', '0.0.0.0', '128.0.0.1', 'example.com', '::', '::2', 'localhost.example.com', ''])
      expect(isLoopbackHost(h), h).toBe(false);
  });
});
