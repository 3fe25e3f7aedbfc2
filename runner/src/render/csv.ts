import type { RunResults } from '../results.js';

const HEADER = [
  'stack',
  'task',
  'concurrency',
  'status',
  'rps',
  'successes',
  'errors',
  'p50_ms',
  'p90_ms',
  'p95_ms',
  'p99_ms',
  'p999_ms',
  'max_ms',
  'mean_ms',
  'stable',
  'client_bound',
  'client_elu',
  'server_cpu_pct',
  'server_peak_rss_mb',
  'queue_p99_ms',
  'mean_batch_size',
  'rounds',
  'rps_min',
  'rps_max',
  'round_spread',
];

const q = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** One row per measured cell. */
export function renderCsv(r: RunResults): string {
  const rows = r.stacks.flatMap((s) =>
    s.cells.map((c) => {
      const l = c.load;
      const errors = Object.values(l.errors).reduce((a, b) => a + b, 0);
      return [
        s.id,
        c.task,
        c.concurrency,
        c.status,
        l.rps.toFixed(1),
        l.successes,
        errors,
        l.latencyMs.p50,
        l.latencyMs.p90,
        l.latencyMs.p95,
        l.latencyMs.p99,
        l.latencyMs.p999,
        l.latencyMs.max,
        l.latencyMs.mean.toFixed(3),
        c.stability.stable,
        c.clientBound,
        l.clientElu.toFixed(2),
        c.resources?.meanCpuPct.toFixed(0) ?? '',
        c.resources?.peakRssMb.toFixed(0) ?? '',
        l.serverTiming.queue?.p99.toFixed(3) ?? '',
        c.batching?.meanSize.toFixed(2) ?? '',
        c.stability.rounds,
        c.stability.min.toFixed(1),
        c.stability.max.toFixed(1),
        Number.isFinite(c.stability.spread) ? c.stability.spread.toFixed(3) : '',
      ]
        .map((v) => q(String(v)))
        .join(',');
    }),
  );
  return `${[HEADER.join(','), ...rows].join('\n')}\n`;
}
