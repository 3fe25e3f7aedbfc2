// CPU sets: parse `--cpus server=<list>,load=<list>` | `none`, and the default split.
import { readFileSync } from 'node:fs';

export class PlacementError extends Error {
  constructor(
    readonly code: 'PLACEMENT_USAGE' | 'PLACEMENT_UNAVAILABLE' | 'PLACEMENT_ESCAPED',
    message: string,
  ) {
    super(message);
    this.name = 'PlacementError';
  }
}

/** Where the server's process tree and the load engine may run. */
export interface Placement {
  server: number[];
  load: number[];
  /** How it was chosen: the default split or the --cpus flag. */
  source: 'default' | 'flag';
}

/** `0-3,5` -> [0,1,2,3,5] (sorted, unique). */
export function parseCpuList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',').map((x) => x.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new PlacementError('PLACEMENT_USAGE', `CPU list "${text}": "${part}" is not N or N-M`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new PlacementError('PLACEMENT_USAGE', `CPU list "${text}": range ${part} runs backwards`);
    for (let c = a; c <= b; c++) out.add(c);
  }
  return [...out].sort((x, y) => x - y);
}

/** [0,1,2,3,5] -> `0-3,5` (the kernel's Cpus_allowed_list form). */
export function formatCpuList(cpus: readonly number[]): string {
  const s = [...new Set(cpus)].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** First half of the CPUs (rounded up) for the server, the rest for the load engine; 2 CPUs: server=0, load=1. */
export function defaultPlacement(available: readonly number[]): Placement {
  if (available.length < 2) {
    throw new PlacementError(
      'PLACEMENT_UNAVAILABLE',
      `only ${available.length} CPU available (${formatCpuList(available)}): the server and the load engine cannot get disjoint sets; pass --cpus none`,
    );
  }
  const n = Math.ceil(available.length / 2);
  return { server: available.slice(0, n), load: available.slice(n), source: 'default' };
}

/**
 * The --cpus value: undefined -> the default split, `none` -> null (no placement),
 * `server=<list>,load=<list>` (either order) -> those sets, disjoint and inside `available`.
 */
export function parseCpusFlag(value: string | undefined, available: readonly number[]): Placement | null {
  if (value === undefined) return defaultPlacement(available);
  const v = value.trim();
  if (v === 'none') return null;
  const usage = `--cpus ${value}: expected server=<list>,load=<list> (e.g. server=0,load=1 or server=0-3,load=4-7) or none`;
  const sets: Partial<Record<'server' | 'load', number[]>> = {};
  // A list has commas too, so split only before the next `server=` / `load=`.
  for (const part of v.split(/,(?=\s*(?:server|load)=)/)) {
    const m = /^\s*(server|load)=(.+)$/.exec(part);
    if (!m) throw new PlacementError('PLACEMENT_USAGE', usage);
    const key = m[1] as 'server' | 'load';
    if (sets[key]) throw new PlacementError('PLACEMENT_USAGE', `${usage}; ${key}= given twice`);
    sets[key] = parseCpuList(m[2]!);
  }
  if (!sets.server || !sets.load) throw new PlacementError('PLACEMENT_USAGE', usage);
  const shared = sets.server.filter((c) => sets.load!.includes(c));
  if (shared.length) {
    throw new PlacementError('PLACEMENT_USAGE', `--cpus ${value}: CPU ${formatCpuList(shared)} is in both sets`);
  }
  const missing = [...sets.server, ...sets.load].filter((c) => !available.includes(c));
  if (missing.length) {
    throw new PlacementError(
      'PLACEMENT_USAGE',
      `--cpus ${value}: CPU ${formatCpuList(missing)} is not available to this process (allowed: ${formatCpuList(available)})`,
    );
  }
  return { server: sets.server, load: sets.load, source: 'flag' };
}

/** `Cpus_allowed_list` of a /proc/<pid>/status (or /proc/<pid>/task/<tid>/status) text. */
export function parseAllowedList(status: string): number[] | undefined {
  const m = /^Cpus_allowed_list:\s*(\S+)\s*$/m.exec(status);
  return m ? parseCpuList(m[1]!) : undefined;
}

/** The CPUs this runner may use (its own affinity, which honours a container's cpuset). */
export function availableCpus(): number[] {
  const list = parseAllowedList(readFileSync('/proc/self/status', 'utf8'));
  if (!list) throw new PlacementError('PLACEMENT_UNAVAILABLE', 'no Cpus_allowed_list in /proc/self/status');
  return list;
}

/** Model runtime threads (INTRA_OP_THREADS): an explicit flag wins, else the server set's size, else 1 per default. */
export function runtimeThreads(placement: Placement | null, explicit: number | undefined, fallback: number): number {
  return explicit ?? (placement ? placement.server.length : fallback);
}
