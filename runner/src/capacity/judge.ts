// Scores one capacity probe (an open-loop LoadResult) against the SLO and the pass criteria. Pure.
import type { LoadResult } from '../load/types.js';
import type { CapacitySettings, ProbeRecord } from './types.js';

export type Criteria = Pick<CapacitySettings, 'maxErrorRate' | 'maxLateFraction' | 'maxAchievedGap'> & {
  sloP99Ms: number;
};

/** Latency at percentile p (0..100) from a stored CDF, interpolated linearly between its points. */
export function percentileFromCdf(cdf: LoadResult['cdf'], p: number): number {
  if (!cdf.length) return Number.NaN;
  for (let k = 0; k < cdf.length; k++) {
    const [pk, ms] = cdf[k]!;
    if (pk === p) return ms;
    if (pk > p) {
      if (k === 0) return ms;
      const [pa, a] = cdf[k - 1]!;
      return a + ((ms - a) * (p - pa)) / (pk - pa);
    }
  }
  return cdf[cdf.length - 1]![1];
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** The probe record of `load` measured at `rate`; `pass` only when every criterion holds. */
export function judgeProbe(
  rate: number,
  phase: ProbeRecord['phase'],
  load: LoadResult,
  c: Criteria,
  windowS: number,
): ProbeRecord {
  const errors = Object.values(load.errors).reduce((a, b) => a + b, 0);
  const total = load.successes + errors;
  const scheduled = load.open?.scheduled ?? total;
  const durationS = load.durationS;
  const realizedRps = durationS > 0 ? scheduled / durationS : 0;
  const achievedRps = load.rps;
  const errorRate = total > 0 ? errors / total : 1;
  const lateFraction = load.open && load.open.sent > 0 ? load.open.late / load.open.sent : 0;
  const { p50, p99 } = load.latencyMs;
  const reasons: string[] = [];
  if (load.successes === 0) reasons.push('no verified successes');
  if (!(p99 <= c.sloP99Ms)) reasons.push(`p99 ${p99.toFixed(2)} ms > SLO ${c.sloP99Ms} ms`);
  if (errorRate > c.maxErrorRate) reasons.push(`errors ${pct(errorRate)} > ${pct(c.maxErrorRate)}`);
  if (lateFraction > c.maxLateFraction) reasons.push(`late sends ${pct(lateFraction)} > ${pct(c.maxLateFraction)}`);
  const gap = realizedRps > 0 ? 1 - achievedRps / realizedRps : 1;
  if (gap > c.maxAchievedGap)
    reasons.push(
      `achieved ${achievedRps.toFixed(1)} req/s is ${pct(gap)} under the ${realizedRps.toFixed(1)} req/s scheduled`,
    );
  const serverTiming = Object.fromEntries(
    Object.entries(load.serverTiming).map(([k, v]) => [k, { mean: v.mean, p50: v.p50, p99: v.p99 }]),
  );
  return {
    rate,
    phase,
    pass: reasons.length === 0,
    reasons,
    durationS,
    scheduled,
    successes: load.successes,
    errors,
    realizedRps,
    achievedRps,
    p50,
    // Exact from the histogram when the engine reports it; older results interpolate the stored CDF.
    p95: (load.latencyMs as { p95?: number }).p95 ?? percentileFromCdf(load.cdf, 95),
    p99,
    errorRate,
    lateFraction,
    serverTiming,
    windowsP99: load.windows.map((w) => w.p99),
    windowS,
  };
}

/** Probe length: at least minDurationS and long enough for minQueries arrivals at `rate`, at most maxDurationS. */
export const probeDurationS = (
  rate: number,
  s: Pick<CapacitySettings, 'minDurationS' | 'minQueries' | 'maxDurationS'>,
): number => Math.min(s.maxDurationS, Math.max(s.minDurationS, s.minQueries / rate));
