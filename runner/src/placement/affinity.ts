// Applying a placement with taskset (util-linux) and reading it back from /proc.
// A process pinned before exec passes its affinity to every child and thread it starts, so
// wrapping the server's command covers Triton's stubs, Python workers and node cluster workers.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { allStats, processTree } from '../resources/proc.js';
import { PlacementError, formatCpuList, parseAllowedList } from './cpus.js';

let tasksetChecked: string | undefined;
/** Fails clearly when taskset is missing: placement never falls back to none silently. */
export function requireTaskset(): void {
  if (tasksetChecked !== undefined) return;
  const r = spawnSync('taskset', ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (r.error || r.status !== 0) {
    throw new PlacementError(
      'PLACEMENT_UNAVAILABLE',
      'taskset (util-linux) is not installed; install util-linux or pass --cpus none',
    );
  }
  tasksetChecked = r.stdout.trim();
}

/** The command run under `taskset -c <cpus>` (exec, so the pid is the command's own); unchanged without CPUs. */
export function pinnedCommand(cmd: readonly string[], cpus: readonly number[] | undefined): string[] {
  if (!cpus?.length) return [...cmd];
  return ['taskset', '-c', formatCpuList(cpus), ...cmd];
}

/** Pins every thread of a running process (-a); threads it starts later inherit from their creator. */
export function pinProcess(pid: number, cpus: readonly number[]): void {
  requireTaskset();
  execFileSync('taskset', ['-a', '-p', '-c', formatCpuList(cpus), String(pid)], { stdio: 'ignore', timeout: 5000 });
}

export interface ProcessAffinity {
  pid: number;
  comm: string;
  /** Union of Cpus_allowed_list over the process's threads. */
  cpus: string;
  /** Threads whose allowed set leaves the expected set (tid list), if any. */
  escapedThreads?: number[];
}

export interface TreeAffinity {
  expected: string;
  processes: ProcessAffinity[];
  /** Processes with any thread allowed outside the expected set. */
  escaped: ProcessAffinity[];
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // exited mid-scan
  }
}

/** Every thread's allowed CPUs of one process (undefined if it is gone). */
export function processAffinity(pid: number, expected: readonly number[]): ProcessAffinity | undefined {
  const status = read(`/proc/${pid}/status`);
  if (!status) return undefined;
  const comm = /^Name:\s*(.*)$/m.exec(status)?.[1]?.trim() ?? '?';
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    tids = [String(pid)];
  }
  const union = new Set<number>(parseAllowedList(status) ?? []);
  const escapedThreads: number[] = [];
  for (const tid of tids) {
    const allowed = parseAllowedList(read(`/proc/${pid}/task/${tid}/status`) ?? '');
    if (!allowed) continue;
    for (const c of allowed) union.add(c);
    if (allowed.some((c) => !expected.includes(c))) escapedThreads.push(Number(tid));
  }
  return {
    pid,
    comm,
    cpus: formatCpuList([...union]),
    ...(escapedThreads.length ? { escapedThreads: escapedThreads.sort((a, b) => a - b) } : {}),
  };
}

/** Reads back the affinity of every process (and thread) under the given roots. */
export function treeAffinity(rootPids: readonly number[], expected: readonly number[]): TreeAffinity {
  const all = allStats();
  const pids = new Set<number>();
  for (const root of rootPids) for (const p of processTree(root, all)) pids.add(p.pid);
  const processes: ProcessAffinity[] = [];
  for (const pid of [...pids].sort((a, b) => a - b)) {
    const a = processAffinity(pid, expected);
    if (a) processes.push(a);
  }
  return { expected: formatCpuList(expected), processes, escaped: processes.filter((p) => p.escapedThreads) };
}

/** One line for a stack's failure reason: which processes left the set and where they may run. */
export function describeEscape(t: TreeAffinity): string {
  return `placement escaped: ${t.escaped.map((p) => `${p.comm} (pid ${p.pid}) allowed on ${p.cpus}`).join(', ')}; expected only ${t.expected}`;
}
