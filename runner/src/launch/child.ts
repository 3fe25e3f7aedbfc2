// The runner's one helper for child processes: spawn in a process group of its own, a log file with
// the last few KB kept in memory, the servers' JSON event lines (`{"event":"listening",...}`), probing
// until ready, free ports, and stopping the whole group. Every launcher (process, compose, model
// servers) goes through it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { EXIT_BACKEND_UNAVAILABLE } from '@servebench/contract';
import { LaunchError } from './types.js';

export { EXIT_BACKEND_UNAVAILABLE };

export interface Exit {
  code: number | null;
  signal: string | null;
}

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
    if (child.pid !== undefined && groupMembers(child.pid).length === 0) groups.delete(child.pid);
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

/** n distinct free ports on 127.0.0.1 (all held open at once, then released for the server). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  await Promise.all(
    servers.map((s) => new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, '127.0.0.1', resolve))),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Process groups started here and not yet seen gone: SIGKILLed if the runner exits or is interrupted. */
const groups = new Set<number>();
let hooked = false;

function track(pgid: number): void {
  groups.add(pgid);
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const g of groups) signalGroup(g, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      if (groups.size) process.stderr.write(`\nservebench: ${sig}, stopping ${groups.size} child process group(s)\n`);
      for (const g of groups) signalGroup(g, 'SIGKILL');
      process.exit(130);
    });
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

/**
 * The live (not zombie) members of a process group. Zombies count as gone: an orphan's zombie stays
 * until init reaps it, and some container inits never do. Without /proc: whether kill(-pgid, 0) works.
 */
export function groupMembers(pgid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const members: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') members.push(Number(e));
  }
  return members;
}

/** Resolves true once no live process is left in the group, false after timeoutMs. */
async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (groupMembers(pgid).length === 0) return true;
    if (performance.now() > end) return false;
    await sleep(50);
  }
}

function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Stops a child and everything in its process group: SIGTERM (to the whole group, or with
 * term: 'leader' to the leader alone, which then stops its own children in order), waits up to
 * graceMs (for the group, or for the leader), then SIGKILLs whatever is left of the group and waits
 * until it is gone (a SIGKILLed server holds its ports until then). A grandchild that ignores
 * SIGTERM, or one left behind by a leader that already exited, is killed too.
 */
export async function stopGroup(child: Child, graceMs: number, o: { term?: 'group' | 'leader' } = {}): Promise<Exit> {
  const leader = child.process;
  const pgid = child.pid;
  const ended = exitOf(leader);
  if (pgid > 0) {
    if (o.term === 'leader') {
      if (!child.exited()) leader.kill('SIGTERM');
      await Promise.race([ended, sleep(graceMs)]);
    } else {
      signalGroup(pgid, 'SIGTERM');
      await groupGone(pgid, graceMs);
    }
    if (groupMembers(pgid).length > 0) signalGroup(pgid, 'SIGKILL');
    if (await groupGone(pgid, 10_000)) groups.delete(pgid);
  }
  return Promise.race([ended, sleep(5000).then(() => child.exited() ?? { code: null, signal: null })]);
}

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
