// Open-loop arrival schedules. Deterministic for a seed so runs are repeatable.

/** mulberry32: tiny, fast, good enough for inter-arrival sampling. Returns [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns successive inter-arrival gaps in ms for `rate` requests/s. */
export function interArrivals(rate: number, arrivals: 'fixed' | 'poisson', seed = 1): () => number {
  if (!(rate > 0)) throw new Error(`open loop needs rate > 0, got ${rate}`);
  const mean = 1000 / rate;
  if (arrivals === 'fixed') return () => mean;
  const rnd = mulberry32(seed);
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
