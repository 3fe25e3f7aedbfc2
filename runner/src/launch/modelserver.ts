// The model servers behind the proxy backends (triton-*, tfserving-*): which one a backend needs,
// and a launcher wrapper that starts it before the stack and stops it after. One module per server:
// triton.ts, tfserving.ts.
import type { ModelFiles } from '@servebench/model';
import type { RunSettings } from '../profiles.js';
import type { BatchingPolicy } from '../rounds/batching.js';
import { startSampler, sumSamplers } from '../resources/sampler.js';
import { launchTfServing } from './tfserving.js';
import { launchTriton } from './triton.js';
import { LaunchError, type LaunchedStack, type Launcher } from './types.js';

export { findTfServing } from './tfserving.js';
export { tritonNotInstalled } from './triton.js';

/** The model server a proxy backend needs, or undefined for in-process backends. */
export function modelServerKind(backend: string): 'triton' | 'tfserving' | undefined {
  if (backend.startsWith('triton-')) return 'triton';
  if (backend.startsWith('tfserving-')) return 'tfserving';
  return undefined;
}

export interface ModelServerOptions {
  backend: string;
  files: ModelFiles;
  /** The monorepo root (modelservers/ lives there). */
  root: string;
  logFile: string;
  readyTimeoutMs: number;
  /** Triton's dynamic_batching: the same knobs the in-process stacks get. */
  maxBatchSize: number;
  maxQueueDelayUs: number;
  intraOpThreads: number;
  /** Progress lines (setup, start). */
  note?: (line: string) => void;
  /** Triton only: listen on these ports instead of free ones (a restart where the old server was). */
  ports?: { http: number; grpc: number };
  /** CPU placement: the model server's whole tree runs on these CPUs (same set as the stack). */
  cpus?: readonly number[];
}

export interface LaunchedModelServer {
  kind: 'triton' | 'tfserving';
  pid: number;
  /** Environment for the stack: MODEL_SERVER_URL and MODEL_SERVER_MODEL. */
  env: Record<string, string>;
  /** Both endpoints: `http://127.0.0.1:port` and `127.0.0.1:port`. */
  urls: { http: string; grpc: string };
  /** What ran, for results: server, versions, batching. */
  info: Record<string, string>;
  /** The batching policy the model server runs (1 = it merges no requests), as read back from it or set by its flags. */
  batching?: BatchingPolicy;
  coldStartMs: number;
  exited(): { code: number | null; signal: string | null } | undefined;
  logTail(): string;
  stop(): Promise<{ code: number | null; signal: string | null }>;
}

/** Starts the model server a triton-* or tfserving-* stack needs and probes it until its model is ready. */
export async function launchModelServer(o: ModelServerOptions): Promise<LaunchedModelServer> {
  const kind = modelServerKind(o.backend);
  if (kind === 'triton') return launchTriton(o);
  if (kind === 'tfserving') return launchTfServing(o);
  throw new LaunchError('spawn', `${o.backend} needs no model server`);
}

export interface ModelServerHookOptions {
  root: string;
  files: ModelFiles;
  settings: Pick<RunSettings, 'maxBatchSize' | 'maxQueueDelayUs' | 'intraOpThreads'>;
  note?: (line: string) => void;
}

const infoOf = new WeakMap<LaunchedStack, { info: Record<string, string>; batching?: BatchingPolicy }>();

/** What the model server behind a stack was (server, versions, batching), for the stack's backendInfo. */
export function modelServerInfo(stack: LaunchedStack): Record<string, string> {
  return infoOf.get(stack)?.info ?? {};
}

/** The batching policy of the model server behind a stack, when the runner started one and knows it. */
export function modelServerBatching(stack: LaunchedStack): BatchingPolicy | undefined {
  return infoOf.get(stack)?.batching;
}

/** Records what the model server behind a launched stack was (the compose launcher runs its own). */
export function recordModelServerInfo(
  stack: LaunchedStack,
  info: Record<string, string>,
  batching?: BatchingPolicy,
): void {
  infoOf.set(stack, { info, batching });
}

/**
 * Wraps a launcher so that a triton-* or tfserving-* stack gets its model server: started and
 * probed first, its URL passed to the stack as MODEL_SERVER_URL, stopped after the stack. Resources
 * are sampled over both process trees, so a proxy stack's CPU and memory include the model server.
 * A model server that cannot run here makes the stack skipped, with the reason.
 */
export function withModelServer(launch: Launcher, o: ModelServerHookOptions): Launcher {
  return async (stack, opts) => {
    if (!modelServerKind(stack.backend)) return launch(stack, opts);
    const ms = await launchModelServer({
      backend: stack.backend,
      files: o.files,
      root: o.root,
      logFile: opts.logFile.replace(/(\.log)?$/, '.modelserver.log'),
      readyTimeoutMs: opts.readyTimeoutMs,
      maxBatchSize: o.settings.maxBatchSize,
      maxQueueDelayUs: o.settings.maxQueueDelayUs,
      intraOpThreads: o.settings.intraOpThreads,
      note: o.note,
      cpus: opts.cpus,
    });
    o.note?.(`${stack.id}: ${ms.info.model_server ?? ms.kind} ready in ${ms.coldStartMs} ms (pid ${ms.pid})`);
    let inner: LaunchedStack;
    try {
      inner = await launch(stack, { ...opts, env: { ...ms.env, ...opts.env } });
    } catch (e) {
      await ms.stop();
      throw e;
    }
    const msDied = () => {
      const x = ms.exited();
      return x ? { code: x.code, signal: `model server ${x.signal ?? `exit ${x.code}`}` } : undefined;
    };
    const launched: LaunchedStack = {
      ...inner,
      exited: () => inner.exited() ?? msDied(),
      logTail: () => (msDied() ? `model server log:\n${ms.logTail()}` : inner.logTail()),
      sampleResources: () => sumSamplers([inner.pid, ms.pid].map((p) => startSampler(p, 250))),
      pids: () => [...(inner.pids?.() ?? [inner.pid]), ms.pid],
      stop: async () => {
        try {
          return await inner.stop();
        } finally {
          await ms.stop();
        }
      },
    };
    recordModelServerInfo(launched, { ...ms.info, model_server_cold_start_ms: String(ms.coldStartMs) }, ms.batching);
    return launched;
  };
}
