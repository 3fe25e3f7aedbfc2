// k6-style thresholds: `predict:p99<50ms`, `fastify+ort:predict:errors<0.1%`, `predict:capacity>=200`.
import { TASKS, type Task } from '@servebench/contract';

export const LATENCY_METRICS = ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean'] as const;
export const METRICS = [...LATENCY_METRICS, 'errors', 'rps', 'capacity'] as const;
export type Metric = (typeof METRICS)[number];
export type Op = '<' | '<=' | '>' | '>=';

export interface Threshold {
  /** The text as given. */
  expr: string;
  /** Only this stack (id, e.g. fastify+ort); undefined: every measured server stack. */
  stack?: string;
  task: Task;
  metric: Metric;
  op: Op;
  /** In the metric's base unit: ms for latencies, a fraction for errors, req/s for rps and capacity. */
  value: number;
}

export class ThresholdError extends Error {}

const UNITS: Record<string, { metrics: readonly Metric[]; factor: number }> = {
  ms: { metrics: LATENCY_METRICS, factor: 1 },
  s: { metrics: LATENCY_METRICS, factor: 1000 },
  us: { metrics: LATENCY_METRICS, factor: 0.001 },
  '%': { metrics: ['errors'], factor: 0.01 },
  'req/s': { metrics: ['rps', 'capacity'], factor: 1 },
  rps: { metrics: ['rps', 'capacity'], factor: 1 },
};

const HELP =
  'expected [<stack>:]<task>:<metric><op><value>[unit], e.g. predict:p99<50ms or fastify+ort:predict:errors<0.1%; ' +
  `metrics ${METRICS.join(', ')}; ops <, <=, >, >=; units ms, s, us (latency), % (errors), req/s (rps, capacity)`;

export function parseThreshold(expr: string): Threshold {
  const m = /^\s*([^<>=\s]+)\s*(<=|>=|<|>)\s*([0-9]*\.?[0-9]+)\s*(ms|s|us|%|req\/s|rps)?\s*$/.exec(expr);
  if (!m) throw new ThresholdError(`--threshold '${expr}': ${HELP}`);
  const parts = m[1]!.split(':');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p))
    throw new ThresholdError(`--threshold '${expr}': ${HELP}`);
  const [stack, task, metric] = parts.length === 3 ? parts : [undefined, ...parts];
  if (!TASKS.includes(task as Task))
    throw new ThresholdError(`--threshold '${expr}': unknown task ${task}; expected one of ${TASKS.join(', ')}`);
  if (!METRICS.includes(metric as Metric))
    throw new ThresholdError(`--threshold '${expr}': unknown metric ${metric}; expected one of ${METRICS.join(', ')}`);
  const unit = m[4];
  let factor = 1;
  if (unit) {
    const u = UNITS[unit]!;
    if (!u.metrics.includes(metric as Metric))
      throw new ThresholdError(`--threshold '${expr}': unit ${unit} does not fit metric ${metric}`);
    factor = u.factor;
  }
  return {
    expr: expr.trim(),
    ...(stack ? { stack } : {}),
    task: task as Task,
    metric: metric as Metric,
    op: m[2] as Op,
    value: Number(m[3]) * factor,
  };
}
