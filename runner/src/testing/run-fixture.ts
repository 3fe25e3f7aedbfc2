// Small results objects for the pure tests of verdicts, rendering and compare: cells with one round per value,
// each with its speed reading. Only the fields those modules read are meaningful.
import type { Task } from '@servebench/contract';
import type { CapacityResult, ProbeRecord } from '../capacity/types.js';
import type { CellResult, RoundResult, RunResults, StackResult } from '../results.js';
import { PROFILES } from '../profiles.js';
import { median } from '../stats/rounds.js';

const latency = (p99: number) => ({ count: 10, min: 1, mean: 2, p50: 2, p90: 3, p95: 3.5, p99, p999: p99, max: p99 });

const load = (concurrency: number, rps: number, p99: number) => ({
  mode: 'closed' as const,
  concurrency,
  durationS: 1,
  successes: rps,
  errors: {},
  rps,
  latencyMs: latency(p99),
  windows: [],
  serverTiming: {},
  clientElu: 0.5,
  threads: 1,
});

/** A cell measured in rounds: req/s by round, and optionally the speed reading of each round. */
export function roundsCell(task: Task, concurrency: number, rps: number[], speeds?: number[]): CellResult {
  const rounds: RoundResult[] = rps.map((x, i) => ({
    round: i,
    startedAt: '2026-01-01T00:00:00Z',
    load: load(concurrency, x, 10),
    windows: { stable: true } as RoundResult['windows'],
    clientBound: false,
    ...(speeds ? { speed: speeds[i]! } : {}),
  }));
  const m = median(rps);
  return {
    task,
    concurrency,
    status: 'ok',
    startedAt: '2026-01-01T00:00:00Z',
    clientBound: false,
    stability: {
      stable: true,
      rounds: rps.length,
      within: rps.length,
      required: rps.length,
      median: m,
      min: Math.min(...rps),
      max: Math.max(...rps),
      spread: (Math.max(...rps) - Math.min(...rps)) / m,
      threshold: 0.1,
    },
    rounds,
    load: { ...load(concurrency, m, 10), cdf: [] },
  };
}

/** One capacity probe at `rate`. */
export const fixtureProbe = (rate: number, pass: boolean, extra: Partial<ProbeRecord> = {}): ProbeRecord => ({
  rate,
  phase: 'bracket',
  pass,
  reasons: pass ? [] : ['p99 over'],
  durationS: 2,
  scheduled: rate * 2,
  successes: rate * 2,
  errors: 0,
  realizedRps: rate,
  achievedRps: rate,
  p50: 4,
  p95: 9,
  p99: 20,
  errorRate: 0,
  lateFraction: 0,
  serverTiming: {},
  windowsP99: [],
  windowS: 0.5,
  ...extra,
});

/** A capacity searched in rounds: each round's crossing and its speed reading. */
export function roundsCapacity(rps: number[], speeds?: number[]): CapacityResult {
  return {
    task: 'predict',
    sloP99Ms: 100,
    capacityRps: median(rps),
    bracket: { lo: rps[0]!, hi: rps[0]! * 1.1 },
    rounds: rps.map((x, i) => ({
      round: i,
      rps: x,
      lo: x,
      hi: x * 1.1,
      stop: 'converged',
      ...(speeds ? { speed: speeds[i]! } : {}),
      probes: 1,
    })),
    stop: 'converged',
    probes: rps.map((x, i) => fixtureProbe(x, true, { round: i, ...(speeds ? { speed: speeds[i]! } : {}) })),
    wallS: 1,
  };
}

export const fixtureStack = (id: string, cells: CellResult[], extra: Partial<StackResult> = {}): StackResult => ({
  id,
  server: id.split('+')[0]!,
  backend: 'ort',
  protocol: 'http',
  launcher: 'process',
  status: 'ok',
  cells,
  ...extra,
});

export function fixtureRun(id: string, stacks: StackResult[], extra: Partial<RunResults> = {}): RunResults {
  return {
    schema: 2,
    runId: id,
    status: 'complete',
    startedAt: '',
    wallS: 12,
    settings: PROFILES.quick!,
    environment: {
      cpu: 'Test CPU',
      cores: 2,
      memoryGiB: 24,
      os: 'Debian',
      kernel: '6',
      node: 'v20',
      packages: { fastify: '5.0.0' },
      git: { commit: 'a'.repeat(40), dirty: false },
      hostname: 'h',
    },
    model: { name: 'tiny', seed: 0, sha256: 'x', hiddenSize: 128, layers: 2 },
    stacks,
    calibration: [],
    drift: [],
    roundsRun: 3,
    ...extra,
  };
}
