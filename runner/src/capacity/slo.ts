// Default p99 SLOs per model and task, and the `--slo task:p99=<ms>` flag.
import { TASKS, type Task } from '@servebench/contract';

/**
 * Default p99 targets (ms). hello_world and tokenize: 10 ms, a budget for the HTTP path alone.
 * predict: about ten times the model's single-request latency on one core, so queueing has room
 * and the capacity measures how close to saturation a stack can run, not the model's speed.
 * Add a row when a model is added; `--slo` overrides any entry.
 */
export const DEFAULT_SLO_P99_MS: Readonly<Record<string, Readonly<Record<Task, number>>>> = Object.freeze({
  tiny: { hello_world: 10, tokenize: 10, predict: 20 },
  mini: { hello_world: 10, tokenize: 10, predict: 50 },
  small: { hello_world: 10, tokenize: 10, predict: 150 },
  base: { hello_world: 10, tokenize: 10, predict: 500 },
  // The real sentence-transformers model (6 layers, hidden 384: ~3x mini's work per token); int8 keeps the same target.
  'all-minilm-l6-v2': { hello_world: 10, tokenize: 10, predict: 100 },
  'all-minilm-l6-v2-int8': { hello_world: 10, tokenize: 10, predict: 100 },
});

/** Fallback for a model without a row: the `mini` targets. */
export function sloFor(model: string, task: Task, overrides: Partial<Record<Task, number>> = {}): number {
  return overrides[task] ?? (DEFAULT_SLO_P99_MS[model] ?? DEFAULT_SLO_P99_MS.mini!)[task];
}

export class SloError extends Error {}

/** Parses `predict:p99=50` items (ms; `50ms` and `0.05s` also accepted). Only p99 SLOs exist. */
export function parseSlo(items: string[]): Partial<Record<Task, number>> {
  const out: Partial<Record<Task, number>> = {};
  for (const item of items) {
    const m = /^([a-z_]+):p99=([0-9.]+)(ms|s)?$/.exec(item.trim());
    const task = m?.[1] as Task | undefined;
    const v = m ? Number(m[2]) * (m[3] === 's' ? 1000 : 1) : Number.NaN;
    if (!m || !TASKS.includes(task!) || !(v > 0))
      throw new SloError(
        `--slo ${item}: expected <task>:p99=<ms> with task one of ${TASKS.join(', ')}, e.g. predict:p99=50`,
      );
    out[task!] = v;
  }
  return out;
}
