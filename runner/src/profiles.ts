import type { SentenceSet, Task } from '@servebench/contract';
import { CAPACITY_DEFAULTS } from './capacity/defaults.js';
import type { CapacitySettings } from './capacity/types.js';
import type { Placement } from './placement/cpus.js';
import type { K8sRunSettings } from './k8s/run.js';

/** Everything that shapes a run. One plain defaults object per profile; flags override fields. */
export interface RunSettings {
  profile: string;
  /** tiny|mini|small|base, all-minilm-l6-v2[-int8], or an absolute path to a HF directory / ONNX export. */
  model: string;
  seed: number;
  tasks: Task[];
  /** Concurrency levels for predict; hello_world and tokenize use them times lightMultiplier (the seed used 2x). */
  concurrency: number[];
  lightMultiplier: number;
  /** When set, hello_world and tokenize use exactly these levels instead (a smaller verified matrix). */
  lightConcurrency?: number[];
  /** hello_world and tokenize (which never reach the model) on one stack per server only (lightSharedWith). */
  lightOncePerServer?: boolean;
  /** Every cell runs in this many interleaved rounds; the stack order rotates every round. */
  rounds: number;
  /**
   * When set, only these cells get `rounds` base rounds and every other cell (and calibration reference) gets
   * `otherRounds`: quick spends its rounds on the cell its verdicts rest on, predict at c=32.
   */
  verdictCells?: Array<{ task: Task; concurrency: number }>;
  otherRounds?: number;
  /** Up to this many more rounds for a cell whose rounds disagree (see roundTolerance). */
  extraRounds: number;
  /** When set, only cells of these tasks get extra rounds (the others are flagged unstable after the base rounds). */
  extraRoundTasks?: Task[];
  /** A cell is stable when `rounds` of its rounds lie within ±roundTolerance of their median req/s. */
  roundTolerance: number;
  /** Measure the calibration references (bare node:http hello, raw runtime call) every round. */
  calibration: boolean;
  /**
   * Keep stacks running between rounds (one launch per stack). Before launching another stack the runner checks
   * MemAvailable; below minFreeMemMb it stops the idle stacks first, which relaunch at their next turn.
   */
  keepStacksUp: boolean;
  minFreeMemMb: number;
  mode: 'closed' | 'open';
  /** Open loop only: requests/s and arrival process. */
  rate: number;
  arrivals: 'fixed' | 'poisson';
  warmupS: number;
  /** A stack cell's first round warms up this long instead (a just-launched server's JIT is cold). */
  firstWarmupS?: number;
  durationS: number;
  windowS: number;
  /** A cell is stable when its last `stableWindows` windows' req/s lie within ±stableTolerance of their mean. */
  stableWindows: number;
  stableTolerance: number;
  /** A built-in set, or `file:<absolute path>` (JSONL or text, see sentences-file.ts). */
  sentences: SentenceSet | `file:${string}`;
  /** Texts per tokenize/predict request (`{"texts": [...]}` above 1); absent means 1 (`{"text"}`). */
  textsPerRequest?: number;
  threads: number;
  workers: number;
  intraOpThreads: number;
  /** Where intraOpThreads came from: --threads, the server CPU set's size, or the profile (no placement). */
  intraOpThreadsFrom?: 'flag' | 'server-set' | 'profile';
  /** CPU sets of the server tree and the load engine (--cpus); null: placement off (--cpus none). */
  placement?: Placement | null;
  /** USD per core-hour for the cost columns (--price-per-core-hour; default and source in resources/cost.ts). */
  pricePerCoreHour?: number;
  /** Stacks cross-checked against wrk/ghz on hello_world after the rounds: 'auto' (first HTTP and gRPC), none, or ids. */
  crosscheck?: 'auto' | 'none' | string[];
  timeoutMs: number;
  readyTimeoutS: number;
  raw: boolean;
  launcher: 'process' | 'compose' | 'k8s';
  /** --launcher k8s: namespace, image tag, requests = limits, load agents (k8s/run.ts). */
  k8s?: K8sRunSettings;
  /** --target: stacks measured at an already running endpoint (not launched); non-loopback only with --allow-remote. */
  targets?: Record<string, { url: string; remote: boolean }>;
  /** --allow-remote was given: the load may go to a non-loopback target. */
  allowRemote?: boolean;
  /** --agents: every HTTP cell's load split over these load agents (local@cpus, ssh://host). */
  agents?: string;
  agentLeadMs?: number;
  agentCommand?: string;
  /** Dynamic batching for every stack and the raw row (1 = off); MAX_BATCH_SIZE / MAX_QUEUE_DELAY_US. */
  maxBatchSize: number;
  maxQueueDelayUs: number;
  /** Extra environment for single stacks, by stack id (e.g. a different batch policy for one stack). */
  stackEnv: Record<string, Record<string, string>>;
  /** After the matrix: the capacity search per stack and task (see capacity/); absent: no capacity stage. */
  capacity?: CapacitySettings;
  /** The A/A control: this stack is launched a second time as an independent participant (rounds/twin.ts). */
  aaTwin?: string;
}

const base: Omit<RunSettings, 'profile'> = {
  // A real model by default (issue 13): sentence-transformers/all-MiniLM-L6-v2, fp32, from PyPI.
  model: 'all-minilm-l6-v2',
  seed: 0,
  tasks: ['hello_world', 'tokenize', 'predict'],
  concurrency: [1, 8, 32, 128],
  lightMultiplier: 1,
  rounds: 3,
  extraRounds: 2,
  roundTolerance: 0.1,
  calibration: true,
  keepStacksUp: true,
  minFreeMemMb: 1536,
  mode: 'closed',
  rate: 200,
  arrivals: 'poisson',
  warmupS: 2,
  durationS: 6,
  windowS: 1,
  stableWindows: 3,
  stableTolerance: 0.1,
  sentences: 'short',
  threads: 1,
  workers: 1,
  intraOpThreads: 1,
  timeoutMs: 10_000,
  readyTimeoutS: 120,
  raw: true,
  launcher: 'process',
  maxBatchSize: 1,
  maxQueueDelayUs: 2000,
  stackEnv: {},
};

export const PROFILES: Readonly<Record<string, Readonly<RunSettings>>> = Object.freeze({
  /** Seconds, for CI: proves the whole pipeline (two rounds, calibration), not the numbers. */
  smoke: {
    ...base,
    profile: 'smoke',
    model: 'tiny',
    concurrency: [1, 8],
    rounds: 2,
    extraRounds: 0,
    warmupS: 0.3,
    durationS: 1.5,
    windowS: 0.5,
    readyTimeoutS: 60,
  },
  /**
   * The default, under 15 minutes on 2 cores with 12 stacks and the A/A twin: predict at c=32 in 5 interleaved
   * rounds of short cells, predict at c=1 and hello_world and tokenize at c=32 in 3 (no extra rounds: verdicts
   * come from the paired rounds' intervals, not from rounds that agree), then 3 interleaved capacity rounds.
   */
  quick: {
    ...base,
    profile: 'quick',
    concurrency: [1, 32],
    lightConcurrency: [32],
    lightOncePerServer: true,
    // Five rounds of 0.75 s gave paired intervals half as wide as three of 1.5 s for about the same time
    // (docs/measurement.md#verdicts-and-the-aa-control): predict at c=32 gets them, every other cell three.
    rounds: 5,
    verdictCells: [{ task: 'predict', concurrency: 32 }],
    otherRounds: 3,
    extraRounds: 0,
    warmupS: 0.25,
    // hello_world on fastify read 10.8k, 15.8k and 30.6k req/s in its first three 0.25 s-warm rounds.
    firstWarmupS: 1,
    durationS: 0.75,
    windowS: 0.25,
    capacity: CAPACITY_DEFAULTS.quick,
    aaTwin: 'fastify+ort',
  },
  /** The old quick matrix and more: every task at c=1/8/32/128, 5 rounds of 5 s cells. Over an hour. */
  full: {
    ...base,
    profile: 'full',
    rounds: 5,
    extraRounds: 2,
    warmupS: 1,
    durationS: 5,
    capacity: CAPACITY_DEFAULTS.full,
    aaTwin: 'fastify+ort',
  },
  /** The seed benchmark's matrix: BERT-base, ab-style concurrency 20/50/100/200, 2x for the light tasks. */
  seed: {
    ...base,
    profile: 'seed',
    model: 'base',
    concurrency: [20, 50, 100, 200],
    lightMultiplier: 2,
    rounds: 5,
    extraRounds: 2,
    warmupS: 5,
    durationS: 30,
    windowS: 3,
    timeoutMs: 60_000,
  },
});

export const concurrencyFor = (s: RunSettings, task: Task): number[] =>
  task === 'predict' ? s.concurrency : (s.lightConcurrency ?? s.concurrency.map((c) => c * s.lightMultiplier));

/** Base rounds of a cell. */
export const roundsFor = (
  s: Pick<RunSettings, 'rounds' | 'verdictCells' | 'otherRounds'>,
  k: { task: Task; concurrency: number },
): number =>
  !s.verdictCells || s.verdictCells.some((v) => v.task === k.task && v.concurrency === k.concurrency)
    ? s.rounds
    : Math.min(s.rounds, s.otherRounds ?? s.rounds);

/** Every (task, concurrency) cell of a stack's matrix, in measuring order. */
export const matrixOf = (
  s: RunSettings,
  tasks: readonly Task[] = s.tasks,
): Array<{ task: Task; concurrency: number }> =>
  tasks.flatMap((task) => concurrencyFor(s, task).map((concurrency) => ({ task, concurrency })));

/**
 * hello_world and tokenize never reach the model, so a server's backend variants (fastify+ort, fastify+triton-http)
 * run the same code for them. With lightOncePerServer they run on one stack per server, its ort variant when it has
 * one. Maps each other stack to the stack whose light cells stand for it.
 */
export function lightSharedWith(
  stacks: ReadonlyArray<{ id: string; server: string; backend: string }>,
): Map<string, string> {
  const carrier = new Map<string, { id: string; backend: string }>();
  for (const s of stacks) {
    const c = carrier.get(s.server);
    if (!c || (s.backend === 'ort' && c.backend !== 'ort')) carrier.set(s.server, s);
  }
  return new Map(
    stacks.filter((s) => carrier.get(s.server)!.id !== s.id).map((s) => [s.id, carrier.get(s.server)!.id] as const),
  );
}

/** The tasks of a stack's matrix: predict only (if the run has it) for a stack another stack's light cells stand for. */
export function tasksOf(s: RunSettings, sharedWith: ReadonlyMap<string, string>, stackId: string): Task[] {
  const predict = s.tasks.filter((t) => t === 'predict');
  return sharedWith.has(stackId) && predict.length ? predict : s.tasks;
}
