// Figures at the run's typical machine speed: every round and probe carries the speedometer reading taken beside
// it (speed/speedometer.ts), and x * reference / reading puts it at the run's median reading. A round measured
// while the VM ran 30% slow counts as if it had run at the run's usual speed. Pure.
import type { CapacityResult } from '../capacity/types.js';
import type { CellResult } from '../results.js';
import { median } from '../stats/rounds.js';

/** What the readings are read from: a run's stacks and calibration references (partial objects allowed). */
export interface SpeedSource {
  stacks: ReadonlyArray<{ cells?: readonly CellResult[]; capacity?: readonly CapacityResult[] }>;
  calibration?: ReadonlyArray<{ cells: readonly CellResult[] }>;
}

/** Every speed reading of a run (cells of stacks and references, capacity probes). */
export function speedReadings(r: SpeedSource): number[] {
  const out: number[] = [];
  for (const e of [...r.stacks, ...(r.calibration ?? [])])
    for (const c of e.cells ?? []) for (const x of c.rounds) if (x.speed) out.push(x.speed);
  for (const s of r.stacks) for (const c of s.capacity ?? []) for (const p of c.probes) if (p.speed) out.push(p.speed);
  return out;
}

/** The run's reference speed: the median reading; undefined without readings (nothing is normalized). */
export const referenceSpeed = (r: SpeedSource): number | undefined => {
  const all = speedReadings(r);
  return all.length ? median(all) : undefined;
};

/** x at the reference speed; x itself when either is missing. */
export const atReference = (x: number, speed: number | undefined, ref: number | undefined): number =>
  speed && ref ? (x * ref) / speed : x;

/** A cell's req/s by round index (undefined: not measured or failed that round), normalized when readings exist. */
export function cellByRound(c: CellResult | undefined, ref: number | undefined): Array<number | undefined> {
  const out: Array<number | undefined> = [];
  for (const x of c?.rounds ?? []) out[x.round] = x.failed ? undefined : atReference(x.load.rps, x.speed, ref);
  return out;
}

/** A capacity's round crossings by round index, normalized when readings exist. */
export function capacityByRound(c: CapacityResult | undefined, ref: number | undefined): Array<number | undefined> {
  const out: Array<number | undefined> = [];
  for (const x of c?.rounds ?? []) out[x.round] = x.rps === null ? undefined : atReference(x.rps, x.speed, ref);
  return out;
}

/** Median and range of the defined values. */
export function summary(
  xs: ReadonlyArray<number | undefined>,
): { median: number; min: number; max: number } | undefined {
  const v = xs.filter((x): x is number => x !== undefined);
  return v.length ? { median: median(v), min: Math.min(...v), max: Math.max(...v) } : undefined;
}

/** The run's speed per unit of work, for comparing runs from different machines: x / reading, its median. */
export function perSpeed(xs: ReadonlyArray<{ value: number; speed?: number }>): number | undefined {
  const v = xs.filter((x) => x.speed && x.value > 0).map((x) => x.value / x.speed!);
  return v.length ? median(v) : undefined;
}

/** Writes the normalized figures into the results beside the raw ones (when the run finishes). */
export function annotateNormalized(r: SpeedSource & { speed?: { reference: string; medianCallsPerS?: number } }): void {
  const ref = referenceSpeed(r);
  if (!r.speed || ref === undefined) return;
  r.speed.medianCallsPerS = ref;
  for (const s of r.stacks) {
    for (const c of s.cells ?? []) {
      const m = summary(cellByRound(c, ref));
      if (m) (c as CellResult).normalizedRps = m.median;
    }
    for (const c of s.capacity ?? []) {
      const m = summary(capacityByRound(c, ref));
      if (m) (c as CapacityResult).normalized = m;
    }
  }
}
