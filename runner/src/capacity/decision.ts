// The decision table: per stack and task, the capacity at the SLO and what serving at it looks like.
import { TASKS, type Task } from '@servebench/contract';
import { DEFAULT_PRICE_PER_CORE_HOUR } from '../resources/cost.js';
import type { CapacityResult } from './types.js';

export interface DecisionRow {
  stack: string;
  task: Task;
  sloP99Ms: number;
  capacityRps: number | null;
  lo: number | null;
  hi: number | null;
  stop: CapacityResult['stop'];
  /** Above the runtime's ceiling by more than its spread (shown as `!`). */
  aboveCeiling: boolean;
  p50?: number;
  p95?: number;
  p99?: number;
  cpuSecondsPer1k?: number;
  usdPerMillion?: number;
  /** Mean Server-Timing ms at the capacity rate, by layer. */
  layers: Partial<Record<'queue' | 'tokenize' | 'infer', number>>;
  probes: number;
}

/** What the table reads from results.json. */
export interface DecisionSource {
  /** RunSettings; `pricePerCoreHour` when the run set one (--price-per-core-hour). */
  settings: object;
  stacks: Array<{ id: string; capacity?: CapacityResult[] }>;
}

export const priceOf = (r: DecisionSource): number =>
  (r.settings as { pricePerCoreHour?: number }).pricePerCoreHour ?? DEFAULT_PRICE_PER_CORE_HOUR;

export function decisionRows(r: DecisionSource): DecisionRow[] {
  const price = priceOf(r);
  const rows: DecisionRow[] = [];
  for (const task of TASKS) {
    for (const s of r.stacks) {
      for (const c of (s.capacity ?? []).filter((x) => x.task === task)) {
        const a = c.atCapacity;
        const layers: DecisionRow['layers'] = {};
        for (const k of ['queue', 'tokenize', 'infer'] as const) {
          const v = a?.serverTiming[k]?.mean;
          if (v !== undefined) layers[k] = v;
        }
        rows.push({
          stack: s.id,
          task,
          sloP99Ms: c.sloP99Ms,
          capacityRps: c.capacityRps,
          lo: c.bracket.lo,
          hi: c.bracket.hi,
          stop: c.stop,
          aboveCeiling: Boolean(c.aboveCeiling),
          ...(a ? { p50: a.p50, p95: a.p95, p99: a.p99 } : {}),
          ...(a?.cpuSecondsPer1k !== undefined
            ? { cpuSecondsPer1k: a.cpuSecondsPer1k, usdPerMillion: ((a.cpuSecondsPer1k * 1000) / 3600) * price }
            : {}),
          layers,
          probes: c.probes.length,
        });
      }
    }
    // Highest capacity first within a task.
  }
  return rows.sort(
    (a, b) => TASKS.indexOf(a.task) - TASKS.indexOf(b.task) || (b.capacityRps ?? -1) - (a.capacityRps ?? -1),
  );
}

const num = (x: number) =>
  x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2);

/** "412 [400, 440)", "≥ 630", "< 1" or "—"; a trailing ` !` when above the runtime's ceiling. */
export function capacityText(
  r: Pick<DecisionRow, 'capacityRps' | 'lo' | 'hi' | 'stop'> & { aboveCeiling?: boolean },
): string {
  if (r.stop === 'stack-failed') return 'failed';
  if (r.capacityRps === null) return r.hi !== null ? `< ${num(r.hi)}` : '—';
  const flag = r.aboveCeiling ? ' !' : '';
  if (r.hi === null) return `≥ ${num(r.capacityRps)}${flag}`;
  return `${num(r.capacityRps)} [${num(r.lo!)}, ${num(r.hi)})${flag}`;
}

/** Text cells of one row, shared by the markdown and HTML renderings (the browser test compares them). */
export function rowCells(r: DecisionRow): string[] {
  const opt = (x: number | undefined, f = num) => (x === undefined ? '' : f(x));
  const split = (['queue', 'tokenize', 'infer'] as const).map((k) => opt(r.layers[k])).join(' / ');
  return [
    r.stack,
    r.task,
    `${num(r.sloP99Ms)}`,
    capacityText(r),
    opt(r.p50),
    opt(r.p95),
    opt(r.p99),
    opt(r.cpuSecondsPer1k, (x) => x.toFixed(2)),
    opt(r.usdPerMillion, (x) => x.toFixed(3)),
    Object.keys(r.layers).length ? split : '',
  ];
}

export const DECISION_HEADER = [
  'stack',
  'task',
  'p99 SLO ms',
  'capacity req/s [bracket)',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'server CPU-s / 1k req',
  'USD / 1M req',
  'queue / tokenize / infer ms',
];

/** The markdown decision table, or '' when the run has no capacity results. */
export function renderDecisionTable(r: DecisionSource): string {
  const rows = decisionRows(r);
  if (!rows.length) return '';
  return [
    `| ${DECISION_HEADER.join(' | ')} |`,
    `|---|---|${DECISION_HEADER.slice(2)
      .map(() => '---:')
      .join('|')}|`,
    ...rows.map((x) => `| ${rowCells(x).join(' | ')} |`),
    '',
    `Capacity: the highest Poisson arrival rate whose p99 stays at or under the SLO with at most 0.1% errors, at most 10% of sends over 5 ms late and an achieved rate within 2% of the scheduled one; \`[lo, hi)\` is the last passing and the first failing probe rate. \`≥\` means the search stopped at its highest allowed rate (1.5x the matrix's best req/s); \`!\` marks a capacity above its runtime's ceiling by more than the ceiling's spread, a measurement error. Latencies, CPU and the per-layer split (mean Server-Timing) are those of the probe at that rate. USD at $${priceOf(r)} per core-hour of server CPU.`,
  ].join('\n');
}
