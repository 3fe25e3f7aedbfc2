import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../load/types.js';
import { PROFILES } from '../profiles.js';
import type { CalibrationResult } from '../results.js';
import { encodeHistogram, newHistogram } from '../stats/histogram.js';
import { driftOf } from './calibration.js';
import { mergeCell, roundOf } from './cell.js';

const s = { ...PROFILES.smoke!, rounds: 3, extraRounds: 0, roundTolerance: 0.1 };

/** A load result whose histogram holds `n` requests of `us` µs each. */
function load(rps: number, us: number, n = 100, errors: Record<string, number> = {}): LoadResult {
  const h = newHistogram();
  for (let i = 0; i < n; i++) h.recordValue(us);
  const lat = { count: n, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  return {
    mode: 'closed',
    concurrency: 1,
    durationS: 1,
    successes: n,
    errors,
    rps,
    latencyMs: lat,
    cdf: [],
    windows: [],
    serverTiming: {},
    clientElu: 0.2,
    threads: 1,
    histogram: encodeHistogram(h),
  };
}

describe('mergeCell', () => {
  it('publishes the median round, the min-max, and percentiles of the merged histogram', () => {
    // 90 fast requests in two rounds, 10 slow in one: p95 must come from the slow round.
    const rounds = [
      roundOf(s, 0, 't0', load(1000, 1000, 45)),
      roundOf(s, 1, 't1', load(1050, 1000, 45, { timeout: 2 })),
      roundOf(s, 2, 't2', load(980, 20_000, 10)),
    ];
    const c = mergeCell(s, 'predict', 8, rounds);
    expect(c.status).toBe('ok');
    expect(c.load.rps).toBe(1000);
    expect(c.stability).toMatchObject({ rounds: 3, min: 980, max: 1050, median: 1000 });
    expect(c.load.latencyMs.p50).toBeCloseTo(1, 1);
    expect(c.load.latencyMs.p95).toBeCloseTo(20, 0);
    expect(c.load.successes).toBe(100);
    expect(c.load.errors).toEqual({ timeout: 2 });
    expect(c.startedAt).toBe('t0');
    expect(c.rounds).toHaveLength(3);
  });

  it('leaves failed rounds out of the median and fails a cell with no usable round', () => {
    const ok = roundOf(s, 0, 't0', load(1000, 1000));
    const died = roundOf(s, 1, 't1', load(10, 1000), { failed: 'the server exited during the cell (SIGKILL)' });
    expect(mergeCell(s, 'predict', 1, [ok, died]).load.rps).toBe(1000);
    const none = roundOf(s, 0, 't0', { ...load(0, 1000, 0), successes: 0 });
    const c = mergeCell(s, 'predict', 1, [none]);
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/round 0: no verified successes/);
  });

  it('flags disagreeing rounds unstable, naming each round', () => {
    const c = mergeCell(
      s,
      'hello_world',
      32,
      [1000, 700, 1300].map((r, i) => roundOf(s, i, `t${i}`, load(r, 500))),
    );
    expect(c.status).toBe('unstable');
    expect(c.reason).toContain('1000, 700, 1300 req/s');
  });
});

describe('driftOf', () => {
  it('lists each calibration cell by round with its spread over the run', () => {
    const cal: CalibrationResult = {
      id: 'bare-http',
      what: 'bare',
      status: 'ok',
      cells: [
        mergeCell(
          s,
          'hello_world',
          32,
          [10_000, 11_000, 9_000].map((r, i) => roundOf(s, i, 't', load(r, 500))),
        ),
      ],
    };
    expect(driftOf([cal])).toEqual([
      {
        id: 'bare-http',
        task: 'hello_world',
        concurrency: 32,
        rps: [10_000, 11_000, 9_000],
        median: 10_000,
        min: 9_000,
        max: 11_000,
        spread: 0.2,
      },
    ]);
  });
});
