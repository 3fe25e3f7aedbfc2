// The capacity phase on one launched, verified stack: for each task, search the highest Poisson
// rate that meets the SLO, each probe an ordinary open-loop cell on the runner's engine (every
// answer checked against the oracle), with the server's CPU and RSS sampled over the probe.
import type { Task } from '@servebench/contract';
import type { LoadResult, LoadSpec } from '../load/types.js';
import { cellCost } from '../resources/cost.js';
import { sliceSeries, type ResourceSeries } from '../resources/sampler.js';
import { judgeProbe, probeDurationS } from './judge.js';
import { searchCapacity } from './search.js';
import { sloFor } from './slo.js';
import type { CapacityResult, CapacitySettings, ProbeRecord } from './types.js';

/** The load-spec fields the phase chooses; the caller adds host, port, workload and threads. */
export type ProbeSpec = Pick<
  LoadSpec,
  'mode' | 'concurrency' | 'rate' | 'arrivals' | 'seed' | 'warmupMs' | 'durationMs' | 'windowMs' | 'timeoutMs'
>;

export interface CapacityPhase {
  model: string;
  settings: CapacitySettings;
  /** Per-request timeout ceiling of the run; probes use min(this, max(1 s, 10 x SLO)). */
  timeoutMs: number;
  /** Runs one cell of `task` against the stack. */
  load(task: Task, spec: ProbeSpec): Promise<LoadResult>;
  /** Starts sampling the server's process tree. */
  sample(): { startEpochMs: number; stop(): ResourceSeries };
  /** Closed-loop req/s already measured for the task (any concurrency), for the first probe's rate. */
  measuredRps(task: Task): number[];
  /** Set when the stack died; the search stops. */
  exited(): boolean;
  note(line: string): void;
}

const WINDOW_MS = 500;
/**
 * With a closed-loop saturation rate from the matrix (its best req/s), the search starts at START_SHARE of it,
 * steps up by NEAR_GROWTH (capacity at a p99 SLO lies a little under saturation, so doubling from there only buys
 * one doomed, slow-draining probe), down by NEAR_SHRINK (a tight SLO can put capacity far under saturation:
 * tfjs-wasm's lay under half of it, out of reach of five 1.2x steps) and never offers more than MAX_SHARE of it:
 * an open loop cannot sustain more than the server's saturation rate, so a pass far above it is a measurement
 * error, not a capacity.
 */
const START_SHARE = 0.75;
const NEAR_GROWTH = 1.2;
const NEAR_SHRINK = 1.5;
const MAX_SHARE = 1.5;

interface Plan {
  startRate: number;
  growth: number;
  shrink: number;
  maxRate: number;
}

async function planSearch(p: CapacityPhase, task: Task, timeoutMs: number): Promise<Plan> {
  const s = p.settings;
  const seen = p.measuredRps(task).filter((x) => x > 0);
  if (seen.length) {
    const sat = Math.max(...seen);
    return {
      startRate: sat * START_SHARE,
      growth: Math.min(s.growth, NEAR_GROWTH),
      shrink: Math.min(s.growth, NEAR_SHRINK),
      maxRate: Math.max(s.minRate, Math.min(s.maxRate, sat * MAX_SHARE)),
    };
  }
  // No matrix cells: one second of closed loop at c=1 gives 1/latency, the rate of a server kept just busy.
  const c1 = await p.load(task, {
    mode: 'closed',
    concurrency: 1,
    warmupMs: 300,
    durationMs: 1000,
    windowMs: 1000,
    timeoutMs,
  });
  return { startRate: c1.rps > 0 ? c1.rps : s.minRate, growth: s.growth, shrink: s.growth, maxRate: s.maxRate };
}

async function probe(
  p: CapacityPhase,
  task: Task,
  rate: number,
  phase: ProbeRecord['phase'],
  slo: number,
  timeoutMs: number,
): Promise<ProbeRecord> {
  const s = p.settings;
  if (p.exited()) throw new StackExited();
  const sampler = p.sample();
  const load = await p.load(task, {
    mode: 'open',
    arrivals: 'poisson',
    rate,
    concurrency: s.connections,
    seed: Math.round(rate * 1000) + 1,
    warmupMs: s.warmupS * 1000,
    durationMs: probeDurationS(rate, s) * 1000,
    windowMs: WINDOW_MS,
    timeoutMs,
  });
  const series = sampler.stop();
  const rec = judgeProbe(rate, phase, load, { ...s, sloP99Ms: slo }, WINDOW_MS / 1000);
  const fromS = ((load.measureStartEpochMs ?? sampler.startEpochMs) - sampler.startEpochMs) / 1000;
  const sliced = sliceSeries(series, fromS, fromS + load.durationS);
  const measured = sliced.samples.length ? sliced : series;
  if (measured.samples.length) {
    rec.cpuPct = measured.meanCpuPct;
    rec.peakRssMb = series.peakRssMb;
    if (load.successes > 0)
      rec.cpuSecondsPer1k = ((measured.meanCpuPct / 100) * load.durationS * 1000) / load.successes;
  }
  if (p.exited()) {
    rec.pass = false;
    rec.reasons.push('the server exited during the probe');
  }
  p.note(
    `  ${task} @ ${rate} req/s (${phase}): ${rec.pass ? 'pass' : 'FAIL'} p99 ${rec.p99.toFixed(2)} ms, achieved ${rec.achievedRps.toFixed(0)}/${rec.realizedRps.toFixed(0)} req/s${rec.reasons.length ? ` — ${rec.reasons.join('; ')}` : ''}`,
  );
  return rec;
}

class StackExited extends Error {}

/** Searches every configured task on the stack; never throws for a failing stack (the result says so). */
export async function runCapacityPhase(p: CapacityPhase): Promise<CapacityResult[]> {
  const out: CapacityResult[] = [];
  for (const task of p.settings.tasks) {
    const t0 = performance.now();
    const slo = sloFor(p.model, task, p.settings.slo);
    const timeoutMs = Math.min(p.timeoutMs, Math.max(1000, 10 * slo));
    const s = p.settings;
    const seen: ProbeRecord[] = [];
    try {
      const plan = await planSearch(p, task, timeoutMs);
      p.note(
        `capacity ${task}: SLO p99 <= ${slo} ms, first probe at ${plan.startRate.toPrecision(3)} req/s (x${plan.growth} up, /${plan.shrink} down, at most ${plan.maxRate.toPrecision(3)})`,
      );
      const r = await searchCapacity(
        async (rate, phase) => {
          const rec = await probe(p, task, rate, phase, slo, timeoutMs);
          seen.push(rec);
          return rec;
        },
        { ...plan, minRate: s.minRate, tolerance: s.tolerance, maxProbes: s.maxProbes },
      );
      const probes = r.trace.map((t) => t.outcome);
      const atCapacity = r.capacity === null ? undefined : probes.find((x) => x.pass && x.rate === r.capacity);
      out.push({
        task,
        sloP99Ms: slo,
        capacityRps: r.capacity,
        bracket: { lo: r.lo, hi: r.hi },
        stop: r.stop,
        ...(atCapacity ? { atCapacity } : {}),
        probes,
        wallS: Math.round((performance.now() - t0) / 100) / 10,
      });
    } catch (e) {
      out.push({
        task,
        sloP99Ms: slo,
        capacityRps: null,
        bracket: { lo: null, hi: null },
        stop: 'stack-failed',
        probes: seen,
        wallS: Math.round((performance.now() - t0) / 100) / 10,
        note: e instanceof StackExited ? 'the server exited' : (e as Error).message,
      });
      if (e instanceof StackExited) break;
    }
  }
  return out;
}
