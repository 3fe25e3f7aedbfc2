// Coordinator side, pure: check every agent ran the whole window from the common start, then merge
// their threads' encoded histograms exactly (percentiles of the merged histogram, never averaged).
import { aggregate } from '../load/aggregate.js';
import type { LoadResult, LoadSpec } from '../load/types.js';
import { AgentError } from './errors.js';
import type { AgentReport } from './protocol.js';

/** A measured span may end this much before durationMs (the last reply lands just before the end). */
export function windowSlackMs(spec: LoadSpec): number {
  return Math.max(50, spec.durationMs * 0.01);
}

export interface AgentSummary {
  segment: string;
  host: string;
  cpus?: string;
  concurrency: number;
  rate?: number;
  successes: number;
  errors: number;
  measuredMs: number;
  startSlackMs: number;
  cpuS: number;
}

/** Throws AGENT_LATE_START or AGENT_SHORT_WINDOW for the first agent that did not cover the window. */
export function checkCoverage(spec: LoadSpec, reports: readonly AgentReport[]): void {
  const count = reports[0]?.segment.count ?? 0;
  const seen = new Set(reports.map((r) => r.segment.index));
  if (reports.length !== count || seen.size !== count || reports.some((r) => r.segment.count !== count))
    throw new AgentError('AGENT_BAD_REPORT', `expected one report per segment, got ${reports.length} of ${count}`);
  for (const r of reports) {
    const label = `agent ${r.segment.index}/${r.segment.count} on ${r.host}`;
    if (r.startEpochMs !== reports[0]!.startEpochMs)
      throw new AgentError('AGENT_LATE_START', `${label} ran from a different start time`);
    if (!(r.readyEpochMs <= r.startEpochMs))
      throw new AgentError(
        'AGENT_LATE_START',
        `${label} was ready ${Math.round(r.readyEpochMs - r.startEpochMs)} ms after the common start: give the agents more lead (--agent-lead)`,
      );
    const total = r.successes + Object.values(r.errors).reduce((a, n) => a + n, 0);
    const stoppedByMax = spec.maxRequests !== undefined && total > 0 && r.workers.length > 0;
    if (!stoppedByMax && r.measuredMs < spec.durationMs - windowSlackMs(spec))
      throw new AgentError(
        'AGENT_SHORT_WINDOW',
        `${label} measured ${Math.round(r.measuredMs)} ms of the ${spec.durationMs} ms window`,
      );
  }
}

/** One LoadResult for the cell, exactly as if one engine had run every agent's threads. */
export function mergeAgents(spec: LoadSpec, reports: readonly AgentReport[]): LoadResult {
  checkCoverage(spec, reports);
  const ordered = [...reports].sort((a, b) => a.segment.index - b.segment.index);
  return {
    ...aggregate(
      spec,
      ordered.flatMap((r) => r.workers),
    ),
    measureStartEpochMs: ordered[0]!.startEpochMs + spec.warmupMs,
  };
}

export function summarizeAgents(reports: readonly AgentReport[]): AgentSummary[] {
  return reports.map((r) => ({
    segment: `${r.segment.index}/${r.segment.count}`,
    host: r.host,
    ...(r.cpus !== undefined ? { cpus: r.cpus } : {}),
    concurrency: r.concurrency,
    ...(r.rate !== undefined ? { rate: r.rate } : {}),
    successes: r.successes,
    errors: Object.values(r.errors).reduce((a, n) => a + n, 0),
    measuredMs: r.measuredMs,
    startSlackMs: r.startEpochMs - r.readyEpochMs,
    cpuS: (r.cpu.userMs + r.cpu.systemMs) / 1000,
  }));
}
