// Where a round's probes put the SLO crossing. Pure.
import type { ProbeRecord } from './types.js';

/**
 * The rate at which p99 meets the SLO, from one round's probes: between the highest passing rate and the lowest
 * failing rate above it, interpolated on log p99 (p99 grows roughly exponentially as a queue nears saturation)
 * when that probe failed on p99 alone; the highest passing rate when it failed otherwise (errors, a gap between
 * achieved and scheduled rate) or when no probe above it failed. Null when no probe passed.
 */
export function crossingOf(probes: readonly ProbeRecord[], slo: number): number | null {
  const passing = probes.filter((x) => x.pass);
  if (!passing.length) return null;
  const lo = passing.reduce((a, b) => (b.rate > a.rate ? b : a));
  const above = probes.filter((x) => !x.pass && x.rate > lo.rate);
  if (!above.length) return lo.rate;
  const hi = above.reduce((a, b) => (b.rate < a.rate ? b : a));
  const p99Only = hi.reasons.length === 1 && hi.p99 > slo;
  if (!p99Only || !(lo.p99 > 0) || lo.p99 >= hi.p99) return lo.rate;
  const f = (Math.log(slo) - Math.log(lo.p99)) / (Math.log(hi.p99) - Math.log(lo.p99));
  return lo.rate + Math.min(1, Math.max(0, f)) * (hi.rate - lo.rate);
}

/** The passing probe whose rate is nearest `rate` (its latencies and CPU stand for the capacity). */
export function nearestPassing(probes: readonly ProbeRecord[], rate: number): ProbeRecord | undefined {
  let best: ProbeRecord | undefined;
  for (const x of probes) if (x.pass && (!best || Math.abs(x.rate - rate) < Math.abs(best.rate - rate))) best = x;
  return best;
}
