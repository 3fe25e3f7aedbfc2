import { resolve } from 'node:path';
import { SENTENCE_SETS, TASKS, type SentenceSet, type Task } from '@servebench/contract';
import { isModelConfigName, isModelSpec, isNamedModel, MODEL_CHOICES } from '@servebench/model';
import { PROFILES, type RunSettings } from './profiles.js';
import { FILE_PREFIX, isSentencesFile, readSentencesFile } from './sentences-file.js';
import { resolveCapacity } from './capacity/flags.js';
import { PlacementError, availableCpus, parseCpusFlag, runtimeThreads, type Placement } from './placement/cpus.js';
import { DEFAULT_PRICE_PER_CORE_HOUR } from './resources/cost.js';
import { parseTargets } from './launch/target.js';
import { parseAgents } from './agents/targets.js';
import { parseK8sFlags, type K8sFlags } from './k8s/run.js';

export class UsageError extends Error {}

/** Raw flag values as commander gives them (strings, lists as comma-separated strings). */
export interface RunFlags extends K8sFlags {
  profile?: string;
  tasks?: string;
  concurrency?: string;
  lightConcurrency?: string;
  rounds?: string;
  extraRounds?: string;
  calibration?: boolean;
  relaunch?: boolean;
  duration?: string;
  warmup?: string;
  window?: string;
  mode?: string;
  rate?: string;
  arrivals?: string;
  model?: string;
  seed?: string;
  sentences?: string;
  textsPerRequest?: string;
  launcher?: string;
  target?: string[];
  allowRemote?: boolean;
  agents?: string;
  agentLead?: string;
  agentCommand?: string;
  workers?: string;
  threads?: string;
  cpus?: string;
  pricePerCoreHour?: string;
  crosscheck?: string;
  loadThreads?: string;
  timeout?: string;
  raw?: boolean;
  maxBatchSize?: string;
  maxQueueDelayUs?: string;
  stackEnv?: string[];
  /** Capacity stage: `--no-capacity` skips it; `--slo task:p99=ms` sets a target. */
  capacity?: boolean;
  slo?: string[];
  capacityRounds?: string;
  /** The A/A control's stack id, or `none`. */
  aa?: string;
}

function positive(name: string, v: string, integer: boolean): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} ${v}: expected a positive ${integer ? 'integer' : 'number'}`);
  }
  return n;
}

function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v))
    throw new UsageError(`--${name} ${v}: expected one of ${allowed.join(', ')}`);
  return v as T;
}

/** A built-in set, or `file:PATH` (made absolute and read once here, so a bad file fails before any launch). */
function sentencesOf(v: string): RunSettings['sentences'] {
  if (!isSentencesFile(v)) return oneOf<SentenceSet>('sentences', v, SENTENCE_SETS);
  const spec = `file:${resolve(v.slice(FILE_PREFIX.length))}` as const;
  try {
    readSentencesFile(spec);
  } catch (e) {
    throw new UsageError(`--sentences ${v}: ${(e as Error).message}`);
  }
  return spec;
}

const list = (v: string) =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** --cpus: the default split of this process's CPUs (none on one CPU), `none`, or server=<list>,load=<list>. */
function cpusOf(v: string | undefined): Placement | null {
  const available = availableCpus();
  // One CPU cannot be split: the default is then no placement (results record placement null).
  if (v === undefined && available.length < 2) return null;
  try {
    return parseCpusFlag(v, available);
  } catch (e) {
    if (e instanceof PlacementError) throw new UsageError(e.message);
    throw e;
  }
}

/** Profile defaults, then flags, validated once and frozen. */
export function resolveSettings(f: RunFlags): Readonly<RunSettings> {
  const profile = f.profile ?? 'quick';
  const base = PROFILES[profile];
  if (!base) throw new UsageError(`--profile ${profile}: expected one of ${Object.keys(PROFILES).join(', ')}`);
  const s: RunSettings = {
    ...base,
    tasks: [...base.tasks],
    concurrency: [...base.concurrency],
    ...(base.lightConcurrency ? { lightConcurrency: [...base.lightConcurrency] } : {}),
    stackEnv: {},
  };
  if (f.tasks) s.tasks = list(f.tasks).map((t) => oneOf<Task>('tasks', t, TASKS));
  if (f.concurrency) {
    s.concurrency = list(f.concurrency).map((c) => positive('concurrency', c, true));
    delete s.lightConcurrency; // named levels apply to every task (times lightMultiplier) unless given separately
  }
  if (f.lightConcurrency)
    s.lightConcurrency = list(f.lightConcurrency).map((c) => positive('light-concurrency', c, true));
  if (f.rounds) s.rounds = positive('rounds', f.rounds, true);
  if (f.extraRounds !== undefined)
    s.extraRounds = f.extraRounds === '0' ? 0 : positive('extra-rounds', f.extraRounds, true);
  if (f.calibration === false) s.calibration = false;
  if (f.relaunch) s.keepStacksUp = false;
  if (f.duration) s.durationS = positive('duration', f.duration, false);
  if (f.warmup !== undefined) s.warmupS = f.warmup === '0' ? 0 : positive('warmup', f.warmup, false);
  if (f.window) s.windowS = positive('window', f.window, false);
  if (f.mode) s.mode = oneOf('mode', f.mode, ['closed', 'open'] as const);
  if (f.rate) s.rate = positive('rate', f.rate, false);
  if (f.arrivals) s.arrivals = oneOf('arrivals', f.arrivals, ['fixed', 'poisson'] as const);
  if (f.model) {
    if (!isModelSpec(f.model)) throw new UsageError(`--model ${f.model}: expected ${MODEL_CHOICES}`);
    // A path is made absolute: the servers start in their own workspace folders.
    s.model = isModelConfigName(f.model) || isNamedModel(f.model) ? f.model : resolve(f.model);
  }
  if (f.seed !== undefined) s.seed = f.seed === '0' ? 0 : positive('seed', f.seed, true);
  if (f.sentences) s.sentences = sentencesOf(f.sentences);
  if (f.textsPerRequest) {
    const n = positive('texts-per-request', f.textsPerRequest, true);
    if (n > 64) throw new UsageError(`--texts-per-request ${n}: at most 64 (the servers' MAX_TEXTS default)`);
    s.textsPerRequest = n;
  }
  if (f.launcher) s.launcher = oneOf('launcher', f.launcher, ['process', 'compose', 'k8s'] as const);
  if (s.launcher === 'k8s') {
    s.k8s = parseK8sFlags(f, (m) => new UsageError(m));
    // The servers are Services inside the cluster, not loopback: recorded like --allow-remote.
    s.allowRemote = true;
  }
  if (f.target?.length) {
    try {
      s.targets = parseTargets(f.target, f.allowRemote === true);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (f.allowRemote) s.allowRemote = true;
  }
  if (f.agents) {
    try {
      parseAgents(f.agents);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    s.agents = f.agents;
    if (f.agentLead) s.agentLeadMs = positive('agent-lead', f.agentLead, true);
    if (f.agentCommand) s.agentCommand = f.agentCommand;
  }
  if (f.workers) s.workers = positive('workers', f.workers, true);
  const placement = cpusOf(f.cpus);
  s.placement = placement;
  const explicitThreads = f.threads ? positive('threads', f.threads, true) : undefined;
  s.intraOpThreads = runtimeThreads(placement, explicitThreads, s.intraOpThreads);
  s.intraOpThreadsFrom = explicitThreads ? 'flag' : placement ? 'server-set' : 'profile';
  s.pricePerCoreHour = f.pricePerCoreHour
    ? positive('price-per-core-hour', f.pricePerCoreHour, false)
    : DEFAULT_PRICE_PER_CORE_HOUR;
  s.crosscheck =
    !f.crosscheck || f.crosscheck === 'auto' ? 'auto' : f.crosscheck === 'none' ? 'none' : list(f.crosscheck);
  if (f.loadThreads) s.threads = positive('load-threads', f.loadThreads, true);
  if (f.timeout) s.timeoutMs = positive('timeout', f.timeout, true);
  if (f.raw === false) s.raw = false;
  if (f.maxBatchSize) s.maxBatchSize = positive('max-batch-size', f.maxBatchSize, true);
  if (f.maxQueueDelayUs !== undefined)
    s.maxQueueDelayUs = f.maxQueueDelayUs === '0' ? 0 : positive('max-queue-delay-us', f.maxQueueDelayUs, true);
  for (const item of f.stackEnv ?? []) {
    const m = /^([^:=]+):([A-Z_][A-Z0-9_]*)=(.*)$/.exec(item);
    if (!m)
      throw new UsageError(
        `--stack-env ${item}: expected <stack-id>:<NAME>=<value>, e.g. fastify+ort:MAX_BATCH_SIZE=32`,
      );
    (s.stackEnv[m[1]!] ??= {})[m[2]!] = m[3]!;
  }
  if (f.capacity === false) delete s.capacity;
  else if (f.slo?.length || f.capacityRounds) {
    const flag = f.slo?.length ? '--slo' : '--capacity-rounds';
    if (!s.capacity) throw new UsageError(`${flag}: profile ${profile} has no capacity stage (quick and full do)`);
    s.capacity = resolveCapacity(
      s.capacity,
      { ...(f.slo?.length ? { slo: f.slo } : {}), ...(f.capacityRounds ? { capacityRounds: f.capacityRounds } : {}) },
      (m) => {
        throw new UsageError(m);
      },
    );
  }
  if (f.aa === 'none') delete s.aaTwin;
  else if (f.aa) s.aaTwin = f.aa;
  if (s.windowS * s.stableWindows > s.durationS + 1e-9) {
    throw new UsageError(
      `--duration ${s.durationS} is shorter than ${s.stableWindows} stability windows of ${s.windowS} s; lengthen it or shorten --window`,
    );
  }
  return Object.freeze(s);
}
