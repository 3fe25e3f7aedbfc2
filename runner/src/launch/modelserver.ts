import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { ensureTfServingRepo, writeTritonRepo, type ModelFiles } from '@servebench/model';
import type { RunSettings } from '../profiles.js';
import { startSampler, summarizeSeries, type ResourceSample, type Sampler } from '../resources/sampler.js';
import { stopChild, track } from './children.js';
import type { LaunchedStack, Launcher } from './compose.js';
import { LaunchError } from './process.js';

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
  coldStartMs: number;
  exited(): { code: number | null; signal: string | null } | undefined;
  logTail(): string;
  stop(): Promise<{ code: number | null; signal: string | null }>;
}

const MODEL = 'bert';
/** Rows Triton accepts per request: at least the contract's 64 texts per request. */
const MIN_TRITON_BATCH = 64;

/** Starts the model server a triton-* or tfserving-* stack needs and probes it until its model is ready. */
export async function launchModelServer(o: ModelServerOptions): Promise<LaunchedModelServer> {
  const kind = modelServerKind(o.backend);
  if (kind === 'triton') return launchTriton(o);
  if (kind === 'tfserving') return launchTfServing(o);
  throw new LaunchError('spawn', `${o.backend} needs no model server`);
}

/** n distinct free ports on 127.0.0.1 (all held open at once, then released for the server). */
async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * GET on a fresh connection that closes after the answer: keep-alive probe sockets would hold a
 * model server's shutdown (Triton waits for open HTTP connections up to its exit timeout).
 */
function httpGet(url: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

const httpOk = async (url: string) => (await httpGet(url))?.status === 200;

interface Spawned {
  child: ChildProcess;
  exited(): { code: number | null; signal: string | null } | undefined;
  logTail(): string;
  /** The first JSON line with {"event": ...} the process printed, if any. */
  event(): Record<string, unknown> | undefined;
}

function spawnLogged(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Spawned {
  // Own process group, so stop() reaches tritonserver and its backend stubs too; stdin is a pipe
  // the server watches, so it stops even if the runner is SIGKILLed.
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env });
  track(child);
  const log = createWriteStream(logFile, { flags: 'a' });
  let tail = '';
  let exit: { code: number | null; signal: string | null } | undefined;
  let event: Record<string, unknown> | undefined;
  let partial = '';
  child.stdout!.on('data', (c: Buffer) => {
    log.write(c);
    tail = (tail + c.toString()).slice(-6000);
    if (event) return;
    const lines = (partial + c.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      // tritonserver writes to the same pipe, so its output can land in front of ours on a line.
      const at = line.indexOf('{"event"');
      if (at < 0) continue;
      try {
        event = JSON.parse(line.slice(at)) as Record<string, unknown>;
      } catch {
        // not our JSON line
      }
    }
  });
  child.stderr!.on('data', (c: Buffer) => {
    log.write(c);
    tail = (tail + c.toString()).slice(-6000);
  });
  child.once('error', (e) => {
    exit = { code: null, signal: `spawn error: ${e.message}` };
  });
  child.once('exit', (code, signal) => {
    exit = { code, signal };
    log.end();
  });
  return { child, exited: () => exit, logTail: () => tail, event: () => event };
}

/**
 * SIGTERM to the launcher alone (serve.py then stops tritonserver, which unloads the model and ends
 * its backend stubs in order; a group-wide SIGTERM kills the stubs first and Triton waits out its
 * exit timeout), then SIGKILL to whatever is left in the group. After graceMs the whole group is killed.
 */
function stopLeader(child: ChildProcess, graceMs: number): Promise<{ code: number | null; signal: string | null }> {
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // group already gone
    }
  };
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup();
    return groupGone(child.pid!).then(() => ({ code: child.exitCode, signal: child.signalCode }));
  }
  return new Promise((resolve) => {
    const timer = setTimeout(killGroup, graceMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      killGroup();
      void groupGone(child.pid!).then(() => resolve({ code, signal }));
    });
    child.kill('SIGTERM');
  });
}

/**
 * Resolves once no process of the group is left (or after 10 s): a SIGKILLed tritonserver takes a
 * moment to die and holds its ports until then, so a restart on the same ports must wait for it.
 */
async function groupGone(pgid: number): Promise<void> {
  const end = performance.now() + 10_000;
  while (performance.now() < end) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls until `ready()` or the process exits or the deadline passes; returns ms from t0. */
async function probe(
  what: string,
  p: Spawned,
  t0: number,
  timeoutMs: number,
  ready: () => Promise<boolean>,
): Promise<number> {
  for (;;) {
    const exit = p.exited();
    if (exit) {
      throw new LaunchError(
        'spawn',
        `${what} exited with ${exit.code ?? exit.signal} before it was ready; its log ends:\n${lastLines(p.logTail(), 25)}`,
        true,
      );
    }
    if (performance.now() - t0 > timeoutMs) {
      throw new LaunchError(
        'ready',
        `${what} was not ready after ${timeoutMs} ms; its log ends:\n${lastLines(p.logTail(), 15)}`,
      );
    }
    if (await ready()) return Math.round(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The last n non-empty lines, the place where a server says why it stopped. */
function lastLines(text: string, n: number): string {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .slice(-n)
    .join('\n');
}

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

/**
 * Real Triton (tritonserver 2.x from nvidia-pytriton) on CPU: writes the Triton repository for this
 * model and starts modelservers/triton/serve.py, which runs tritonserver directly with the model in
 * its Python backend (onnxruntime inside the backend stub); probes /v2/health/ready and
 * /v2/models/bert/ready and waits for serve.py's "serving" line.
 */
async function launchTriton(o: ModelServerOptions): Promise<LaunchedModelServer> {
  const dir = join(o.root, 'modelservers', 'triton');
  const python = join(dir, '.venv', 'bin', 'python');
  const missing = tritonNotInstalled(o.root);
  if (missing) throw new LaunchError('spawn', missing, true);
  const repo = await writeTritonRepo(
    o.files,
    join(dirname(o.files.dir), 'triton', `${o.files.config.name}-s${o.files.seed}`),
    {
      modelName: MODEL,
      maxBatchSize: Math.max(MIN_TRITON_BATCH, o.maxBatchSize),
      // The same policy as the in-process stacks: with their batching off, Triton waits for no one either.
      maxQueueDelayUs: o.maxBatchSize > 1 ? o.maxQueueDelayUs : 0,
      intraOpThreads: o.intraOpThreads,
    },
  );
  const taken = [o.ports?.http, o.ports?.grpc];
  const [free1, free2, metrics] = (await freePorts(5)).filter((p) => !taken.includes(p)) as [number, number, number];
  const { http, grpc } = o.ports ?? { http: free1, grpc: free2 };
  const base = `http://127.0.0.1:${http}`;
  const t0 = performance.now();
  const p = spawnLogged(
    python,
    [
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
    o.logFile,
  );
  const stop = () => stopLeader(p.child, 30_000);
  let coldStartMs: number;
  let meta: { name?: string; version?: string } = {};
  try {
    // Ready: the server, the model, and serve.py's "serving" line (what it runs) all there.
    coldStartMs = await probe(
      'Triton',
      p,
      t0,
      o.readyTimeoutMs,
      async () =>
        (await httpOk(`${base}/v2/health/ready`)) &&
        (await httpOk(`${base}/v2/models/${MODEL}/ready`)) &&
        p.event() !== undefined,
    );
    meta = JSON.parse((await httpGet(`${base}/v2`))?.body ?? '{}') as typeof meta;
  } catch (e) {
    await stop();
    throw e instanceof LaunchError
      ? new LaunchError(e.phase, `Triton cannot run here: ${e.message}`, e.unavailable)
      : e;
  }
  const ev = p.event() ?? {};
  return {
    kind: 'triton',
    pid: p.child.pid!,
    env: { MODEL_SERVER_URL: o.backend === 'triton-grpc' ? `127.0.0.1:${grpc}` : base, MODEL_SERVER_MODEL: MODEL },
    urls: { http: base, grpc: `127.0.0.1:${grpc}` },
    info: {
      model_server: `${meta.name ?? 'triton'} ${meta.version ?? '?'}`,
      launcher: `tritonserver ${String(ev.tritonserver ?? '?')} (from nvidia-pytriton ${String(ev.nvidia_pytriton ?? '?')}), Python backend, CPU`,
      model_runtime: `onnxruntime ${String(ev.onnxruntime ?? '?')} (Python, inside Triton's Python backend stub)`,
      dynamic_batching: `max_batch_size ${String(ev.max_batch_size)}, max_queue_delay_us ${String(ev.max_queue_delay_us)}, instances ${String(ev.instances)}`,
      model_repository: repo.root,
    },
    coldStartMs,
    exited: p.exited,
    logTail: p.logTail,
    stop,
  };
}

/** Where TF Serving could come from here: its binary on PATH, or a local tensorflow/serving image. */
export function findTfServing(
  env: NodeJS.ProcessEnv = process.env,
): { binary: string } | { image: string } | { reason: string } {
  for (const d of (env.PATH ?? '').split(':')) {
    const b = join(d, 'tensorflow_model_server');
    if (d && existsSync(b)) return { binary: b };
  }
  const image = 'tensorflow/serving';
  const r = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', image], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.status === 0) return { image };
  const docker = r.error ? r.error.message : (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' ');
  return {
    reason:
      `TF Serving cannot run here: no tensorflow_model_server on PATH and no local ${image} image ` +
      `(docker image inspect ${image}: ${docker}). TF Serving ships only as that container image (Docker Hub) ` +
      `or a binary from its own apt repository, and neither is reachable from this machine; PyPI has only its client API.`,
  };
}

/** TF Serving from a tensorflow_model_server binary or a local tensorflow/serving image, over a SavedModel export. */
async function launchTfServing(o: ModelServerOptions): Promise<LaunchedModelServer> {
  const where = findTfServing();
  if ('reason' in where) throw new LaunchError('spawn', where.reason, true);
  let repo;
  try {
    repo = await ensureTfServingRepo(
      o.files,
      join(dirname(o.files.dir), 'tfserving', `${o.files.config.name}-s${o.files.seed}`),
      { modelName: MODEL },
    );
  } catch (e) {
    throw new LaunchError('spawn', `TF Serving cannot run here: ${(e as Error).message}`, true);
  }
  const [grpc, rest] = (await freePorts(2)) as [number, number];
  const flags = [`--port=${grpc}`, `--rest_api_port=${rest}`, `--model_name=${MODEL}`];
  const t0 = performance.now();
  const p =
    'binary' in where
      ? spawnLogged(where.binary, [...flags, `--model_base_path=${repo.basePath}`], o.logFile)
      : spawnLogged(
          'docker',
          [
            'run',
            '--rm',
            '-i',
            '--network',
            'host',
            '-v',
            `${repo.basePath}:/models/${MODEL}:ro`,
            where.image,
            ...flags,
            `--model_base_path=/models/${MODEL}`,
          ],
          o.logFile,
        );
  const stop = () => stopChild(p.child, 20_000);
  const base = `http://127.0.0.1:${rest}`;
  let coldStartMs: number;
  try {
    coldStartMs = await probe('TF Serving', p, t0, o.readyTimeoutMs, async () => {
      const r = await httpGet(`${base}/v1/models/${MODEL}`);
      const j = r?.status === 200 ? (JSON.parse(r.body) as { model_version_status?: { state?: string }[] }) : undefined;
      return j?.model_version_status?.some((v) => v.state === 'AVAILABLE') ?? false;
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    kind: 'tfserving',
    pid: p.child.pid!,
    env: { MODEL_SERVER_URL: o.backend === 'tfserving-grpc' ? `127.0.0.1:${grpc}` : base, MODEL_SERVER_MODEL: MODEL },
    urls: { http: base, grpc: `127.0.0.1:${grpc}` },
    info: {
      model_server: 'binary' in where ? `tensorflow_model_server (${where.binary})` : `docker image ${where.image}`,
      model_repository: repo.basePath,
    },
    coldStartMs,
    exited: p.exited,
    logTail: p.logTail,
    stop,
  };
}

export interface ModelServerHookOptions {
  root: string;
  files: ModelFiles;
  settings: Pick<RunSettings, 'maxBatchSize' | 'maxQueueDelayUs' | 'intraOpThreads'>;
  note?: (line: string) => void;
}

const infoOf = new WeakMap<LaunchedStack, Record<string, string>>();

/** What the model server behind a stack was (server, versions, batching), for the stack's backendInfo. */
export function modelServerInfo(stack: LaunchedStack): Record<string, string> {
  return infoOf.get(stack) ?? {};
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
      sampleResources: () => combinedSampler([inner.pid, ms.pid]),
      stop: async () => {
        try {
          return await inner.stop();
        } finally {
          await ms.stop();
        }
      },
    };
    infoOf.set(launched, { ...ms.info, model_server_cold_start_ms: String(ms.coldStartMs) });
    return launched;
  };
}

/** One Sampler over several process trees, summed sample by sample (they tick together). */
function combinedSampler(pids: number[]): Sampler {
  const parts = pids.map((p) => startSampler(p, 250));
  const first = parts[0]!;
  return {
    startEpochMs: first.startEpochMs,
    elapsedS: () => first.elapsedS(),
    stop: () => {
      const series = parts.map((p) => p.stop().samples);
      const n = Math.min(...series.map((s) => s.length));
      const samples: ResourceSample[] = series[0]!.slice(0, n).map((s, i) => ({
        tS: s.tS,
        cpuPct: series.reduce((a, x) => a + x[i]!.cpuPct, 0),
        rssMb: series.reduce((a, x) => a + x[i]!.rssMb, 0),
        procs: series.reduce((a, x) => a + x[i]!.procs, 0),
      }));
      return summarizeSeries(samples);
    },
  };
}
