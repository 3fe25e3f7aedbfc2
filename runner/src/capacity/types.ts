// Plain-JSON types of the capacity search (stored in results.json under each stack's `capacity`).
import type { Task } from '@servebench/contract';

/** How a capacity search runs; one object per profile, overridden by flags. */
export interface CapacitySettings {
  /** Tasks searched on every stack. */
  tasks: Task[];
  /** p99 SLO in ms per task; tasks missing here use the model's defaults (see slo.ts). */
  slo: Partial<Record<Task, number>>;
  /** Each probe lasts at least this long and holds at least minQueries arrivals (as LoadGen's min duration/count). */
  minDurationS: number;
  minQueries: number;
  /** ...but never longer than this (a budget cap: at low rates a probe then holds fewer arrivals). */
  maxDurationS: number;
  /** Warm-up before every probe (not counted). */
  warmupS: number;
  /** Early stop: the bracket [lo, hi] is narrow enough when (hi - lo) / hi <= tolerance. */
  tolerance: number;
  /** Hard cap on probes per stack and task. */
  maxProbes: number;
  /** Bracketing multiplies (pass) or divides (fail) the rate by this until the outcome flips. */
  growth: number;
  minRate: number;
  maxRate: number;
  /** Pass criteria besides the SLO: failed/dropped/timed-out share, late-send share, achieved vs scheduled gap. */
  maxErrorRate: number;
  maxLateFraction: number;
  maxAchievedGap: number;
  /** Max connections of the open-loop client (requests in flight). */
  connections: number;
  /**
   * Searches per stack and task, interleaved across stacks (stage.ts): the first brackets and bisects from the
   * matrix's saturation rate, each later one confirms around the median so far. The published capacity is
   * their median, with their range.
   */
  rounds: number;
}

/** One probe: a Poisson open-loop cell at `rate`, judged against the criteria. */
export interface ProbeRecord {
  rate: number;
  phase: 'bracket' | 'bisect';
  pass: boolean;
  /** Why the probe failed (empty when it passed). */
  reasons: string[];
  durationS: number;
  scheduled: number;
  successes: number;
  errors: number;
  /** Arrivals scheduled in the measured interval / its length: the realized Poisson rate. */
  realizedRps: number;
  /** Verified successes / measured seconds. */
  achievedRps: number;
  p50: number;
  p95: number;
  p99: number;
  errorRate: number;
  lateFraction: number;
  /** Server Server-Timing metrics (queue, tokenize, infer) over the probe, ms. */
  serverTiming: Record<string, { mean: number; p50: number; p99: number }>;
  /** Per-window p99 (latency over time), ms. */
  windowsP99: number[];
  windowS: number;
  /** Server process tree over the probe: mean CPU (100 = one core), core-seconds per 1,000 verified requests, peak RSS. */
  cpuPct?: number;
  cpuSecondsPer1k?: number;
  peakRssMb?: number;
  /** The search round this probe belongs to (0 = the first search). */
  round?: number;
  /** The machine's speed beside the probe (speed/speedometer.ts: model calls/s). */
  speed?: number;
}

/** One round's search of one stack and task. */
export interface CapacityRound {
  round: number;
  /**
   * The SLO crossing this round found (req/s): between its highest passing and lowest failing probe, interpolated
   * on log p99 when the failing probe failed on p99 (the highest passing rate otherwise); null when none passed.
   */
  rps: number | null;
  lo: number | null;
  hi: number | null;
  stop: StopReason;
  /** Mean speedometer reading over the round's probes. */
  speed?: number;
  probes: number;
}

export type StopReason = 'converged' | 'max-probes' | 'max-rate' | 'below-min-rate' | 'stack-failed';

export interface CapacityResult {
  task: Task;
  sloP99Ms: number;
  /**
   * The median of the rounds' SLO crossings (req/s); null when no round found one. Results written before the
   * interleaved stage (no `rounds`) hold the highest passing rate of their single search here.
   */
  capacityRps: number | null;
  /** The first round's last passing and lowest failing rate. */
  bracket: { lo: number | null; hi: number | null };
  /** Every round's search (absent in results from before the interleaved stage). */
  rounds?: CapacityRound[];
  /** Lowest and highest round crossing. */
  range?: { min: number; max: number };
  /** The rounds' crossings at the run's median speed: median and range (written when the run finishes). */
  normalized?: { median: number; min: number; max: number };
  stop: StopReason;
  /** The passing probe nearest the capacity (the figures the decision table shows). */
  atCapacity?: ProbeRecord;
  probes: ProbeRecord[];
  wallS: number;
  note?: string;
  /** Set when the capacity lies above the runtime's ceiling by more than its spread: a measurement error. */
  aboveCeiling?: { runtime: string; ceilingRps: number; ceilingMaxRps: number };
}
