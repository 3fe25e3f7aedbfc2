// One cell's rounds -> the published cell: median req/s, min-max, and latency from the merged histogram.
import type { Task } from '@servebench/contract';
import type { LoadResult } from '../load/types.js';
import { roundsFor, type RunSettings } from '../profiles.js';
import type { CellResult, ResourceStats, RoundResult } from '../results.js';
import type { BatchHistogram } from '../scrape.js';
import { cdf, encodeHistogram, mergeEncoded, summarize } from '../stats/histogram.js';
import { assessRounds, medianIndex } from '../stats/rounds.js';
import { assessStability } from '../stats/stability.js';
import type { CellCost } from '../resources/cost.js';
import type { CellCpu } from '../resources/cpu.js';

/** Load-generator event-loop utilisation above which a round is flagged client-bound. */
export const CLIENT_BOUND_ELU = 0.95;

export interface RoundExtras {
  resources?: ResourceStats;
  batching?: BatchHistogram;
  /** The round is unusable for this reason (e.g. the server died during it). */
  failed?: string;
  /** The load loop is the work itself (raw rows): a saturated event loop is no client bottleneck. */
  notClientBound?: boolean;
  loadCpu?: CellCpu;
  cost?: CellCost;
}

/** A round from one load run; the CDF is dropped (the merged histogram gives the cell's). */
export function roundOf(
  s: RunSettings,
  round: number,
  startedAt: string,
  load: LoadResult,
  x: RoundExtras = {},
): RoundResult {
  const { cdf: _cdf, ...rest } = load;
  const failed =
    x.failed ?? (load.successes === 0 ? `no verified successes; errors: ${JSON.stringify(load.errors)}` : undefined);
  return {
    round,
    startedAt,
    load: rest,
    windows: assessStability(load.windows, { lastN: s.stableWindows, tolerance: s.stableTolerance }),
    clientBound: !x.notClientBound && (load.clientElu > CLIENT_BOUND_ELU || !!x.loadCpu?.clientBound),
    ...(x.loadCpu ? { loadCpu: x.loadCpu } : {}),
    ...(x.cost ? { cost: x.cost } : {}),
    ...(x.resources ? { resources: x.resources } : {}),
    ...(x.batching ? { batching: x.batching } : {}),
    ...(failed ? { failed } : {}),
  };
}

const sumErrors = (rs: RoundResult[]) => {
  const out: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.load.errors)) out[k] = (out[k] ?? 0) + v;
  return out;
};

/** The published cell from every round measured so far (recomputed after each round). */
export function mergeCell(s: RunSettings, task: Task, concurrency: number, rounds: RoundResult[]): CellResult {
  const usable = rounds.filter((r) => !r.failed);
  const rps = usable.map((r) => r.load.rps);
  const stability = assessRounds(rps, roundsFor(s, { task, concurrency }), s.roundTolerance);
  const mid = usable[medianIndex(rps)] ?? rounds.at(-1)!;
  const hist = mergeEncoded(usable.flatMap((r) => (r.load.histogram ? [r.load.histogram] : [])));
  const load: LoadResult = {
    ...mid.load,
    durationS: rounds.reduce((a, r) => a + r.load.durationS, 0),
    successes: rounds.reduce((a, r) => a + r.load.successes, 0),
    errors: sumErrors(rounds),
    rps: stability.median,
    latencyMs: summarize(hist),
    cdf: cdf(hist),
    clientElu: Math.max(0, ...rounds.map((r) => r.load.clientElu)),
    histogram: encodeHistogram(hist),
  };
  const failed = usable.length === 0;
  const reason = failed
    ? rounds.map((r) => `round ${r.round}: ${r.failed}`).join('; ')
    : !stability.stable
      ? `rounds disagree: ${rps.map((x) => x.toFixed(0)).join(', ')} req/s (only ${stability.within} of ${rps.length} within ±${s.roundTolerance * 100}% of the median)`
      : undefined;
  return {
    task,
    concurrency,
    status: failed ? 'failed' : stability.stable ? 'ok' : 'unstable',
    ...(reason ? { reason } : {}),
    load,
    stability,
    clientBound: rounds.some((r) => r.clientBound),
    ...(rounds.some((r) => r.loadCpu) ? { machineBound: rounds.some((r) => r.loadCpu?.machineBound) } : {}),
    ...(mid.loadCpu ? { loadCpu: mid.loadCpu } : {}),
    ...(mid.cost ? { cost: mid.cost } : {}),
    ...(mid.resources ? { resources: mid.resources } : {}),
    ...(mid.batching ? { batching: mid.batching } : {}),
    startedAt: rounds[0]!.startedAt,
    rounds,
  };
}

/** One progress line for a measured round. */
export function roundSummary(task: Task, concurrency: number, r: RoundResult, cell: CellResult): string {
  const errs = Object.entries(r.load.errors)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const l = r.load;
  const flags = `${r.failed ? ` [failed: ${r.failed.slice(0, 200)}]` : ''}${r.clientBound ? ' [client-bound]' : ''}`;
  const so = cell.stability;
  const across =
    so.rounds > 1
      ? `, median ${so.median.toFixed(0)} (${so.min.toFixed(0)}-${so.max.toFixed(0)})${cell.status === 'unstable' ? ' ~' : ''}`
      : '';
  return `${task} c=${concurrency}: ${l.rps.toFixed(0)} req/s, p50 ${l.latencyMs.p50.toFixed(2)} ms, p99 ${l.latencyMs.p99.toFixed(2)} ms${errs ? `, errors ${errs}` : ''}${flags} (round ${r.round + 1}${across})`;
}
