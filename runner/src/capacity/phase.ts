// The capacity search of one stack and task, in rounds: each probe an ordinary Poisson open-loop cell on the
// runner's engine (every answer checked against the oracle), with the server's CPU and RSS sampled and the
// machine's speed read beside it. A CapacitySearch takes one probe per step, so the stage can interleave the
// searches of every stack (interleave.ts); runCapacityPhase runs one stack's searches on their own.
import type { Task } from '@servebench/contract';
import type { LoadResult, LoadSpec } from '../load/types.js';
import { sliceSeries, type ResourceSeries } from '../resources/sampler.js';
import { median } from '../stats/rounds.js';
import { crossingOf, nearestPassing } from './crossing.js';
import { runInterleaved } from './interleave.js';
import { judgeProbe, probeDurationS } from './judge.js';
import { searchSteps, type SearchBounds } from './search.js';
import { sloFor } from './slo.js';
import type { CapacityResult, CapacityRound, CapacitySettings, ProbeRecord } from './types.js';

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
  /** Runs a probe between two readings of the machine's speed (speed/speedometer.ts); absent: no readings. */
  around?<T>(measure: () => Promise<T>): Promise<{ value: T; speed?: number }>;
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
/**
 * A confirming round starts at the median crossing so far and steps up by CONFIRM_GROWTH or down by CONFIRM_SHRINK
 * (wider: on this VM a slow minute moved capacity down by a third, and a round whose probes all fail finds
 * nothing), so a pass and a fail one step apart close its bracket, usually in two probes; the log-p99
 * interpolation places the crossing inside it.
 */
export const CONFIRM_GROWTH = 1.1;
const CONFIRM_SHRINK = 1.25;
const CONFIRM_PROBES = 3;

type Plan = Pick<SearchBounds, 'startRate' | 'growth' | 'shrink' | 'maxRate'>;

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

/** The probe's own measurement: the open-loop cell, with the server sampled over it. */
async function sampledLoad(p: CapacityPhase, task: Task, rate: number, timeoutMs: number) {
  const s = p.settings;
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
  return { load, sampler, series: sampler.stop() };
}

async function probe(
  p: CapacityPhase,
  task: Task,
  step: { rate: number; phase: ProbeRecord['phase']; round: number },
  slo: number,
  timeoutMs: number,
): Promise<ProbeRecord> {
  if (p.exited()) throw new StackExited();
  const measure = () => sampledLoad(p, task, step.rate, timeoutMs);
  const { value, speed } = p.around ? await p.around(measure) : { value: await measure(), speed: undefined };
  const { load, sampler, series } = value;
  const rec = judgeProbe(step.rate, step.phase, load, { ...p.settings, sloP99Ms: slo }, WINDOW_MS / 1000);
  rec.round = step.round;
  if (speed !== undefined) rec.speed = speed;
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
    `  ${task} @ ${step.rate} req/s (round ${step.round + 1}, ${step.phase}): ${rec.pass ? 'pass' : 'FAIL'} p99 ${rec.p99.toFixed(2)} ms, achieved ${rec.achievedRps.toFixed(0)}/${rec.realizedRps.toFixed(0)} req/s${rec.reasons.length ? ` — ${rec.reasons.join('; ')}` : ''}`,
  );
  return rec;
}

class StackExited extends Error {}

type Step = { rate: number; phase: ProbeRecord['phase'] };

/** One stack and task searched over rounds, one probe per step(). Never throws: a failing stack ends its search. */
export class CapacitySearch {
  readonly probes: ProbeRecord[] = [];
  readonly rounds: CapacityRound[] = [];
  readonly slo: number;
  private readonly timeoutMs: number;
  private readonly t0 = performance.now();
  private plan: Plan | undefined;
  private steps:
    Generator<Step, { lo: number | null; hi: number | null; stop: CapacityRound['stop'] }, boolean> | undefined;
  private next: Step | undefined;
  private round = 0;
  private firstProbe = 0;
  private failure: string | undefined;

  constructor(
    private readonly p: CapacityPhase,
    readonly task: Task,
  ) {
    this.slo = sloFor(p.model, task, p.settings.slo);
    this.timeoutMs = Math.min(p.timeoutMs, Math.max(1000, 10 * this.slo));
  }

  /** Still has a probe to take in this round. */
  pending(): boolean {
    return this.failure === undefined && this.next !== undefined;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** The first round plans from the matrix; later rounds confirm around the median of the crossings so far. */
  async startRound(round: number): Promise<void> {
    if (this.failure !== undefined) return;
    try {
      this.plan ??= await planSearch(this.p, this.task, this.timeoutMs);
      const found = this.rounds.flatMap((r) => (r.rps === null ? [] : [r.rps]));
      const s = this.p.settings;
      const bounds: SearchBounds = found.length
        ? {
            startRate: median(found),
            growth: CONFIRM_GROWTH,
            shrink: CONFIRM_SHRINK,
            maxRate: this.plan.maxRate,
            minRate: s.minRate,
            tolerance: Math.max(s.tolerance, 1 - 1 / CONFIRM_SHRINK),
            maxProbes: CONFIRM_PROBES,
          }
        : { ...this.plan, minRate: s.minRate, tolerance: s.tolerance, maxProbes: s.maxProbes };
      if (round === 0)
        this.p.note(
          `capacity ${this.task}: SLO p99 <= ${this.slo} ms, first probe at ${bounds.startRate.toPrecision(3)} req/s (x${bounds.growth} up, /${bounds.shrink} down, at most ${bounds.maxRate.toPrecision(3)})`,
        );
      this.round = round;
      this.firstProbe = this.probes.length;
      this.steps = searchSteps(bounds);
      this.advance(this.steps.next());
    } catch (e) {
      this.fail(e);
    }
  }

  /** Takes this round's next probe. */
  async step(): Promise<void> {
    const next = this.next;
    if (!next || this.failure !== undefined) return;
    try {
      const rec = await probe(this.p, this.task, { ...next, round: this.round }, this.slo, this.timeoutMs);
      this.probes.push(rec);
      this.advance(this.steps!.next(rec.pass));
    } catch (e) {
      this.fail(e);
    }
  }

  private advance(r: IteratorResult<Step, { lo: number | null; hi: number | null; stop: CapacityRound['stop'] }>) {
    if (!r.done) {
      this.next = r.value;
      return;
    }
    this.next = undefined;
    const mine = this.probes.slice(this.firstProbe);
    const speeds = mine.flatMap((x) => (x.speed === undefined ? [] : [x.speed]));
    this.rounds.push({
      round: this.round,
      rps: crossingOf(mine, this.slo),
      lo: r.value.lo,
      hi: r.value.hi,
      stop: r.value.stop,
      ...(speeds.length ? { speed: speeds.reduce((a, b) => a + b, 0) / speeds.length } : {}),
      probes: mine.length,
    });
  }

  private fail(e: unknown): void {
    this.abandon(e instanceof StackExited ? 'the server exited' : (e as Error).message);
  }

  abandon(reason: string): void {
    this.next = undefined;
    this.failure ??= reason;
  }

  /** Everything so far as the results file keeps it. */
  result(): CapacityResult {
    const found = this.rounds.flatMap((r) => (r.rps === null ? [] : [r.rps]));
    const capacity = found.length ? median(found) : null;
    const first = this.rounds[0];
    const atCapacity = capacity === null ? undefined : nearestPassing(this.probes, capacity);
    return {
      task: this.task,
      sloP99Ms: this.slo,
      capacityRps: capacity,
      bracket: { lo: first?.lo ?? null, hi: first?.hi ?? null },
      rounds: this.rounds,
      ...(found.length ? { range: { min: Math.min(...found), max: Math.max(...found) } } : {}),
      stop: this.failure !== undefined ? 'stack-failed' : (first?.stop ?? 'converged'),
      ...(atCapacity ? { atCapacity } : {}),
      probes: this.probes,
      wallS: Math.round((performance.now() - this.t0) / 100) / 10,
      ...(this.failure !== undefined ? { note: this.failure } : {}),
    };
  }
}

/** Every configured task of one stack, searched in the settings' rounds on its own (no other stack to interleave). */
export async function runCapacityPhase(p: CapacityPhase): Promise<CapacityResult[]> {
  const searches = p.settings.tasks.map((task) => new CapacitySearch(p, task));
  await runInterleaved(searches, p.settings.rounds);
  return searches.map((s) => s.result());
}
