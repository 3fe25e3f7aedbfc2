// `--launcher compose`: a stack's service(s) from compose/compose.yaml, brought up with `docker compose`
// (v2) or `docker-compose` (v1), probed until ready, sampled with `docker stats`, and taken `down`
// again, also on Ctrl-C (exit hook) and when the runner is SIGKILLed (a detached reaper).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { StackSpec } from '../discover.js';
import { grpcServing } from '../load/grpc-run.js';
import { summarizeSeries, type ResourceSample, type ResourceSeries, type Sampler } from '../resources/sampler.js';
import { EXIT_BACKEND_UNAVAILABLE, LaunchError, type Launched, type LaunchOptions } from './process.js';

/** What run.ts needs from any launcher. */
export interface LaunchedStack extends Launched {
  /** Resources of the stack over one cell. Absent: the server pid's process tree from /proc. */
  sampleResources?(): Sampler;
}
export type Launcher = (stack: StackSpec, opts: LaunchOptions) => Promise<LaunchedStack>;

export interface ComposeConfig {
  /** The repo root: compose files in <root>/compose, models in <root>/models. */
  root: string;
  /** Compose project name, one per run (default servebench-<runner pid>). */
  project?: string;
  /** Force a compose CLI, e.g. ['docker-compose']; default: `docker compose` (v2) if present, else `docker-compose` (v1). */
  command?: string[];
  /** Seconds `down` gives a server to stop after SIGTERM. */
  stopGraceS?: number;
}

/** Model servers the proxy backends need, by backend prefix, with the URL a server uses to reach them. */
const MODEL_SERVERS: Array<{ prefix: string; service: string; url: (backend: string) => string }> = [
  {
    prefix: 'triton-',
    service: 'triton',
    url: (b) => (b === 'triton-grpc' ? '127.0.0.1:8001' : 'http://127.0.0.1:8000'),
  },
  {
    prefix: 'tfserving-',
    service: 'tfserving',
    url: (b) => (b === 'tfserving-grpc' ? '127.0.0.1:8500' : 'http://127.0.0.1:8501'),
  },
];

/** The compose services a stack needs: its server's, plus a model server for proxy backends. */
export function servicesOf(stack: StackSpec): { server: string; modelServer?: { service: string; url: string } } {
  const server = stack.server.compose ?? stack.server.id;
  const m = MODEL_SERVERS.find((x) => stack.backend.startsWith(x.prefix));
  return m ? { server, modelServer: { service: m.service, url: m.url(stack.backend) } } : { server };
}

/** GPU stacks get compose.gpu.yaml: the -gpu backends and anything run with DEVICE=cuda. */
export const needsGpu = (backend: string, env: Record<string, string>): boolean =>
  backend.endsWith('-gpu') || env.DEVICE === 'cuda';

/** `fastify` -> `FASTIFY_PORT`, the variable compose.yaml reads for the service's port. */
export const portVar = (service: string): string => `${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PORT`;

/** services.<name>.image from `config` output: JSON (v2 --format json) or the normalized YAML both versions print. */
export function parseConfigImages(text: string): Map<string, string> {
  const images = new Map<string, string>();
  if (text.trimStart().startsWith('{')) {
    const cfg = JSON.parse(text) as { services?: Record<string, { image?: string }> };
    for (const [name, svc] of Object.entries(cfg.services ?? {})) if (svc.image) images.set(name, svc.image);
    return images;
  }
  let inServices = false;
  let current: string | undefined;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) {
      inServices = line.startsWith('services:');
      current = undefined;
      continue;
    }
    if (!inServices) continue;
    const svc = /^ {2}([A-Za-z0-9_.-]+):\s*$/.exec(line);
    if (svc) {
      current = svc[1];
      continue;
    }
    const img = /^ {4}image:\s*(.+?)\s*$/.exec(line);
    if (img && current) images.set(current, img[1]!.replace(/^(['"])(.*)\1$/, '$2'));
  }
  return images;
}

const UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};

/** `113.7MiB` -> bytes (docker stats prints binary units for memory). */
export function parseSize(text: string): number | undefined {
  const m = /^([\d.]+)\s*([kKmMgGtT]?i?B)$/.exec(text.trim());
  const unit = m && UNITS[m[2]!.toUpperCase()];
  return m && unit ? Number(m[1]) * unit : undefined;
}

/** One `docker stats --no-stream --format '{{json .}}'` line: CPU (100 = one core), memory in MiB, PIDs. */
export function parseDockerStats(line: string): { cpuPct: number; memMb: number; pids: number } | undefined {
  let j: { CPUPerc?: string; MemUsage?: string; PIDs?: string };
  try {
    j = JSON.parse(line.trim()) as typeof j;
  } catch {
    return undefined;
  }
  const cpu = Number(j.CPUPerc?.replace('%', ''));
  const mem = parseSize(j.MemUsage?.split('/')[0] ?? '');
  if (!Number.isFinite(cpu) || mem === undefined) return undefined;
  return { cpuPct: cpu, memMb: mem / 1024 ** 2, pids: Number(j.PIDs) || 0 };
}

/** The env file the server container reads (compose.yaml: env_file). One KEY=VALUE a line, no quoting. */
export function envFileText(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /[\r\n]/.test(v))
        throw new LaunchError('spawn', `cannot pass ${k} through an env file`);
      return `${k}=${v}\n`;
    })
    .join('');
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws (a missing binary is code null with the error in stderr). */
function run(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(cmd, args, { env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = o.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), o.timeoutMs) : undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: e.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A port on 127.0.0.1 that nothing listens on right now (the container binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface Reading {
  /** Epoch ms of the daemon's reading; it stands for the interval since fromMs. */
  atMs: number;
  fromMs: number;
  cpuPct: number;
  memMb: number;
  pids: number;
}

/** The engine's stats object (what `docker stats` shows), as a reading over [preread, read]. */
export function parseEngineStats(text: string): Reading | undefined {
  let j: {
    read?: string;
    preread?: string;
    cpu_stats?: { cpu_usage?: { total_usage?: number } };
    precpu_stats?: { cpu_usage?: { total_usage?: number } };
    memory_stats?: { usage?: number; stats?: Record<string, number> };
    pids_stats?: { current?: number };
  };
  try {
    j = JSON.parse(text) as typeof j;
  } catch {
    return undefined;
  }
  const atMs = Date.parse(j.read ?? '');
  const fromMs = Date.parse(j.preread ?? '');
  const cpu = j.cpu_stats?.cpu_usage?.total_usage;
  const precpu = j.precpu_stats?.cpu_usage?.total_usage;
  // The first object of a stream has no previous reading (preread is year 1).
  if (!(atMs > fromMs) || fromMs <= 0 || cpu === undefined || !precpu || j.memory_stats?.usage === undefined)
    return undefined;
  // Like the docker CLI: usage less inactive page cache (cgroup v1: total_inactive_file, v2: inactive_file).
  const st = j.memory_stats.stats ?? {};
  const mem = j.memory_stats.usage - (st.total_inactive_file ?? st.inactive_file ?? 0);
  return {
    atMs,
    fromMs,
    cpuPct: ((cpu - precpu) / 1e6 / (atMs - fromMs)) * 100,
    memMb: mem / 1024 ** 2,
    pids: j.pids_stats?.current ?? 0,
  };
}

/** The Docker socket, or undefined when DOCKER_HOST points elsewhere (then the CLI is used). */
function dockerSocket(): string | undefined {
  const host = process.env.DOCKER_HOST;
  if (!host) return '/var/run/docker.sock';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

/**
 * Container CPU (100 = one core) and memory for the life of a launched stack: the numbers
 * `docker stats` prints, one reading a second, each over [preread, read] as the daemon stamped it.
 * From the engine's stats stream when the socket is local; otherwise from a streaming `docker stats`
 * (CLI readings carry no time of their own and lag by up to ~1.5 s). One `docker stats --no-stream`
 * per sample would take ~2 s (two collector ticks) and lose the reading in flight at a cell's end.
 */
export function dockerStats(containerId: string): { sampler(): Sampler; close(): void } {
  const readings: Reading[] = [];
  const push = (r: Reading | undefined) => {
    const last = readings[readings.length - 1];
    if (r && (!last || r.atMs > last.atMs)) readings.push(r);
  };
  const onLines = (each: (line: string) => void) => {
    let buffered = '';
    return (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      lines.forEach(each);
    };
  };
  let close: () => void;
  const socket = dockerSocket();
  if (socket) {
    const req = httpRequest({ socketPath: socket, path: `/containers/${containerId}/stats?stream=1` }, (res) => {
      res.on(
        'data',
        onLines((line) => push(parseEngineStats(line))),
      );
      res.on('error', () => undefined);
    });
    req.on('error', () => undefined);
    req.end();
    close = () => req.destroy();
  } else {
    let first = true;
    const child = spawn('docker', ['stats', '--no-trunc', '--format', '{{json .}}', containerId], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.once('error', () => undefined);
    child.stdout!.on(
      'data',
      onLines((line) => {
        // Each redraw starts with a clear-screen escape before the JSON.
        const r = parseDockerStats(line.slice(Math.max(0, line.indexOf('{'))));
        if (!r) return;
        if (first) {
          first = false; // no previous CPU counter yet: 0%
          return;
        }
        // The CLI redraws every 0.5 s but the daemon reads once a second: keep new readings only.
        const last = readings[readings.length - 1];
        if (last && last.cpuPct === r.cpuPct && last.memMb === r.memMb && last.pids === r.pids) return;
        const atMs = performance.timeOrigin + performance.now();
        push({ atMs, fromMs: atMs - 1000, cpuPct: r.cpuPct, memMb: r.memMb, pids: r.pids });
      }),
    );
    close = () => child.kill('SIGKILL');
  }
  return {
    sampler: () => {
      const t0 = performance.now();
      const startEpochMs = performance.timeOrigin + t0;
      let stopped: ResourceSeries | undefined;
      return {
        startEpochMs,
        elapsedS: () => (performance.now() - t0) / 1000,
        stop: () => {
          if (stopped) return stopped;
          const endMs = performance.timeOrigin + performance.now();
          // Readings that lie mostly inside this cell.
          const samples: ResourceSample[] = readings
            .filter((x) => (x.atMs + x.fromMs) / 2 > startEpochMs && x.atMs <= endMs)
            .map((x) => ({ tS: (x.atMs - startEpochMs) / 1000, cpuPct: x.cpuPct, rssMb: x.memMb, procs: x.pids }));
          return (stopped = summarizeSeries(samples));
        },
      };
    },
    close: () => close(),
  };
}

/** Projects that are up, for the exit hook. */
const live = new Map<string, { cmd: string[]; env: NodeJS.ProcessEnv; reaper?: ChildProcess }>();
let hooked = false;

function composeDownSync(cmd: string[], env: NodeJS.ProcessEnv): void {
  spawnSync(cmd[0]!, [...cmd.slice(1), 'down', '-t', '5'], { env, stdio: 'ignore', timeout: 60_000 });
}

/** On any exit (Ctrl-C included) take every live project down before the runner goes. */
function installExitHook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const p of live.values()) {
      composeDownSync(p.cmd, p.env);
      p.reaper?.kill('SIGKILL');
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      if (live.size) process.stderr.write(`\nservebench: ${sig}, taking ${live.size} compose project(s) down\n`);
      process.exit(130);
    });
  }
}

/**
 * Takes the project down once the runner is gone even if it was SIGKILLed: a detached shell waits
 * for its stdin (a pipe from the runner) to close. Killed by stop() on the normal path.
 */
function startReaper(cmd: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const reaper = spawn(
    'sh',
    ['-c', 'cat >/dev/null; exec "$@"', 'servebench-compose-reaper', ...cmd, 'down', '-t', '5'],
    {
      env,
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  reaper.once('error', () => undefined);
  reaper.unref();
  (reaper.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return reaper;
}

interface DockerState {
  ok: boolean;
  reason: string;
  compose: string[];
}

/** Is docker usable, and which compose CLI? Asked once per launcher. */
async function probeDocker(forced: string[] | undefined): Promise<DockerState> {
  const info = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 });
  if (info.code === null && /ENOENT/.test(info.stderr)) {
    return { ok: false, reason: 'docker is not installed (apt-get install -y docker.io docker-compose)', compose: [] };
  }
  if (info.code !== 0) {
    return {
      ok: false,
      reason: `the Docker daemon does not answer (start it: sh compose/scripts/dockerd.sh): ${info.stderr.trim().split('\n').pop() ?? ''}`,
      compose: [],
    };
  }
  const candidates = forced ? [forced] : [['docker', 'compose'], ['docker-compose']];
  for (const c of candidates) {
    const v = await run(c[0]!, [...c.slice(1), 'version'], { timeoutMs: 15_000 });
    if (v.code === 0) return { ok: true, reason: '', compose: c };
  }
  return {
    ok: false,
    reason: `no compose CLI: tried ${candidates.map((c) => c.join(' ')).join(', ')} (apt-get install -y docker-compose)`,
    compose: [],
  };
}

/** The compose launcher for one run. Stacks that cannot run here throw LaunchError(unavailable): skipped. */
export function composeLauncher(cfg: ComposeConfig): Launcher {
  const project = cfg.project ?? `servebench-${process.pid}`;
  const dir = join(cfg.root, 'compose');
  const file = join(dir, 'compose.yaml');
  const gpuFile = join(dir, 'compose.gpu.yaml');
  const graceS = cfg.stopGraceS ?? 15;
  let docker: Promise<DockerState> | undefined;

  return async (stack, opts) => {
    const state = await (docker ??= probeDocker(cfg.command));
    if (!state.ok) throw new LaunchError('spawn', state.reason, true);
    if (!existsSync(file)) throw new LaunchError('spawn', `${file} is missing`, true);
    const { server: service, modelServer } = servicesOf(stack);
    const serverEnv: Record<string, string> = { ...stack.server.env, ...opts.env, BACKEND: stack.backend };
    if (modelServer && !serverEnv.MODEL_SERVER_URL) serverEnv.MODEL_SERVER_URL = modelServer.url;
    const gpu = needsGpu(stack.backend, serverEnv);
    if (gpu && !existsSync('/dev/nvidiactl'))
      throw new LaunchError(
        'spawn',
        `${stack.id} needs a GPU (compose.gpu.yaml) and this machine has no NVIDIA device`,
        true,
      );

    const port = await freePort();
    const envFile = opts.logFile.replace(/\.log$/, '') + '.env';
    writeFileSync(envFile, envFileText(serverEnv));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SERVEBENCH_ENV_FILE: envFile,
      SERVEBENCH_MODELS_DIR: join(cfg.root, 'models'),
      [portVar(service)]: String(port),
      // compose.yaml interpolates these into the model servers' repository paths.
      MODEL: serverEnv.MODEL ?? 'mini',
      MODEL_SEED: serverEnv.MODEL_SEED ?? '0',
    };
    const cmd = [...state.compose, '-p', project, '-f', file, ...(gpu ? ['-f', gpuFile] : [])];
    const compose = (args: string[], timeoutMs = 120_000) =>
      run(cmd[0]!, [...cmd.slice(1), ...args], { env, timeoutMs });

    // Every image must be here already: nothing can be pulled on this machine, and a pull would only hang.
    const services = [...(modelServer ? [modelServer.service] : []), service];
    const v2 = state.compose[0] === 'docker';
    const config = await compose(v2 ? ['config', '--format', 'json'] : ['config']);
    if (config.code !== 0) throw new LaunchError('spawn', `compose config failed: ${config.stderr.trim()}`);
    const images = parseConfigImages(config.stdout);
    const imageNotes: string[] = [];
    for (const svc of services) {
      const image = images.get(svc);
      if (!image) throw new LaunchError('spawn', `compose.yaml has no service "${svc}" with an image`, true);
      const present = await run(
        'docker',
        [
          'image',
          'inspect',
          '--format',
          `${image} {{.Id}} created {{.Created}} revision {{index .Config.Labels "org.opencontainers.image.revision"}}`,
          image,
        ],
        { timeoutMs: 15_000 },
      );
      if (present.code !== 0) {
        const hint = image.startsWith('servebench-')
          ? 'build it: sh compose/build.sh'
          : 'it cannot be pulled here (no registry access)';
        throw new LaunchError('spawn', `image ${image} (service ${svc}) is not present locally; ${hint}`, true);
      }
      // Images are snapshots of dist/ at build time: say which one ran.
      imageNotes.push(present.stdout.trim());
    }

    const log = createWriteStream(opts.logFile);
    // The log file gets compose's output too; the tail (reasons, post-mortems) only the server's.
    let tail = '';
    const note = (text: string) => log.write(text);
    const keep = (chunk: Buffer | string) => {
      log.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    };
    note(`[images] ${imageNotes.join('; ')}\n`);
    installExitHook();
    const t0 = performance.now();
    live.set(project, { cmd, env, reaper: startReaper(cmd, env) });
    const followers: ChildProcess[] = [];
    const closers: Array<() => void> = [];
    let exit: { code: number | null; signal: string | null } | undefined;
    let stopping: Promise<{ code: number | null; signal: string | null }> | undefined;
    let exited: Promise<void> = Promise.resolve();

    const stop = () =>
      (stopping ??= (async () => {
        const down = await compose(['down', '-t', String(graceS)], (graceS + 60) * 1000);
        note(`\n[compose down: ${down.code}] ${down.stderr}`);
        // `docker wait` reports the exit status as the container stops; give it a moment after `down`.
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
        for (const f of followers) f.kill('SIGKILL');
        for (const close of closers) close();
        live.get(project)?.reaper?.kill('SIGKILL');
        live.delete(project);
        log.end();
        return exit ?? { code: null, signal: null };
      })());

    try {
      const up = await compose(
        ['up', '-d', '--no-build', ...(v2 ? ['--pull', 'never'] : []), ...services],
        opts.readyTimeoutMs,
      );
      note(`[compose up: ${up.code}] ${up.stderr}${up.stdout}`);
      if (up.code !== 0)
        throw new LaunchError('spawn', `compose up failed (${up.code}): ${up.stderr.trim().slice(-1500)}`);
      const ps = await compose(['ps', '-q', service]);
      const id = ps.stdout.trim().split('\n')[0];
      if (!id) throw new LaunchError('spawn', `compose up started no container for ${service}`);

      let listening: { url: string; loadMs?: number } | undefined;
      let buffered = '';
      const logs = spawn('docker', ['logs', '-f', id], { stdio: ['ignore', 'pipe', 'pipe'] });
      followers.push(logs);
      logs.stderr.on('data', keep);
      logs.stdout.on('data', (chunk: Buffer) => {
        keep(chunk);
        if (listening) return;
        buffered += chunk.toString();
        for (const line of buffered.split('\n')) {
          if (!line.startsWith('{')) continue;
          try {
            const ev = JSON.parse(line) as { event?: string; url?: string; loadMs?: number };
            if (ev.event === 'listening' && ev.url) listening = { url: ev.url, loadMs: ev.loadMs };
          } catch {
            // not a JSON log line
          }
        }
        buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
      });
      const wait = spawn('docker', ['wait', id], { stdio: ['ignore', 'pipe', 'ignore'] });
      followers.push(wait);
      exited = new Promise((resolve) => {
        let out = '';
        wait.stdout.on('data', (d: Buffer) => (out += d.toString()));
        wait.once('close', () => {
          const code = Number.parseInt(out.trim(), 10);
          if (Number.isInteger(code)) exit = { code, signal: null };
          resolve();
        });
      });

      const baseUrl = `http://127.0.0.1:${port}`;
      const deadline = t0 + opts.readyTimeoutMs;
      for (;;) {
        if (exit) {
          const unavailable = exit.code === EXIT_BACKEND_UNAVAILABLE;
          throw new LaunchError(
            'spawn',
            unavailable
              ? tail.trim().slice(-800)
              : `container exited with ${exit.code} before it was ready:\n${tail.slice(-1500)}`,
            unavailable,
          );
        }
        if (performance.now() > deadline) {
          throw new LaunchError(
            'ready',
            `not ready after ${opts.readyTimeoutMs} ms (container ${id.slice(0, 12)} on port ${port}, ${listening ? 'listening, but not ready' : 'never reported a listening port'})`,
          );
        }
        const ok =
          stack.server.protocol === 'grpc'
            ? await grpcServing(baseUrl, 2000)
            : await fetch(new URL('/readyz', baseUrl), { signal: AbortSignal.timeout(2000) }).then(
                (r) => r.ok,
                () => false,
              );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const coldStartMs = Math.round(performance.now() - t0);
      const pid = Number(
        (await run('docker', ['inspect', '--format', '{{.State.Pid}}', id], { timeoutMs: 15_000 })).stdout.trim(),
      );
      const stats = dockerStats(id);
      closers.push(stats.close);
      return {
        pid,
        host: '127.0.0.1',
        port,
        baseUrl,
        coldStartMs,
        modelLoadMs: listening?.loadMs,
        exited: () => exit,
        stop,
        logTail: () => tail,
        sampleResources: stats.sampler,
      };
    } catch (e) {
      await stop();
      throw e;
    }
  };
}
