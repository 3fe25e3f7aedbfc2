import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CheckOutcome, Task } from '@servebench/contract';
import type { CapacityResult } from './capacity/types.js';
import type { Environment } from './environment.js';
import type { LoadResult } from './load/types.js';
import type { BatchHistogram } from './scrape.js';
import type { RunSettings } from './profiles.js';
import type { RoundVerdict } from './stats/rounds.js';
import type { StabilityVerdict } from './stats/stability.js';
import type { ThresholdResult } from './thresholds/evaluate.js';
import type { CrossCheckResult } from './crosscheck.js';
import type { StackPlacement } from './placement/apply.js';
import type { CellCost } from './resources/cost.js';
import type { CellCpu } from './resources/cpu.js';

export interface ResourceStats {
  meanCpuPct: number;
  peakCpuPct: number;
  peakRssMb: number;
  samples: Array<{ tS: number; cpuPct: number; rssMb: number }>;
}

/** One round of one cell: a full warm-up + measurement on its own. */
export interface RoundResult {
  /** 0-based round of the run (the stack order rotates every round). */
  round: number;
  startedAt: string;
  /** This round alone; `histogram` holds its encoded latency histogram, `cdf` is left out. */
  load: Omit<LoadResult, 'cdf'>;
  /** Within-round verdict: did the last windows of this round agree (informative; see CellResult.stability). */
  windows: StabilityVerdict;
  clientBound: boolean;
  resources?: ResourceStats;
  batching?: BatchHistogram;
  /** Set when the round measured nothing usable (no verified successes, or the server died during it). */
  failed?: string;
  /** Load engine CPU (all its threads), load-set and machine busy share, steal (resources/cpu.ts). */
  loadCpu?: CellCpu;
  /** Server CPU-seconds per 1k successes and USD per million (resources/cost.ts). */
  cost?: CellCost;
  /** The machine's speed beside this round (speed/speedometer.ts: model calls/s on the server CPU set). */
  speed?: number;
}

export interface CellResult {
  task: Task;
  concurrency: number;
  /** ok: rounds agree; unstable: rounds disagree after the extra rounds (spread shown); failed: no usable round. */
  status: 'ok' | 'unstable' | 'failed';
  reason?: string;
  /**
   * Merged over rounds: rps is the MEDIAN round's req/s; latencyMs (p50..p99.9) and cdf come from the merged
   * histogram of all rounds; successes, errors and durationS are sums; windows and serverTiming are the median
   * round's; clientElu is the highest of any round.
   */
  load: LoadResult;
  /** Across rounds: median, min-max and whether the rounds agree. */
  stability: RoundVerdict;
  /** Any round had its load generator saturated. */
  clientBound: boolean;
  /** Any round had all CPUs together at or above 90% busy (resources/cpu.ts). */
  machineBound?: boolean;
  /** The median round's load-engine CPU and cost. */
  loadCpu?: CellCpu;
  cost?: CellCost;
  /** A measurement error: req/s above the runtime's ceiling by more than the ceiling's spread (raw/flags.ts). */
  aboveCeiling?: { runtime: string; ceilingRps: number; ceilingMaxRps: number };
  /** The median round's resources and batching. */
  resources?: ResourceStats;
  /** Batch sizes the server formed during the median round (from its /metrics); queue time is in load.serverTiming.queue. */
  batching?: BatchHistogram;
  /** When the first round started. */
  startedAt: string;
  rounds: RoundResult[];
  /** The median of the rounds' req/s at the run's median speed (written when the run finishes). */
  normalizedRps?: number;
}

export type StackStatus = 'ok' | 'failed-launch' | 'failed-verification' | 'crashed' | 'skipped' | 'pending';

export interface StackResult {
  id: string;
  server: string;
  backend: string;
  protocol: 'http' | 'grpc' | 'in-process';
  /** Server language (`python` for the seed's peers); absent for the raw row. */
  language?: string;
  launcher: 'process' | 'compose' | 'k8s' | 'none';
  status: StackStatus;
  reason?: string;
  /** First launch's spawn-to-ready time. */
  coldStartMs?: number;
  /** How many times the stack was launched in this run (1 when kept up between rounds). */
  launches?: number;
  modelLoadMs?: number;
  backendInfo?: Record<string, string>;
  /** CPU placement read back for every process of the stack's tree(s) at launch. */
  placement?: StackPlacement;
  verification?: CheckOutcome[];
  cells: CellResult[];
  /** Capacity at the SLO per task, with the probe trace (the capacity stage; see capacity/types.ts). */
  capacity?: CapacityResult[];
  /** The A/A control: this entry is a second, independent launch of that stack (speed/twin.ts). */
  twinOf?: string;
}

/** A reference measured every round (bare node:http hello, the raw runtime call): how the machine drifted. */
export interface CalibrationResult {
  id: string;
  /** What it measures, in words. */
  what: string;
  status: 'ok' | 'failed' | 'pending';
  reason?: string;
  cells: CellResult[];
}

/** Per calibration cell: its req/s in every round and the spread across the run. */
export interface DriftSeries {
  id: string;
  task: Task;
  concurrency: number;
  /** req/s by round (index = round). */
  rps: number[];
  median: number;
  min: number;
  max: number;
  /** (max - min) / median. */
  spread: number;
}

export interface RunResults {
  schema: 2;
  runId: string;
  status: 'running' | 'complete' | 'interrupted';
  startedAt: string;
  finishedAt?: string;
  wallS?: number;
  settings: RunSettings;
  environment: Environment;
  model: {
    name: string;
    seed: number;
    sha256: string;
    hiddenSize: number;
    layers: number;
    /** Tokenizer max length ([CLS] and [SEP] included): 512 for the generated models, 256 for all-MiniLM-L6-v2. */
    maxLength?: number;
    /** Encoder parameters by the config (embeddings + layers; quantized exports count the same shapes). */
    parameters?: number;
    /** A converted real model: where it came from and its license (absent for the generated configs). */
    source?: { kind: string; package?: string; version?: string; license?: string };
  };
  stacks: StackResult[];
  /** Calibration references, measured every round beside the stacks. */
  calibration: CalibrationResult[];
  /** Derived from calibration after every round. */
  drift: DriftSeries[];
  /** Rounds started so far (base plus extra). */
  roundsRun: number;
  /**
   * The speedometer (absent: none ran): what its readings on rounds and probes measure, and the run's median
   * reading, the reference every normalized figure is scaled to (verdicts/normalize.ts).
   */
  speed?: { reference: string; medianCallsPerS?: number };
  /** The load engine against wrk (HTTP) and ghz (gRPC) on hello_world, same placement (crosscheck.ts). */
  crosscheck?: CrossCheckResult[];
  /** --threshold results, evaluated when the run finished. */
  thresholds?: ThresholdResult[];
}

/**
 * Write, fsync, then rename (and fsync the directory): a run killed at any moment, or a machine that
 * loses power, leaves the previous complete JSON. On any error (ENOSPC, EFBIG) the temporary file is
 * removed and the error thrown; the previous file is untouched.
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, `${JSON.stringify(value, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  try {
    const dir = openSync(dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // a file system that cannot fsync a directory: the rename is still atomic
  }
}

export function readResults(file: string): RunResults {
  const r = JSON.parse(readFileSync(file, 'utf8')) as RunResults | V1Results;
  if (!Array.isArray(r.stacks) || (r.schema !== 1 && r.schema !== 2))
    throw new Error(`${file} is not a servebench results file`);
  return r.schema === 1 ? upgradeV1(r) : r;
}

/** Schema 1 (one measurement per cell, before rounds): read as one round per cell, so old runs still compare. */
interface V1Cell extends Omit<CellResult, 'stability' | 'rounds' | 'load'> {
  load: Omit<LoadResult, 'latencyMs'> & { latencyMs: Omit<LoadResult['latencyMs'], 'p95'> & { p95?: number } };
  stability: StabilityVerdict;
}
interface V1Results extends Omit<RunResults, 'schema' | 'stacks' | 'calibration' | 'drift' | 'roundsRun'> {
  schema: 1;
  stacks: Array<Omit<StackResult, 'cells'> & { cells: V1Cell[] }>;
}

function upgradeV1(r: V1Results): RunResults {
  const cell = (c: V1Cell): CellResult => {
    // p95 was not recorded; the nearest CDF point at or above it stands in.
    const p95 = c.load.latencyMs.p95 ?? c.load.cdf.find(([p]) => p >= 95)?.[1] ?? c.load.latencyMs.p99;
    const load: LoadResult = { ...c.load, latencyMs: { ...c.load.latencyMs, p95 } };
    const rps = load.rps;
    const { cdf: _cdf, ...roundLoad } = load;
    return {
      ...c,
      load,
      stability: {
        stable: c.status === 'ok',
        rounds: 1,
        within: 1,
        required: 1,
        median: rps,
        min: rps,
        max: rps,
        spread: 0,
        threshold: c.stability.threshold,
      },
      rounds: [
        {
          round: 0,
          startedAt: c.startedAt,
          load: roundLoad,
          windows: c.stability,
          clientBound: c.clientBound,
          resources: c.resources,
          batching: c.batching,
        },
      ],
    };
  };
  return {
    ...r,
    schema: 2,
    settings: { ...r.settings, rounds: 1, extraRounds: 0, roundTolerance: 0.1 },
    stacks: r.stacks.map((s) => ({ ...s, cells: s.cells.map(cell) })),
    calibration: [],
    drift: [],
    roundsRun: 1,
  };
}
