// Main-thread side of the load engine: validate, split the spec across
// worker threads, start them together, merge what they measured.
import { performance } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '@servebench/inference';
import { aggregate } from './aggregate.js';
import { assertLoopbackHost } from './loopback.js';
import type { WorkerShare } from './loop.js';
import type { WorkerResult } from './record.js';
import type { LoadResult, LoadSpec } from './types.js';
import type { FromWorker, ToWorker } from './worker-port.js';

export type { LoadResult, LoadSpec } from './types.js';

// Lead time so every worker has its sockets' code warm before t0.
const START_LEAD_MS = 50;
// Spawning a TS worker through tsx can take a while on a cold cache.
const READY_TIMEOUT_MS = 30_000;
const EXIT_GRACE_MS = 2_000;

/** `allowRemote` lifts the loopback rule for an explicitly allowed remote target (--allow-remote). */
export function validateSpec(spec: LoadSpec, opts: { allowRemote?: boolean } = {}): void {
  if (!opts.allowRemote) assertLoopbackHost(spec.host);
  const bad = (msg: string): never => {
    throw new Error(`invalid LoadSpec: ${msg}`);
  };
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) bad(`port ${spec.port}`);
  if (spec.requests.length === 0) bad('no requests');
  if (spec.requests.length !== spec.expect.length)
    bad(`${spec.requests.length} requests but ${spec.expect.length} expectations`);
  if (!Number.isInteger(spec.concurrency) || spec.concurrency < 1) bad(`concurrency ${spec.concurrency}`);
  if (spec.mode === 'open' && !(spec.rate !== undefined && spec.rate > 0)) bad('open loop needs rate > 0');
  if (spec.mode !== 'open' && spec.mode !== 'closed') bad(`mode ${String(spec.mode)}`);
  if (!(spec.durationMs > 0)) bad(`durationMs ${spec.durationMs}`);
  if (!(spec.warmupMs >= 0)) bad(`warmupMs ${spec.warmupMs}`);
  if (!(spec.windowMs > 0)) bad(`windowMs ${spec.windowMs}`);
  if (!(spec.timeoutMs > 0)) bad(`timeoutMs ${spec.timeoutMs}`);
  if (spec.arrivalOffsetsMs && !spec.arrivalOffsetsMs.every((t, k, a) => t >= 0 && (k === 0 || t >= a[k - 1]!)))
    bad('arrivalOffsetsMs must be ascending and >= 0');
  if (spec.maxRequests !== undefined && !(Number.isInteger(spec.maxRequests) && spec.maxRequests > 0))
    bad(`maxRequests ${spec.maxRequests}`);
  const t = spec.threads ?? 1;
  if (!Number.isInteger(t) || t < 1) bad(`threads ${t}`);
}

/** Split n into k near-equal integer parts (first ones get the remainder). */
function split(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

/** Per-thread shares: connections, rate and maxRequests divided; seeds distinct. */
export function splitSpec(spec: LoadSpec): WorkerShare[] {
  let threads = Math.min(spec.threads ?? 1, spec.concurrency);
  if (spec.maxRequests !== undefined) threads = Math.min(threads, spec.maxRequests);
  const conns = split(spec.concurrency, threads);
  const maxes = spec.maxRequests !== undefined ? split(spec.maxRequests, threads) : undefined;
  const seed = spec.seed ?? 1;
  return conns.map((c, i) => ({
    host: spec.host,
    port: spec.port,
    requests: spec.requests,
    expect: spec.expect,
    mode: spec.mode,
    connections: c,
    ...(spec.rate !== undefined ? { rate: (spec.rate * c) / spec.concurrency } : {}),
    arrivals: spec.arrivals ?? 'fixed',
    seed: (seed + Math.imul(i, 0x9e3779b9)) >>> 0,
    warmupMs: spec.warmupMs,
    durationMs: spec.durationMs,
    ...(maxes ? { maxRequests: maxes[i]! } : {}),
    // Explicit send times are dealt round-robin, so every thread keeps the shape.
    ...(spec.arrivalOffsetsMs ? { offsetsMs: spec.arrivalOffsetsMs.filter((_, k) => k % conns.length === i) } : {}),
    windowMs: spec.windowMs,
    timeoutMs: spec.timeoutMs,
  }));
}

interface Handle {
  worker: Worker;
  ready: Promise<void>;
  result: Promise<WorkerResult>;
  exited: Promise<void>;
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // rejections are observed by whoever awaits; never unhandled
  return { promise, resolve, reject };
}

function watch(worker: Worker, label: string): Handle {
  const ready = deferred<void>();
  const result = deferred<WorkerResult>();
  const exited = deferred<void>();
  let got = false;
  const fail = (e: Error): void => {
    ready.reject(e);
    result.reject(e);
  };
  worker.on('message', (m: FromWorker) => {
    if (m.type === 'ready') ready.resolve();
    else if (m.type === 'result') {
      got = true;
      result.resolve(m.result);
    } else fail(new Error(`${label} worker failed: ${m.message}`));
  });
  worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
  worker.on('exit', (code) => {
    if (!got) fail(new Error(`${label} worker exited (code ${code}) without a result`));
    exited.resolve();
  });
  return { worker, ready: ready.promise, result: result.promise, exited: exited.promise };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    t = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/**
 * Starts one worker per share from `workerUrl`, starts them together, and merges what they measured
 * (the HTTP and gRPC engines differ only in the worker module and the shares).
 */
export async function runWorkerShares(
  workerUrl: URL,
  shares: readonly object[],
  spec: LoadSpec,
  label: string,
  readyTimeoutMs = READY_TIMEOUT_MS,
  // Load agents: a start time shared with other processes, and the raw per-thread results for an exact merge.
  agent: {
    startEpochMs?: number;
    onStart?: (readyEpochMs: number) => void;
    onResults?: (results: WorkerResult[]) => void;
  } = {},
): Promise<LoadResult> {
  const handles = shares.map((s) => watch(spawnWorker(workerUrl, { workerData: s }), label));
  try {
    await withTimeout(Promise.all(handles.map((h) => h.ready)), readyTimeoutMs, `${label} worker start-up`);
    // Wall-clock epoch shared by all threads; each maps it onto its own monotonic clock.
    const startEpochMs = agent.startEpochMs ?? performance.timeOrigin + performance.now() + START_LEAD_MS;
    agent.onStart?.(performance.timeOrigin + performance.now());
    for (const h of handles) h.worker.postMessage({ type: 'start', startEpochMs } satisfies ToWorker);
    const budget = START_LEAD_MS + spec.warmupMs + spec.durationMs + 2 * spec.timeoutMs + 10_000;
    const lead = Math.max(0, startEpochMs - performance.timeOrigin - performance.now());
    const results = await withTimeout(Promise.all(handles.map((h) => h.result)), budget + lead, `${label} run`);
    agent.onResults?.(results);
    // Workers exit on their own once their sockets are closed; don't wait forever if one lingers.
    await Promise.all(
      handles.map((h) =>
        withTimeout(h.exited, EXIT_GRACE_MS, `${label} worker exit`).catch(() => h.worker.terminate()),
      ),
    );
    return { ...aggregate(spec, results), measureStartEpochMs: startEpochMs + spec.warmupMs };
  } catch (e) {
    await Promise.all(handles.map((h) => h.worker.terminate()));
    throw e;
  }
}

export async function runLoad(spec: LoadSpec, opts: { allowRemote?: boolean } = {}): Promise<LoadResult> {
  validateSpec(spec, opts);
  return runWorkerShares(new URL('./worker.js', import.meta.url), splitSpec(spec), spec, 'load');
}
