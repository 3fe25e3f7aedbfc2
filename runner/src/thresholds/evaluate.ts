// Evaluates thresholds against a finished run: every matching cell (or capacity result) must hold.
import type { Task } from '@servebench/contract';
import type { CapacityResult } from '../capacity/types.js';
import type { LatencySummary } from '../load/types.js';
import { LATENCY_METRICS, type Op, type Threshold } from './parse.js';

/** The parts of a results.json stack the evaluator reads. */
export interface StackView {
  id: string;
  protocol: string;
  cells: Array<{
    task: Task;
    concurrency: number;
    status: string;
    load: { latencyMs: LatencySummary; errors: Record<string, number>; successes: number; rps: number };
  }>;
  capacity?: CapacityResult[];
}

export interface Observation {
  stack: string;
  task: Task;
  /** The cell's concurrency; absent for capacity. */
  concurrency?: number;
  value: number;
  pass: boolean;
}

export interface ThresholdResult {
  expr: string;
  pass: boolean;
  observed: Observation[];
  /** Why it failed when nothing was there to check. */
  reason?: string;
}

export const holds = (value: number, op: Op, limit: number): boolean =>
  Number.isFinite(value) &&
  (op === '<' ? value < limit : op === '<=' ? value <= limit : op === '>' ? value > limit : value >= limit);

function cellValue(t: Threshold, c: StackView['cells'][number]): number {
  const l = c.load;
  if (t.metric === 'rps') return l.rps;
  if (t.metric === 'errors') {
    const errors = Object.values(l.errors).reduce((a, b) => a + b, 0);
    return errors + l.successes > 0 ? errors / (errors + l.successes) : 1;
  }
  // A cell without verified successes has no latency to hold against a limit.
  if (l.successes === 0) return Number.NaN;
  return (l.latencyMs as unknown as Record<string, number | undefined>)[t.metric] ?? Number.NaN;
}

/**
 * A threshold passes when it matched something and every match holds. Without a stack it covers
 * every server stack (the in-process raw row only when named). A threshold that matches nothing
 * fails: a gate that checks nothing must not pass silently.
 */
export function evaluateThresholds(thresholds: Threshold[], stacks: StackView[]): ThresholdResult[] {
  return thresholds.map((t) => {
    const chosen = stacks.filter((s) => (t.stack ? s.id === t.stack : s.protocol !== 'in-process'));
    const observed: Observation[] = [];
    for (const s of chosen) {
      if (t.metric === 'capacity') {
        for (const c of (s.capacity ?? []).filter((x) => x.task === t.task)) {
          const value = c.capacityRps ?? 0;
          observed.push({ stack: s.id, task: t.task, value, pass: holds(value, t.op, t.value) });
        }
        continue;
      }
      for (const c of s.cells.filter((x) => x.task === t.task)) {
        const value = cellValue(t, c);
        observed.push({
          stack: s.id,
          task: t.task,
          concurrency: c.concurrency,
          value,
          pass: holds(value, t.op, t.value),
        });
      }
    }
    if (!observed.length)
      return {
        expr: t.expr,
        pass: false,
        observed,
        reason:
          t.stack && !chosen.length ? `no stack ${t.stack} in this run` : `nothing measured for ${t.task} ${t.metric}`,
      };
    return { expr: t.expr, pass: observed.every((o) => o.pass), observed };
  });
}

const fmt = (t: string, v: number) =>
  !Number.isFinite(v)
    ? 'n/a'
    : t === 'errors'
      ? `${(v * 100).toFixed(3)}%`
      : (LATENCY_METRICS as readonly string[]).includes(t)
        ? `${v.toFixed(2)} ms`
        : `${v.toFixed(1)} req/s`;

/** One line per threshold, failures with their worst offenders. */
export function describeThresholds(results: ThresholdResult[], thresholds: Threshold[]): string {
  return results
    .map((r, i) => {
      const metric = thresholds[i]?.metric ?? '';
      const bad = r.observed.filter((o) => !o.pass);
      const where = (o: Observation) =>
        `${o.stack}${o.concurrency !== undefined ? ` c=${o.concurrency}` : ''} ${fmt(metric, o.value)}`;
      return r.pass
        ? `✓ ${r.expr} (${r.observed.length} checked)`
        : `✗ ${r.expr}: ${r.reason ?? `${bad.length} of ${r.observed.length} violate: ${bad.slice(0, 5).map(where).join(', ')}${bad.length > 5 ? ', …' : ''}`}`;
    })
    .join('\n');
}

/** Exit status for violated thresholds (k6 uses 99 too), distinct from usage (2) and failures (1). */
export const THRESHOLD_EXIT_CODE = 99;
