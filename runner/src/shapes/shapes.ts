// Load shapes as explicit send times (ms from the start): a burst (a step from a base rate to a peak
// and back) and a replayed trace. Pure and deterministic for a seed.
import { interArrivals } from '../load/schedule.js';

export interface Burst {
  baseRate: number;
  peakRate: number;
  /** Seconds at the base rate before the step, at the peak, and at the base rate after. */
  beforeS: number;
  peakS: number;
  afterS: number;
}

export class ShapeError extends Error {}

/** `base:peak:before:peak:after`, e.g. `100:400:5:3:10` (req/s and seconds). */
export function parseBurst(text: string): Burst {
  const parts = text.split(':').map(Number);
  if (parts.length !== 5 || !parts.every((x) => Number.isFinite(x) && x > 0))
    throw new ShapeError(
      `--burst ${text}: expected <base req/s>:<peak req/s>:<seconds before>:<seconds at peak>:<seconds after>, e.g. 100:400:5:3:10`,
    );
  const [baseRate, peakRate, beforeS, peakS, afterS] = parts as [number, number, number, number, number];
  return { baseRate, peakRate, beforeS, peakS, afterS };
}

/** Poisson arrivals at each phase's rate, phases back to back. */
export function burstOffsets(b: Burst, seed = 1): number[] {
  const out: number[] = [];
  let start = 0;
  for (const [rate, s] of [
    [b.baseRate, b.beforeS],
    [b.peakRate, b.peakS],
    [b.baseRate, b.afterS],
  ] as const) {
    const gap = interArrivals(rate, 'poisson', seed + out.length);
    const end = start + s * 1000;
    for (let t = start + gap(); t < end; t += gap()) out.push(t);
    start = end;
  }
  return out;
}

/**
 * A trace file: one arrival time per line (seconds by default, any origin, e.g. epoch seconds from an
 * access log), `#` comments and blank lines ignored. Shifted to start at 0, divided by `speed`.
 */
export function parseTrace(text: string, o: { unit?: 's' | 'ms'; speed?: number } = {}): number[] {
  const scale = (o.unit === 'ms' ? 1 : 1000) / (o.speed ?? 1);
  const times: number[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const v = Number(line.split(/[\s,]/)[0]);
    if (!Number.isFinite(v)) throw new ShapeError(`trace line ${i + 1}: '${raw.slice(0, 40)}' is not a number`);
    times.push(v);
  }
  if (times.length < 2) throw new ShapeError('trace: need at least two arrival times');
  for (let k = 1; k < times.length; k++)
    if (times[k]! < times[k - 1]!)
      throw new ShapeError(`trace: arrival ${k + 1} (${times[k]}) is before arrival ${k} (${times[k - 1]}); sort it`);
  return times.map((t) => (t - times[0]!) * scale);
}

/**
 * Seconds from the end of the peak until the windowed p99 is back at or under `limitMs` and stays there for
 * `hold` windows; null when it never recovers inside the run. p99s[k] covers [k*windowS, (k+1)*windowS).
 */
export function recoveryS(
  p99s: readonly number[],
  windowS: number,
  peakEndS: number,
  limitMs: number,
  hold = 2,
): number | null {
  const first = Math.ceil(peakEndS / windowS - 1e-9);
  for (let k = first; k + hold <= p99s.length; k++) {
    if (p99s.slice(k, k + hold).every((p) => p <= limitMs)) return Math.max(0, k * windowS - peakEndS);
  }
  return null;
}
