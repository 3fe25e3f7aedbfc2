// Open-loop arrival schedules. Deterministic for a seed so runs are repeatable.
import { mulberry32Unit } from '@servebench/model';

/** Returns successive inter-arrival gaps in ms for `rate` requests/s. */
export function interArrivals(rate: number, arrivals: 'fixed' | 'poisson', seed = 1): () => number {
  if (!(rate > 0)) throw new Error(`open loop needs rate > 0, got ${rate}`);
  const mean = 1000 / rate;
  if (arrivals === 'fixed') return () => mean;
  const rnd = mulberry32Unit(seed);
  // Exponential gaps; 1-u keeps the log argument in (0, 1].
  return () => -Math.log(1 - rnd()) * mean;
}

/** First n scheduled offsets (ms from start), for tests and previews. */
export function scheduleOffsets(rate: number, arrivals: 'fixed' | 'poisson', seed: number, n: number): number[] {
  const gap = interArrivals(rate, arrivals, seed);
  const out: number[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    out.push(t);
    t += gap();
  }
  return out;
}
