// Process groups the runner started: tracked so they die with the runner, and stopped as a whole
// (a server's cluster workers, a model server's own children, anything that ignores SIGTERM).
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Exit {
  code: number | null;
  signal: string | null;
}

/** What stopGroup needs of a spawned child (child.ts's Child). */
export interface GroupLeader {
  process: ChildProcess;
  pid: number;
  exited(): Exit | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** p, or fallback() after ms; the timer is cleared once p settles (a pending one would hold the runner's exit). */
function within<T>(p: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => resolve(fallback()), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Process groups started here and not yet seen gone: SIGKILLed if the runner exits or is interrupted. */
const groups = new Set<number>();
let hooked = false;

export function track(pgid: number): void {
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
export async function stopGroup(
  child: GroupLeader,
  graceMs: number,
  o: { term?: 'group' | 'leader' } = {},
): Promise<Exit> {
  const leader = child.process;
  const pgid = child.pid;
  const ended = exitOf(leader);
  if (pgid > 0) {
    if (o.term === 'leader') {
      if (!child.exited()) leader.kill('SIGTERM');
      await within(ended, graceMs, () => undefined);
    } else {
      signalGroup(pgid, 'SIGTERM');
      await groupGone(pgid, graceMs);
    }
    if (groupMembers(pgid).length > 0) signalGroup(pgid, 'SIGKILL');
    if (await groupGone(pgid, 10_000)) groups.delete(pgid);
  }
  return within(ended, 5000, () => child.exited() ?? { code: null, signal: null });
}

/** The group is gone by itself (its leader exited and nothing is left): no longer tracked. */
export function forget(pgid: number): void {
  groups.delete(pgid);
}
