import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../load/types.js';
import { judgeProbe, percentileFromCdf, probeDurationS } from './judge.js';

function openLoad(over: Partial<LoadResult> = {}, p99 = 20): LoadResult {
  return {
    mode: 'open',
    concurrency: 64,
    rate: 100,
    durationS: 10,
    successes: 1000,
    errors: {},
    rps: 100,
    // No p95 field, as in results written before the engine reported it: judgeProbe interpolates the CDF.
    latencyMs: { count: 1000, min: 1, mean: 5, p50: 4, p90: 10, p99, p999: p99, max: p99 } as LoadResult['latencyMs'],
    cdf: [
      [50, 4],
      [90, 10],
      [99, p99],
    ],
    windows: [],
    serverTiming: { infer: { count: 1000, mean: 3, p50: 3, p99: 6 } },
    open: { scheduled: 1000, sent: 1000, late: 0, dropped: 0 },
    clientElu: 0.2,
    threads: 1,
    ...over,
  };
}

const criteria = { sloP99Ms: 50, maxErrorRate: 0.001, maxLateFraction: 0.05, maxAchievedGap: 0.02 };

describe('judgeProbe', () => {
  it('passes a probe that meets every criterion and keeps the per-layer split', () => {
    const r = judgeProbe(100, 'bracket', openLoad(), criteria, 0.5);
    expect(r.pass).toBe(true);
    expect(r.reasons).toEqual([]);
    expect(r.serverTiming.infer?.p99).toBe(6);
    expect(r.p95).toBeCloseTo(10 + (10 / 9) * 5, 5);
  });

  it('fails on p99 over the SLO', () => {
    const r = judgeProbe(100, 'bracket', openLoad({}, 51), criteria, 0.5);
    expect(r.pass).toBe(false);
    expect(r.reasons.join()).toMatch(/p99 51.00 ms > SLO 50 ms/);
  });

  it('fails on errors above 0.1% (2 of 1000 is over, 1 of 1000 is not)', () => {
    const one = judgeProbe(100, 'bracket', openLoad({ successes: 999, errors: { timeout: 1 } }), criteria, 0.5);
    const two = judgeProbe(100, 'bracket', openLoad({ successes: 998, errors: { dropped: 2 } }), criteria, 0.5);
    expect(one.reasons.join()).not.toMatch(/errors/);
    expect(two.pass).toBe(false);
    expect(two.reasons.join()).toMatch(/errors 0.20% > 0.10%/);
  });

  it('fails on late sends beyond the bound', () => {
    const r = judgeProbe(
      100,
      'bisect',
      openLoad({ open: { scheduled: 1000, sent: 1000, late: 60, dropped: 0 } }),
      criteria,
      0.5,
    );
    expect(r.reasons.join()).toMatch(/late sends 6.00%/);
  });

  it('fails when the achieved rate falls more than 2% under the scheduled rate', () => {
    const r = judgeProbe(100, 'bracket', openLoad({ rps: 97, successes: 970 }), criteria, 0.5);
    expect(r.pass).toBe(false);
    expect(r.reasons.join()).toMatch(/achieved 97.0 req\/s is 3.00% under the 100.0 req\/s scheduled/);
  });

  it('fails a probe with no successes', () => {
    const r = judgeProbe(100, 'bracket', openLoad({ successes: 0, rps: 0, errors: { reset: 5 } }), criteria, 0.5);
    expect(r.pass).toBe(false);
    expect(r.reasons).toContain('no verified successes');
  });
});

describe('percentileFromCdf and probeDurationS', () => {
  it('interpolates between stored CDF points', () => {
    const cdf: LoadResult['cdf'] = [
      [90, 10],
      [99, 19],
    ];
    expect(percentileFromCdf(cdf, 95)).toBeCloseTo(15, 9);
    expect(percentileFromCdf(cdf, 99.9)).toBe(19);
    expect(percentileFromCdf([], 95)).toBeNaN();
  });

  it('holds at least the minimum query count', () => {
    const s = { minDurationS: 1.5, minQueries: 300, maxDurationS: 4 };
    expect(probeDurationS(100, s)).toBe(3);
    expect(probeDurationS(1000, s)).toBe(1.5);
    expect(probeDurationS(10, s)).toBe(4);
  });
});
