// Merge per-worker results into one LoadResult. Pure: histograms are decoded
// and added, so merged percentiles are exact HDR percentiles.
import { cdf, encodeHistogram, mergeEncoded, summarize } from '../stats/histogram.js';
import type { WorkerResult } from './record.js';
import type { LoadResult, LoadSpec, OpenLoopStats, ServerTimingStats, WindowStats } from './types.js';

export function aggregate(spec: LoadSpec, results: WorkerResult[]): LoadResult {
  const measuredMs = Math.max(0, ...results.map((r) => r.measuredMs));
  const durationS = measuredMs / 1000;
  let successes = 0;
  const errors: Record<string, number> = {};
  for (const r of results) {
    successes += r.successes;
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  }
  const hist = mergeEncoded(results.map((r) => r.hist));

  const windows: WindowStats[] = [];
  const nWin = Math.max(0, ...results.map((r) => r.windows.length));
  for (let k = 0; k < nWin; k++) {
    const startMs = k * spec.windowMs;
    // The last window may be cut short by durationMs or maxRequests; empty tails are dropped.
    const lenMs = Math.min(spec.windowMs, measuredMs - startMs);
    if (lenMs <= 0) break;
    const ws = results.map((r) => r.windows[k]).filter((w) => w !== undefined);
    const h = mergeEncoded(ws.map((w) => w.hist));
    const s = ws.reduce((a, w) => a + w.successes, 0);
    const sum = summarize(h);
    windows.push({ startS: startMs / 1000, successes: s, rps: s / (lenMs / 1000), p50: sum.p50, p99: sum.p99 });
  }

  const serverTiming: Record<string, ServerTimingStats> = {};
  const names = new Set(results.flatMap((r) => Object.keys(r.serverTiming)));
  for (const name of [...names].sort()) {
    const h = mergeEncoded(results.map((r) => r.serverTiming[name]).filter((e) => e !== undefined));
    const s = summarize(h, 1e6); // recorded in ns, reported in ms
    serverTiming[name] = { count: s.count, mean: s.mean, p50: s.p50, p99: s.p99 };
  }

  let open: OpenLoopStats | undefined;
  if (spec.mode === 'open') {
    open = { scheduled: 0, sent: 0, late: 0, dropped: 0 };
    for (const r of results) {
      if (!r.open) continue;
      open.scheduled += r.open.scheduled;
      open.sent += r.open.sent;
      open.late += r.open.late;
      open.dropped += r.open.dropped;
    }
  }

  return {
    mode: spec.mode,
    concurrency: spec.concurrency,
    ...(spec.rate !== undefined ? { rate: spec.rate } : {}),
    durationS,
    successes,
    errors,
    rps: durationS > 0 ? successes / durationS : 0,
    latencyMs: summarize(hist),
    cdf: cdf(hist),
    windows,
    serverTiming,
    ...(open ? { open } : {}),
    clientElu: Math.max(0, ...results.map((r) => r.elu)),
    threads: results.length,
    histogram: encodeHistogram(hist),
  };
}
