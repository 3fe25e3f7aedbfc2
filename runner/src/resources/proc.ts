// Linux /proc readers. Processes can vanish between readdir and read; such
// reads return undefined and the caller skips them.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime in clock ticks (all threads). */
  cpuTicks: number;
  /** Start time in clock ticks since boot: with pid it identifies a process across pid reuse. */
  startTicks: number;
  rssPages: number;
}

/** Parse /proc/<pid>/stat. comm may contain spaces and ')' so split after the last ')'. */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // Fields after comm: [0]=state(3) [1]=ppid(4) [11]=utime(14) [12]=stime(15) [19]=starttime(22) [21]=rss(24)
  const f = text.slice(close + 2).split(' ');
  const num = (i: number): number => Number(f[i]);
  const st: ProcStat = { pid, ppid: num(1), cpuTicks: num(11) + num(12), startTicks: num(19), rssPages: num(21) };
  return Object.values(st).every(Number.isFinite) ? st : undefined;
}

export function readStat(pid: number): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined; // exited mid-scan
  }
}

export function listPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(name));
  }
  return out;
}

/** Every live process whose ancestry includes rootPid (root included). */
export function processTree(rootPid: number, all: ProcStat[] = allStats()): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  let root: ProcStat | undefined;
  for (const s of all) {
    if (s.pid === rootPid) root = s;
    let list = children.get(s.ppid);
    if (!list) children.set(s.ppid, (list = []));
    list.push(s);
  }
  if (!root) return [];
  const out: ProcStat[] = [];
  const stack = [root];
  const seen = new Set<number>();
  for (let s = stack.pop(); s; s = stack.pop()) {
    if (seen.has(s.pid)) continue;
    seen.add(s.pid);
    out.push(s);
    stack.push(...(children.get(s.pid) ?? []));
  }
  return out;
}

export function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const pid of listPids()) {
    const s = readStat(pid);
    if (s) out.push(s);
  }
  return out;
}

function getconf(name: string, fallback: number): number {
  try {
    const v = Number(execFileSync('getconf', [name], { encoding: 'utf8', timeout: 2000 }).trim());
    return Number.isFinite(v) && v > 0 ? v : fallback;
  } catch {
    return fallback;
  }
}

let sys: { clkTck: number; pageSize: number } | undefined;
/** Node has no sysconf(); ask getconf once, else assume the usual Linux values. */
export function sysconf(): { clkTck: number; pageSize: number } {
  return (sys ??= { clkTck: getconf('CLK_TCK', 100), pageSize: getconf('PAGESIZE', 4096) });
}
