// Capacity flags (`--slo`, probe bounds) resolved once at the edge into CapacitySettings.
import { TASKS, type Task } from '@servebench/contract';
import { CAPACITY_DEFAULTS } from './defaults.js';
import { SloError, parseSlo } from './slo.js';
import type { CapacitySettings } from './types.js';

/** Raw flag values as commander gives them. */
export interface CapacityFlags {
  slo?: string[];
  capacityTasks?: string;
  minDuration?: string;
  minQueries?: string;
  maxDuration?: string;
  tolerance?: string;
  maxProbes?: string;
  capacityRounds?: string;
  connections?: string;
  maxLate?: string;
}

/** Capacity settings of a profile (quick when the profile has none), with flags applied. */
export function resolveCapacity(
  base: CapacitySettings | undefined,
  f: CapacityFlags,
  fail: (message: string) => never,
): CapacitySettings {
  const s: CapacitySettings = { ...(base ?? CAPACITY_DEFAULTS.quick) };
  const num = (name: string, v: string, ok: (n: number) => boolean, what: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || !ok(n)) fail(`--${name} ${v}: expected ${what}`);
    return n;
  };
  if (f.slo?.length) {
    try {
      s.slo = { ...s.slo, ...parseSlo(f.slo) };
    } catch (e) {
      if (e instanceof SloError) fail(e.message);
      throw e;
    }
  }
  if (f.capacityTasks) {
    s.tasks = f.capacityTasks.split(',').map((t) => t.trim()) as Task[];
    for (const t of s.tasks) if (!TASKS.includes(t)) fail(`--capacity-tasks ${t}: expected ${TASKS.join(', ')}`);
  }
  if (f.minDuration) s.minDurationS = num('min-duration', f.minDuration, (n) => n > 0, 'seconds > 0');
  if (f.minQueries)
    s.minQueries = num('min-queries', f.minQueries, (n) => Number.isInteger(n) && n > 0, 'an integer > 0');
  if (f.maxDuration) s.maxDurationS = num('max-duration', f.maxDuration, (n) => n > 0, 'seconds > 0');
  if (s.maxDurationS < s.minDurationS)
    fail(`--max-duration ${s.maxDurationS} is below --min-duration ${s.minDurationS}`);
  if (f.tolerance) s.tolerance = num('tolerance', f.tolerance, (n) => n > 0 && n < 1, 'a fraction in (0, 1)');
  if (f.maxProbes) s.maxProbes = num('max-probes', f.maxProbes, (n) => Number.isInteger(n) && n > 0, 'an integer > 0');
  if (f.capacityRounds)
    s.rounds = num('capacity-rounds', f.capacityRounds, (n) => Number.isInteger(n) && n > 0, 'an integer > 0');
  if (f.connections)
    s.connections = num('connections', f.connections, (n) => Number.isInteger(n) && n > 0, 'an integer > 0');
  if (f.maxLate) s.maxLateFraction = num('max-late', f.maxLate, (n) => n >= 0 && n <= 1, 'a fraction in [0, 1]');
  return s;
}
