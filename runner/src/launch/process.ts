import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { track, stopChild } from './children.js';
import type { StackSpec } from '../discover.js';
import { grpcServing } from '../load/grpc-run.js';

export interface LaunchOptions {
  env: Record<string, string>;
  readyTimeoutMs: number;
  /** Server stdout/stderr go here, for the post-mortem of a failed stack. */
  logFile: string;
  /** HTTP path probed for readiness (default /readyz). */
  readyPath?: string;
}

export interface Launched {
  pid: number;
  host: string;
  port: number;
  baseUrl: string;
  /** Spawn to first 200 from /readyz (gRPC: first SERVING from grpc.health.v1). */
  coldStartMs: number;
  /** As reported by the server: model generation/loading time. */
  modelLoadMs: number | undefined;
  /** Set once the process has exited (a crash while measuring). */
  exited(): { code: number | null; signal: string | null } | undefined;
  stop(): Promise<{ code: number | null; signal: string | null }>;
  logTail(): string;
}

/** Exit status a server uses for "this backend cannot run on this machine" (see @servebench/core). */
export const EXIT_BACKEND_UNAVAILABLE = 78;

export class LaunchError extends Error {
  constructor(
    readonly phase: 'spawn' | 'ready',
    message: string,
    /** The stack cannot run here at all (missing runtime, GPU, model server): skipped, not failed. */
    readonly unavailable = false,
  ) {
    super(message);
  }
}

/** Starts a stack as a child process on 127.0.0.1 (port chosen by the OS) and probes it until ready. */
export async function launchProcess(stack: StackSpec, opts: LaunchOptions): Promise<Launched> {
  const [cmd, ...args] = stack.server.start;
  const t0 = performance.now();
  const child: ChildProcess = spawn(cmd!, args, {
    cwd: stack.server.dir,
    // EXIT_ON_STDIN_CLOSE: the server stops when this pipe closes, even if the runner is SIGKILLed.
    env: {
      ...process.env,
      ...stack.server.env,
      ...opts.env,
      HOST: '127.0.0.1',
      PORT: '0',
      BACKEND: stack.backend,
      EXIT_ON_STDIN_CLOSE: '1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
    // Own process group, so stop() reaches cluster workers too.
    detached: true,
  });
  track(child);
  const log = createWriteStream(opts.logFile);
  let tail = '';
  let exit: { code: number | null; signal: string | null } | undefined;
  let listening: { url: string; loadMs?: number } | undefined;
  let buffered = '';
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', (chunk: Buffer) => {
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
  child.stderr!.on('data', keep);
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new LaunchError('spawn', e.message))),
  );
  spawnError.catch(() => undefined);
  child.once('exit', (code, signal) => {
    exit = { code, signal };
    log.end();
  });

  const stop = () => stopChild(child, 10_000);
  const deadline = t0 + opts.readyTimeoutMs;
  try {
    await Promise.race([spawnError, waitReady()]);
  } catch (e) {
    await stop();
    throw e;
  }
  const url = new URL(listening!.url);
  return {
    pid: child.pid!,
    host: url.hostname,
    port: Number(url.port),
    baseUrl: listening!.url,
    coldStartMs: Math.round(performance.now() - t0),
    modelLoadMs: listening!.loadMs,
    exited: () => exit,
    stop,
    logTail: () => tail,
  };

  async function waitReady(): Promise<void> {
    // Probe, never sleep-and-hope: poll /readyz every 50 ms until 200 or the deadline.
    for (;;) {
      if (exit) {
        const unavailable = exit.code === EXIT_BACKEND_UNAVAILABLE;
        throw new LaunchError(
          'spawn',
          unavailable
            ? tail.trim().slice(-800)
            : `exited with ${exit.code ?? exit.signal} before it was ready:\n${tail.slice(-1500)}`,
          unavailable,
        );
      }
      if (performance.now() > deadline) {
        throw new LaunchError(
          'ready',
          `not ready after ${opts.readyTimeoutMs} ms (${listening ? `listening at ${listening.url}, ${stack.server.protocol === 'grpc' ? 'grpc.health.v1 never said SERVING' : '/readyz never answered 200'}` : 'never reported a listening port'})`,
        );
      }
      if (listening) {
        const ok =
          stack.server.protocol === 'grpc'
            ? await grpcServing(listening.url, 2000)
            : await fetch(new URL(opts.readyPath ?? '/readyz', listening.url), { signal: AbortSignal.timeout(2000) })
                .then((r) => r.ok)
                .catch(() => false);
        if (ok) return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
