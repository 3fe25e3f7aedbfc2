// HDR histogram helpers. Latencies are recorded as integer microseconds in the
// pure-JS build (no wasm: workers must not need async init) and shipped between
// threads as compressed base64, so merged percentiles are exact HDR percentiles.
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { LatencySummary } from '../load/types.js';

export type { Histogram };

export function newHistogram(): Histogram {
  return build({ bitBucketSize: 64, useWebAssembly: false, numberOfSignificantValueDigits: 3 });
}

export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

export function decodeHistogram(s: string): Histogram {
  return decodeFromCompressedBase64(s, 64, false);
}

/** Decode and sum encoded histograms into a fresh one. */
export function mergeEncoded(encoded: Iterable<string>): Histogram {
  const out = newHistogram();
  for (const e of encoded) out.add(decodeHistogram(e));
  return out;
}

/** Summary in units of `scale` recorded units (1000 turns recorded µs into ms). */
export function summarize(h: Histogram, scale = 1000): LatencySummary {
  if (h.totalCount === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.totalCount,
    min: h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue / scale,
    mean: h.mean / scale,
    p50: h.getValueAtPercentile(50) / scale,
    p90: h.getValueAtPercentile(90) / scale,
    p95: h.getValueAtPercentile(95) / scale,
    p99: h.getValueAtPercentile(99) / scale,
    p999: h.getValueAtPercentile(99.9) / scale,
    // Bucket-highest equivalent value: what a decoded/merged histogram reports too.
    max: h.getValueAtPercentile(100) / scale,
  };
}

/**
 * Percentiles spaced evenly in log(1/(1-p)) from 0 to 99.99, plus 100: dense
 * in the tail where latency CDFs are interesting. ~70 points.
 */
export function cdfPercentiles(perDecade = 16, decades = 4): number[] {
  const ps: number[] = [];
  for (let k = 0; k <= perDecade * decades; k++) {
    ps.push(Math.round((100 - 100 * 10 ** (-k / perDecade)) * 1e4) / 1e4);
  }
  ps.push(100);
  return ps;
}

export function cdf(h: Histogram, scale = 1000): Array<[number, number]> {
  if (h.totalCount === 0) return [];
  return cdfPercentiles().map((p) => [p, h.getValueAtPercentile(p) / scale]);
}
