// Triton (tritonserver 2.x from nvidia-pytriton) on CPU, started through modelservers/triton/serve.py.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeTritonRepo, type TritonRepo } from '@servebench/model';
import { awaitReady, freePorts, stopGroup } from './child.js';
import type { BatchingPolicy } from '../rounds/batching.js';
import type { LaunchedModelServer, ModelServerOptions } from './modelserver.js';
import { modelServerEndpoints, spawnModelServer } from './modelserver-child.js';
import { httpGet, httpOk } from './ready.js';
import { LaunchError, MODEL } from './types.js';

/** Rows Triton accepts per request: at least the contract's 64 texts per request. */
const MIN_TRITON_BATCH = 64;

/**
 * Why Triton is not installed in `<root>/modelservers/triton/.venv`, or undefined when it is. The
 * normal build installs it (the @servebench/modelserver-triton workspace, from hash-pinned
 * requirements); without Python, or with a stale venv, triton-* stacks are skipped with this reason.
 */
export function tritonNotInstalled(root: string): string | undefined {
  const venv = join(root, 'modelservers', 'triton', '.venv');
  const build =
    'run `npm run build -w modelservers/triton` (pinned nvidia-pytriton 0.7.0 with tritonserver 2.51.0 and onnxruntime; 440 MB from PyPI)';
  if (existsSync(join(venv, 'UNAVAILABLE')))
    return `Triton cannot be installed here: ${readFileSync(join(venv, 'UNAVAILABLE'), 'utf8').trim()}`;
  let stamp: { requirements?: string } = {};
  try {
    stamp = JSON.parse(readFileSync(join(venv, '.servebench-stamp'), 'utf8')) as typeof stamp;
  } catch {
    return `Triton is not installed here: ${build}`;
  }
  const want = createHash('sha256')
    .update(readFileSync(join(root, 'modelservers', 'triton', 'requirements.txt')))
    .digest('hex');
  return stamp.requirements === want
    ? undefined
    : `Triton's venv does not match modelservers/triton/requirements.txt: ${build}`;
}

/** The run's Triton repository for this model (the process and compose launchers serve the same one). */
export function writeRunTritonRepo(
  o: Pick<ModelServerOptions, 'files' | 'maxBatchSize' | 'maxQueueDelayUs' | 'intraOpThreads'>,
): Promise<TritonRepo> {
  return writeTritonRepo(
    o.files,
    join(dirname(o.files.dir), 'triton', basename(o.files.dir)), // mini-s0, or a converted model's <name>-<source key>
    {
      modelName: MODEL,
      // Triton's max_batch_size also bounds one request's rows, so it never drops below the contract's 64 texts.
      maxBatchSize: Math.max(MIN_TRITON_BATCH, o.maxBatchSize),
      // The run's policy: batching off means no dynamic batcher at all (each request is its own model
      // execution, as in the in-process stacks). On, Triton cuts a batch at the run's max batch size
      // (the largest preferred size it can form) or when the oldest request has waited the run's delay.
      dynamicBatching:
        o.maxBatchSize > 1 ? { maxQueueDelayUs: o.maxQueueDelayUs, preferredBatchSizes: [o.maxBatchSize] } : undefined,
      intraOpThreads: o.intraOpThreads,
    },
  );
}

/**
 * The policy Triton runs, from serve.py's "serving" line (read from the config.pbtxt it loaded): no
 * dynamic_batching block is one request per execution; with one, batches are cut at the largest
 * preferred size (else max_batch_size) or after the queue delay.
 */
export function tritonBatching(ev: Record<string, unknown>): BatchingPolicy | undefined {
  if (typeof ev.max_batch_size !== 'number') return undefined; // no "serving" line yet
  if (ev.dynamic_batching === false) return { maxBatchSize: 1, maxQueueDelayUs: 0 };
  const preferred = Array.isArray(ev.preferred_batch_size) ? (ev.preferred_batch_size as number[]) : [];
  return {
    maxBatchSize: preferred.length ? Math.max(...preferred) : ev.max_batch_size,
    maxQueueDelayUs: Number(ev.max_queue_delay_us ?? 0),
  };
}

/** What ran, for results: from serve.py's "serving" line and Triton's /v2 metadata. */
export function tritonInfo(
  ev: Record<string, unknown>,
  meta: { name?: string; version?: string },
  repoRoot: string,
): Record<string, string> {
  return {
    model_server: `${meta.name ?? 'triton'} ${meta.version ?? '?'}`,
    launcher: `tritonserver ${String(ev.tritonserver ?? '?')} (from nvidia-pytriton ${String(ev.nvidia_pytriton ?? '?')}), Python backend, CPU`,
    model_runtime: `onnxruntime ${String(ev.onnxruntime ?? '?')} (Python, inside Triton's Python backend stub)`,
    dynamic_batching:
      ev.dynamic_batching === false
        ? `off (no dynamic_batching block), max_batch_size ${String(ev.max_batch_size)} rows per request, instances ${String(ev.instances)}`
        : `max_batch_size ${String(ev.max_batch_size)}, preferred_batch_size ${JSON.stringify(ev.preferred_batch_size ?? [])}, max_queue_delay_us ${String(ev.max_queue_delay_us)}, instances ${String(ev.instances)}`,
    model_repository: repoRoot,
  };
}

/**
 * Real Triton (tritonserver 2.x from nvidia-pytriton) on CPU: writes the Triton repository for this
 * model and starts modelservers/triton/serve.py, which runs tritonserver directly with the model in
 * its Python backend (onnxruntime inside the backend stub); probes /v2/health/ready and
 * /v2/models/bert/ready and waits for serve.py's "serving" line.
 */
export async function launchTriton(o: ModelServerOptions): Promise<LaunchedModelServer> {
  const dir = join(o.root, 'modelservers', 'triton');
  const python = join(dir, '.venv', 'bin', 'python');
  const missing = tritonNotInstalled(o.root);
  if (missing) throw new LaunchError('spawn', missing, true);
  const repo = await writeRunTritonRepo(o);
  const taken = [o.ports?.http, o.ports?.grpc];
  const [free1, free2, metrics] = (await freePorts(5)).filter((p) => !taken.includes(p)) as [number, number, number];
  const { http, grpc } = o.ports ?? { http: free1, grpc: free2 };
  const base = `http://127.0.0.1:${http}`;
  const t0 = performance.now();
  // Pinned before exec: tritonserver and its Python backend stubs inherit the set.
  const p = spawnModelServer(
    [
      python,
      join(dir, 'serve.py'),
      '--repo',
      repo.root,
      '--model',
      MODEL,
      '--http-port',
      String(http),
      '--grpc-port',
      String(grpc),
      '--metrics-port',
      String(metrics),
      '--exit-on-stdin-close',
    ],
    o,
  );
  // SIGTERM to serve.py alone: it stops tritonserver, which unloads the model and ends its backend
  // stubs in order (a group-wide SIGTERM kills the stubs first and Triton waits out its exit timeout).
  const stop = () => stopGroup(p, 30_000, { term: 'leader' });
  let coldStartMs: number;
  let meta: { name?: string; version?: string } = {};
  try {
    // Ready: the server, the model, and serve.py's "serving" line (what it runs) all there.
    coldStartMs = await awaitReady(p, {
      what: 'Triton',
      t0,
      timeoutMs: o.readyTimeoutMs,
      intervalMs: 100,
      ready: async () =>
        (await httpOk(`${base}/v2/health/ready`)) &&
        (await httpOk(`${base}/v2/models/${MODEL}/ready`)) &&
        p.event() !== undefined,
    });
    meta = JSON.parse((await httpGet(`${base}/v2`))?.body ?? '{}') as typeof meta;
  } catch (e) {
    await stop();
    throw e instanceof LaunchError
      ? new LaunchError(e.phase, `${e.unavailable ? 'Triton cannot run here: ' : ''}${e.message}`, e.unavailable)
      : e;
  }
  return {
    kind: 'triton',
    pid: p.pid,
    ...modelServerEndpoints(o.backend === 'triton-grpc', base, grpc),
    info: tritonInfo(p.event() ?? {}, meta, repo.root),
    batching: tritonBatching(p.event() ?? {}),
    coldStartMs,
    exited: p.exited,
    logTail: p.logTail,
    stop,
  };
}
