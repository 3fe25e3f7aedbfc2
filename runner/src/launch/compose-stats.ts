// Container resources for `--launcher compose`: the Engine API's stats stream (or a streaming
// `docker stats` when the daemon is not on a local socket), parsed into readings and cut per cell.
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { summarizeSeries, type ResourceSample, type ResourceSeries, type Sampler } from '../resources/sampler.js';

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
