import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../load/types.js';
import { summarizeSeries, type ResourceSeries } from '../resources/sampler.js';
import { CAPACITY_DEFAULTS } from './defaults.js';
import { runCapacityPhase, type CapacityPhase, type ProbeSpec } from './phase.js';

/**
 * Stand-in for a stack behind the load engine (no server, no clock): an M/M/1 queue serving `mu`
 * req/s whose p99 at rate r is ln(100) / (mu - r) s; every scheduled request succeeds.
 */
function simulatedLoadStandIn(mu: number, calls: ProbeSpec[]) {
  return async (_task: string, spec: ProbeSpec): Promise<LoadResult> => {
    calls.push(spec);
    const durationS = spec.durationMs / 1000;
    const rate = spec.mode === 'closed' ? mu * 0.9 : spec.rate!;
    const p99 = rate >= mu ? 10_000 : (Math.log(100) / (mu - rate)) * 1000;
    const n = Math.round(rate * durationS);
    return {
      mode: spec.mode,
      concurrency: spec.concurrency,
      durationS,
      successes: n,
      errors: {},
      rps: n / durationS,
      latencyMs: {
        count: n,
        min: 1,
        mean: p99 / 4,
        p50: p99 / 5,
        p90: p99 / 2,
        p95: p99 / 1.5,
        p99,
        p999: p99,
        max: p99,
      },
      cdf: [],
      windows: [{ startS: 0, successes: n, rps: n / durationS, p50: p99 / 5, p99 }],
      serverTiming: { infer: { count: n, mean: 2, p50: 2, p99: 3 } },
      open: { scheduled: n, sent: n, late: 0, dropped: 0 },
      clientElu: 0.1,
      threads: 1,
    } as LoadResult;
  };
}

const series = (cpuPct: number): ResourceSeries => summarizeSeries([{ tS: 0.5, cpuPct, rssMb: 100, procs: 1 }]);

function phase(over: Partial<CapacityPhase>, calls: ProbeSpec[], mu = 500): CapacityPhase {
  return {
    model: 'mini',
    settings: { ...CAPACITY_DEFAULTS.quick, maxProbes: 10 },
    timeoutMs: 10_000,
    load: simulatedLoadStandIn(mu, calls),
    sample: () => ({ startEpochMs: 0, stop: () => series(80) }),
    measuredRps: () => [300, 420],
    exited: () => false,
    note: () => undefined,
    ...over,
  };
}

describe('runCapacityPhase', () => {
  it('starts at 0.75x the best matrix req/s, steps by 1.2, probes Poisson open loop, and converges on the simulated capacity', async () => {
    const calls: ProbeSpec[] = [];
    const [r] = await runCapacityPhase(phase({}, calls));
    const truth = 500 - Math.log(100) / 0.05; // ~407.9 req/s at p99 <= 50 ms
    expect(calls[0]).toMatchObject({ mode: 'open', arrivals: 'poisson', rate: 315, concurrency: 64 });
    expect(calls.every((c) => c.mode === 'open' && c.timeoutMs === 1000 && c.warmupMs === 300)).toBe(true);
    // At least 1.5 s and 150 arrivals, at most 2 s.
    expect(calls.every((c) => c.durationMs >= 1500 && c.durationMs <= 2000)).toBe(true);
    // Round 1: 315 and 378 pass, 454 fails: a 17% bracket, inside quick's 20%. Rounds 2 and 3 confirm from the
    // crossing so far (400, then the median 403): a pass there and a fail 10% above it.
    expect(calls.map((c) => c.rate)).toEqual([315, 378, 454, 400, 440, 403, 443]);
    expect(r!.sloP99Ms).toBe(50);
    expect(r!.stop).toBe('converged');
    expect(r!.bracket).toEqual({ lo: 378, hi: 454 });
    expect(r!.rounds!.map((x) => x.probes)).toEqual([3, 2, 2]);
    // The log-p99 interpolation lands within 0.5% of the truth, where the 17% bracket alone said 378.
    expect(r!.capacityRps!).toBeLessThanOrEqual(truth);
    expect(r!.capacityRps!).toBeGreaterThan(truth * 0.995);
    expect(r!.range!.min).toBeLessThanOrEqual(r!.capacityRps!);
    expect(r!.range!.max).toBeGreaterThanOrEqual(r!.capacityRps!);
    expect(r!.probes.map((x) => x.round)).toEqual([0, 0, 0, 1, 1, 2, 2]);
    expect(r!.atCapacity?.rate).toBe(403);
    expect(r!.atCapacity?.serverTiming.infer?.mean).toBe(2);
    // 80% of a core over the probe, per 1,000 successes.
    const a = r!.atCapacity!;
    expect(a.cpuSecondsPer1k).toBeCloseTo((0.8 * a.durationS * 1000) / a.successes, 9);
  });

  it('records the speed read around every probe, and the mean per round', async () => {
    let reading = 100;
    const p = phase(
      {
        around: async <T>(measure: () => Promise<T>) => ({ value: await measure(), speed: (reading += 10) }),
      },
      [],
    );
    const [r] = await runCapacityPhase(p);
    expect(r!.probes.map((x) => x.speed)).toEqual([110, 120, 130, 140, 150, 160, 170]);
    expect(r!.rounds!.map((x) => x.speed)).toEqual([120, 145, 165]);
  });

  it('measures one second at c=1 for the first rate when the matrix has nothing, and honours --slo', async () => {
    const calls: ProbeSpec[] = [];
    const p = phase({ measuredRps: () => [], settings: { ...CAPACITY_DEFAULTS.quick, slo: { predict: 20 } } }, calls);
    const [r] = await runCapacityPhase(p);
    expect(calls[0]).toMatchObject({ mode: 'closed', concurrency: 1, durationMs: 1000 });
    expect(calls[1]).toMatchObject({ mode: 'open', rate: 450 });
    expect(r!.sloP99Ms).toBe(20);
    expect(r!.capacityRps!).toBeLessThanOrEqual(500 - Math.log(100) / 0.02);
  });

  it('steps down by 1.5x when the first probe fails, so a capacity far under saturation is still bracketed', async () => {
    const calls: ProbeSpec[] = [];
    // Serves 218 req/s: p99 <= 50 ms up to about 126 req/s, under a third of the matrix's 420.
    const [r] = await runCapacityPhase(phase({}, calls, 218));
    expect(calls.slice(0, 4).map((c) => c.rate)).toEqual([315, 210, 140, 93.3]);
    expect(r!.stop).toBe('converged');
    expect(r!.capacityRps!).toBeLessThanOrEqual(218 - Math.log(100) / 0.05);
    expect(r!.capacityRps!).toBeGreaterThan(100);
  });

  it('never offers more than 1.5x the matrix saturation rate: a pass there stops the search as max-rate', async () => {
    const calls: ProbeSpec[] = [];
    // The simulated server serves 5,000 req/s, but the matrix saw at most 420: the search stops at 630.
    const [r] = await runCapacityPhase(phase({}, calls, 5000));
    expect(Math.max(...calls.map((c) => c.rate!))).toBe(630);
    expect(r!.stop).toBe('max-rate');
    expect(r!.capacityRps).toBe(630);
  });

  it('stops a stack whose server exits, keeping the probes it had', async () => {
    const calls: ProbeSpec[] = [];
    let probes = 0;
    const p = phase({ exited: () => probes >= 2, note: (l) => void (l.includes('@') && probes++) }, calls);
    const [r] = await runCapacityPhase(p);
    expect(r!.stop).toBe('stack-failed');
    expect(r!.note).toBe('the server exited');
    expect(r!.probes).toHaveLength(2);
    expect(r!.capacityRps).toBeNull();
  });
});
