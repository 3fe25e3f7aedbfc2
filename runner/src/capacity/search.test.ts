import { describe, expect, it } from 'vitest';
import { converged, roundRate, searchCapacity, type SearchBounds } from './search.js';

/**
 * Stand-in for a stack (no server): an M/M/1 queue with a 2 ms mean service time, whose p99
 * response time at arrival rate r is ln(100) / (mu - r). Its true capacity at a p99 SLO is
 * mu - ln(100) / SLO.
 */
function simulatedStackStandIn(mu: number) {
  const p99At = (rate: number) => (rate >= mu ? Number.POSITIVE_INFINITY : (Math.log(100) / (mu - rate)) * 1000);
  const trueCapacity = (sloMs: number) => mu - Math.log(100) / (sloMs / 1000);
  return { p99At, trueCapacity };
}

const bounds = (over: Partial<SearchBounds> = {}): SearchBounds => ({
  startRate: 100,
  minRate: 1,
  maxRate: 100_000,
  growth: 2,
  tolerance: 0.05,
  maxProbes: 20,
  ...over,
});

function searchSimulated(mu: number, sloMs: number, over: Partial<SearchBounds> = {}) {
  const stack = simulatedStackStandIn(mu);
  const probed: number[] = [];
  const run = searchCapacity(async (rate) => {
    probed.push(rate);
    return { pass: stack.p99At(rate) <= sloMs };
  }, bounds(over));
  return { run, probed, truth: stack.trueCapacity(sloMs) };
}

describe('searchCapacity', () => {
  it('brackets upward from a low estimate, bisects, and lands within tolerance below the true capacity', async () => {
    const { run, probed, truth } = searchSimulated(500, 50);
    const r = await run;
    expect(truth).toBeCloseTo(407.9, 0);
    expect(r.stop).toBe('converged');
    expect(r.capacity).not.toBeNull();
    expect(r.capacity!).toBeLessThanOrEqual(truth);
    expect(r.hi!).toBeGreaterThan(truth);
    expect(converged(r.lo!, r.hi!, 0.05)).toBe(true);
    // 100, 200, 400 pass; 800 fails; then bisection.
    expect(probed.slice(0, 4)).toEqual([100, 200, 400, 800]);
    expect(r.trace.map((t) => t.phase).slice(0, 4)).toEqual(['bracket', 'bracket', 'bracket', 'bracket']);
    expect(r.trace.slice(4).every((t) => t.phase === 'bisect')).toBe(true);
  });

  it('brackets downward from a high estimate', async () => {
    const { run, probed, truth } = searchSimulated(500, 50, { startRate: 3000 });
    const r = await run;
    expect(probed.slice(0, 4)).toEqual([3000, 1500, 750, 375]);
    expect(r.capacity!).toBeLessThanOrEqual(truth);
    expect((truth - r.capacity!) / truth).toBeLessThanOrEqual(0.05);
  });

  it('stops early: a wider tolerance takes fewer probes', async () => {
    const narrow = await searchSimulated(500, 50, { tolerance: 0.02 }).run;
    const wide = await searchSimulated(500, 50, { tolerance: 0.2 }).run;
    expect(wide.trace.length).toBeLessThan(narrow.trace.length);
    expect(converged(wide.lo!, wide.hi!, 0.2)).toBe(true);
  });

  it('reports no capacity when even the minimum rate fails', async () => {
    const r = await searchCapacity(async () => ({ pass: false }), bounds({ startRate: 8, minRate: 1 }));
    expect(r.capacity).toBeNull();
    expect(r.stop).toBe('below-min-rate');
    expect(r.trace.map((t) => t.rate)).toEqual([8, 4, 2, 1]);
  });

  it('stops at the maximum rate when everything passes', async () => {
    const r = await searchCapacity(async () => ({ pass: true }), bounds({ startRate: 100, maxRate: 500 }));
    expect(r.stop).toBe('max-rate');
    expect(r.capacity).toBe(500);
    expect(r.hi).toBeNull();
  });

  it('honours the probe budget and keeps the bracket it had', async () => {
    const { run } = searchSimulated(500, 50, { maxProbes: 5, tolerance: 0.001 });
    const r = await run;
    expect(r.trace).toHaveLength(5);
    expect(r.stop).toBe('max-probes');
    expect(r.lo!).toBeLessThan(r.hi!);
  });

  it('rejects bounds that could not terminate', async () => {
    await expect(searchCapacity(async () => ({ pass: true }), bounds({ growth: 1 }))).rejects.toThrow(/growth/);
    await expect(searchCapacity(async () => ({ pass: true }), bounds({ tolerance: 0 }))).rejects.toThrow(/tolerance/);
  });

  it('rounds rates to three significant digits', () => {
    expect(roundRate(1234.5)).toBe(1230);
    expect(roundRate(0.012345)).toBe(0.0123);
  });
});
