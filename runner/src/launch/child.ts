// The runner's one helper for child processes: spawn in a process group of its own, a log file with
// the last few KB kept in memory, the servers' JSON event lines (`{"event":"listening",...}`), probing
// until ready, and free ports. Stopping the whole group is in group.ts. Every launcher (process,
// compose, model servers) goes through it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { EXIT_BACKEND_UNAVAILABLE } from '@servebench/contract';

export { freePorts } from '@servebench/contract';
import { forget, groupMembers, track, type Exit } from './group.js';
import { LaunchError } from './types.js';

export { EXIT_BACKEND_UNAVAILABLE };

export { groupMembers, stopGroup, type Exit } from './group.js';

/** A server's JSON log line: `{"event": "listening", "url": ..., "loadMs": ...}` and the like. */
export type JsonEvent = Record<string, unknown> & { event: string };

/**
 * Calls onEvent for each JSON line with an "event" key. The object may start mid-line: a model
 * server writing to the same pipe can put its own output in front of ours.
 */
export function eventLines(onEvent: (ev: JsonEvent) => void): (chunk: Buffer | string) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const at = line.indexOf('{"event"');
      if (at < 0) continue;
      try {
        onEvent(JSON.parse(line.slice(at)) as JsonEvent);
      } catch {
        // not one of our JSON lines
      }
    }
  };
}

/** The `listening` event's URL and model load time, if ev is one. */
export function listeningOf(ev: JsonEvent): { url: string; loadMs?: number } | undefined {
  return ev.event === 'listening' && typeof ev.url === 'string'
    ? { url: ev.url, loadMs: typeof ev.loadMs === 'number' ? ev.loadMs : undefined }
    : undefined;
}

/**
 * A log file plus its tail in memory. A failing file (ENOSPC, a removed directory) never takes the
 * runner down: the error is kept, writing stops, and the tail goes on.
 */
export class LogSink {
  private readonly file: WriteStream;
  private tailText = '';
  private failed: Error | undefined;

  constructor(
    path: string,
    private readonly o: { append?: boolean; tailChars?: number } = {},
  ) {
    this.file = createWriteStream(path, { flags: o.append ? 'a' : 'w' });
    this.file.on('error', (e) => {
      this.failed ??= e;
    });
  }

  /** To the file, and to the tail unless tail is false (the runner's own notes). */
  write(chunk: Buffer | string, tail = true): void {
    if (!this.failed && !this.file.destroyed) this.file.write(chunk);
    if (tail) this.tailText = (this.tailText + chunk.toString()).slice(-(this.o.tailChars ?? 4000));
  }

  tail(): string {
    return this.failed ? `${this.tailText}\n[log file: ${this.failed.message}]` : this.tailText;
  }

  error(): Error | undefined {
    return this.failed;
  }

  end(): void {
    if (!this.failed) this.file.end();
  }
}

export interface ChildOptions {
  /** The command line. A caller may prefix it (e.g. `taskset -c 0,1 ...`): nothing here assumes argv[0]. */
  argv: readonly string[];
  /** The complete environment of the child. */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  appendLog?: boolean;
  tailChars?: number;
}

export interface Child {
  process: ChildProcess;
  pid: number;
  exited(): Exit | undefined;
  /** Why spawn failed (ENOENT and the like), if it did. */
  spawnError(): Error | undefined;
  logTail(): string;
  /** The first JSON event line, or the first with this name. */
  event(name?: string): JsonEvent | undefined;
  listening(): { url: string; loadMs?: number } | undefined;
}

/**
 * Spawns argv in a process group of its own (so a stop reaches cluster workers and a model server's
 * own children), with stdin a pipe the servers watch (EXIT_ON_STDIN_CLOSE), so they stop even if the
 * runner is SIGKILLed. stdout and stderr go to the log file and the tail.
 */
export function spawnChild(o: ChildOptions): Child {
  const [cmd, ...args] = o.argv;
  if (!cmd) throw new LaunchError('spawn', 'empty command line');
  const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const log = new LogSink(o.logFile, { append: o.appendLog, tailChars: o.tailChars });
  let exit: Exit | undefined;
  let spawnError: Error | undefined;
  const events: JsonEvent[] = [];
  let listening: { url: string; loadMs?: number } | undefined;
  const scan = eventLines((ev) => {
    if (events.length < 50) events.push(ev);
    listening ??= listeningOf(ev);
  });
  child.stdout!.on('data', (c: Buffer) => {
    log.write(c);
    scan(c);
  });
  child.stderr!.on('data', (c: Buffer) => log.write(c));
  // A server that stops reading stdin (or is gone) must not turn into an EPIPE on the runner.
  child.stdin!.on('error', () => undefined);
  child.once('error', (e) => {
    spawnError = e;
    exit ??= { code: null, signal: `spawn error: ${e.message}` };
    log.end();
  });
  child.once('exit', (code, signal) => {
    exit = { code, signal };
    log.end();
    if (child.pid !== undefined && groupMembers(child.pid).length === 0) forget(child.pid);
  });
  if (child.pid !== undefined) track(child.pid);
  return {
    process: child,
    pid: child.pid ?? -1,
    exited: () => exit,
    spawnError: () => spawnError,
    logTail: () => log.tail(),
    event: (name) => (name ? events.find((e) => e.event === name) : events[0]),
    listening: () => listening,
  };
}

/** What awaitReady watches: a child, or a container (compose). */
export interface Watched {
  exited(): Exit | undefined;
  logTail(): string;
  spawnError?(): Error | undefined;
}

/**
 * Polls ready() until it says yes (returns ms since t0), the process exits, or the deadline passes.
 * An exit with EXIT_BACKEND_UNAVAILABLE means "cannot run here" (LaunchError.unavailable: skipped);
 * any other exit before ready is a failure, with the end of the log.
 */
export async function awaitReady(
  p: Watched,
  o: {
    what: string;
    t0: number;
    timeoutMs: number;
    ready: () => Promise<boolean>;
    intervalMs?: number;
    /** What the timeout message says about the state reached. */
    notReady?: () => string;
  },
): Promise<number> {
  for (;;) {
    const spawnError = p.spawnError?.();
    if (spawnError) throw new LaunchError('spawn', `${o.what}: ${spawnError.message}`);
    const exit = p.exited();
    if (exit) {
      const tail = p.logTail();
      if (exit.code === EXIT_BACKEND_UNAVAILABLE) throw new LaunchError('spawn', tail.trim().slice(-800), true);
      throw new LaunchError(
        'spawn',
        `${o.what} exited with ${exit.code ?? exit.signal} before it was ready; its log ends:\n${lastLines(tail, 25)}`,
      );
    }
    if (performance.now() - o.t0 > o.timeoutMs) {
      throw new LaunchError(
        'ready',
        `${o.what} was not ready after ${o.timeoutMs} ms${o.notReady ? ` (${o.notReady()})` : ''}; its log ends:\n${lastLines(p.logTail(), 15)}`,
      );
    }
    if (await o.ready()) return Math.round(performance.now() - o.t0);
    await sleep(o.intervalMs ?? 50);
  }
}

/** The last n non-empty lines, where a server says why it stopped. */
export function lastLines(text: string, n: number): string {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .slice(-n)
    .join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a command to completion; never throws (a missing binary is code null with the error in stderr). */
export function runToEnd(
  argv: readonly string[],
  o: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(argv[0]!, argv.slice(1), { env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
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
