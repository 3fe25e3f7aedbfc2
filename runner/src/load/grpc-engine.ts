// Main-thread side of the gRPC load engine: the same split, start and merge as engine.ts, with
// grpc-worker.ts in the threads. Only verified OK replies count (see grpc-client.ts).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { METHODS, methodPath } from '@servebench/contract/grpc';
import { aggregate } from './aggregate.js';
import { splitSpec, validateSpec } from './engine.js';
import type { GrpcLoadSpec, GrpcWorkerShare } from './grpc-types.js';
import type { WorkerResult } from './record.js';
import type { LoadResult, LoadSpec } from './types.js';
import type { FromWorker, ToWorker } from './worker.js';

export type { GrpcLoadSpec, GrpcRequestTemplate } from './grpc-types.js';

const START_LEAD_MS = 50;
// Start-up includes connecting every channel (grpc-worker.ts allows 10 s) and, from TS sources, tsx.
const READY_TIMEOUT_MS = 40_000;
const EXIT_GRACE_MS = 2_000;

/** The spec as the HTTP engine sees it: a gRPC call is an HTTP/2 POST to its method path. */
const asHttp = (spec: GrpcLoadSpec): LoadSpec => ({ ...spec, requests: spec.requests.map((r) => ({ method: 'POST', path: methodPath(r.method) })) });

export function validateGrpcSpec(spec: GrpcLoadSpec): void {
  validateSpec(asHttp(spec));
  for (const r of spec.requests) {
    if (!METHODS.includes(r.method) || (r.method as string) === 'Ready') throw new Error(`invalid GrpcLoadSpec: method ${String(r.method)}`);
  }
  const ch = spec.channels;
  if (ch !== undefined && !(Number.isInteger(ch) && ch >= 1)) throw new Error(`invalid GrpcLoadSpec: channels ${ch}`);
}

/** The HTTP engine's split (in-flight calls, rate, maxRequests, seeds), plus channels per thread. */
export function splitGrpcSpec(spec: GrpcLoadSpec): GrpcWorkerShare[] {
  const shares = splitSpec(asHttp(spec));
  const channels = Math.max(spec.channels ?? shares.length, shares.length);
  return shares.map(({ requests: _r, ...s }, i) => ({
    ...s,
    requests: spec.requests,
    channels: Math.min(s.connections, Math.floor(channels / shares.length) + (i < channels % shares.length ? 1 : 0)),
  }));
}

/** Compiled: grpc-worker.js beside this file; from TS sources (vitest, tsx), register tsx in the worker first. */
function spawnWorker(share: GrpcWorkerShare): Worker {
  const js = new URL('./grpc-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: share });
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> };
  const api = pathToFileURL(join(dirname(pkgPath), pkg.exports?.['./esm/api']?.import?.default ?? './dist/esm/api/index.mjs')).href;
  const ts = new URL('./grpc-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); });`, { eval: true, workerData: share });
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // observed by whoever awaits; never unhandled
  return { promise, resolve, reject };
}

function watch(worker: Worker): { worker: Worker; ready: Promise<void>; result: Promise<WorkerResult>; exited: Promise<void> } {
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
    } else fail(new Error(`gRPC load worker failed: ${m.message}`));
  });
  worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
  worker.on('exit', (code) => {
    if (!got) fail(new Error(`gRPC load worker exited (code ${code}) without a result`));
    exited.resolve();
  });
  return { worker, ready: ready.promise, result: result.promise, exited: exited.promise };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/** Runs unary calls closed- or open-loop over `channels` HTTP/2 connections, in worker threads. */
export async function runGrpcLoad(spec: GrpcLoadSpec): Promise<LoadResult> {
  validateGrpcSpec(spec);
  const handles = splitGrpcSpec(spec).map((s) => watch(spawnWorker(s)));
  try {
    await withTimeout(Promise.all(handles.map((h) => h.ready)), READY_TIMEOUT_MS, 'gRPC load worker start-up');
    const startEpochMs = performance.timeOrigin + performance.now() + START_LEAD_MS;
    for (const h of handles) h.worker.postMessage({ type: 'start', startEpochMs } satisfies ToWorker);
    const budget = START_LEAD_MS + spec.warmupMs + spec.durationMs + 2 * spec.timeoutMs + 10_000;
    const results = await withTimeout(Promise.all(handles.map((h) => h.result)), budget, 'gRPC load run');
    await Promise.all(handles.map((h) => withTimeout(h.exited, EXIT_GRACE_MS, 'gRPC load worker exit').catch(() => h.worker.terminate())));
    return { ...aggregate(asHttp(spec), results), measureStartEpochMs: startEpochMs + spec.warmupMs };
  } catch (e) {
    await Promise.all(handles.map((h) => h.worker.terminate()));
    throw e;
  }
}
