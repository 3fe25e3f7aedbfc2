// The decision table: per task, every stack's capacity at the SLO, ranked by verdict. A capacity is the median of
// its interleaved rounds at the run's median machine speed (verdicts/normalize.ts), with the rounds' range; a
// stack's rank counts only the stacks separably above it (stats/verdict.ts), so stacks the run cannot tell apart
// share a rank. Each row's ratio to the top row carries its 95% interval, `≈` when it includes 1.
import { TASKS, type Task } from '@servebench/contract';
import { DEFAULT_PRICE_PER_CORE_HOUR } from '../resources/cost.js';
import type { CalibrationResult, CellResult } from '../results.js';
import { pairedVerdict, rankByVerdict, verdictText, type Verdict } from '../stats/verdict.js';
import { capacityByRound, referenceSpeed, summary } from '../verdicts/normalize.js';
import type { CapacityResult } from './types.js';

export interface DecisionRow {
  /** 1 + the stacks separably above it in this task; absent for a stack with no capacity. */
  rank?: number;
  stack: string;
  /** Set for the A/A twin (the same stack launched twice). */
  twinOf?: string;
  task: Task;
  sloP99Ms: number;
  capacityRps: number | null;
  lo: number | null;
  hi: number | null;
  stop: CapacityResult['stop'];
  /** The rounds' crossings at the run's median speed: median and range (absent before the interleaved stage). */
  normalized?: { median: number; min: number; max: number; rounds: number };
  /** This stack against the task's first row, paired per round (absent on the first row itself). */
  vsTop?: Verdict;
  /** The task's first row: what the others are compared with. */
  first?: boolean;
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
  stacks: Array<{ id: string; twinOf?: string; capacity?: CapacityResult[]; cells?: CellResult[] }>;
  calibration?: CalibrationResult[];
}

export const priceOf = (r: DecisionSource): number =>
  (r.settings as { pricePerCoreHour?: number }).pricePerCoreHour ?? DEFAULT_PRICE_PER_CORE_HOUR;

function rowOf(
  s: DecisionSource['stacks'][number],
  c: CapacityResult,
  price: number,
  ref: number | undefined,
): DecisionRow {
  const a = c.atCapacity;
  const layers: DecisionRow['layers'] = {};
  for (const k of ['queue', 'tokenize', 'infer'] as const) {
    const v = a?.serverTiming[k]?.mean;
    if (v !== undefined) layers[k] = v;
  }
  const byRound = capacityByRound(c, ref);
  const norm = summary(byRound);
  return {
    stack: s.id,
    ...(s.twinOf ? { twinOf: s.twinOf } : {}),
    task: c.task,
    sloP99Ms: c.sloP99Ms,
    capacityRps: c.capacityRps,
    lo: c.bracket.lo,
    hi: c.bracket.hi,
    stop: c.stop,
    ...(norm ? { normalized: { ...norm, rounds: byRound.filter((x) => x !== undefined).length } } : {}),
    aboveCeiling: Boolean(c.aboveCeiling),
    ...(a ? { p50: a.p50, p95: a.p95, p99: a.p99 } : {}),
    ...(a?.cpuSecondsPer1k !== undefined
      ? { cpuSecondsPer1k: a.cpuSecondsPer1k, usdPerMillion: ((a.cpuSecondsPer1k * 1000) / 3600) * price }
      : {}),
    layers,
    probes: c.probes.length,
  };
}

export function decisionRows(r: DecisionSource): DecisionRow[] {
  const price = priceOf(r);
  const ref = referenceSpeed(r);
  const rows: DecisionRow[] = [];
  for (const task of TASKS) {
    const found = r.stacks.flatMap((s) =>
      (s.capacity ?? []).filter((x) => x.task === task).map((c) => ({ row: rowOf(s, c, price, ref), c })),
    );
    const value = (x: (typeof found)[number]) => x.row.normalized?.median ?? x.row.capacityRps ?? -1;
    const ranked = rankByVerdict(
      found.filter((x) => value(x) > 0),
      (x) => capacityByRound(x.c, ref),
      value,
    );
    const top = ranked[0]?.item;
    // By verdict: rank first (a stack no verdict separates from the top sits with it), then the median.
    ranked.sort((x, y) => x.rank - y.rank || value(y.item) - value(x.item));
    for (const { item, rank } of ranked) {
      const vs =
        top && item !== top ? pairedVerdict(capacityByRound(item.c, ref), capacityByRound(top.c, ref)) : undefined;
      rows.push({ ...item.row, rank, ...(item === top ? { first: true } : {}), ...(vs ? { vsTop: vs } : {}) });
    }
    // Stacks with no capacity (failed, nothing passed) come last, unranked.
    for (const x of found.filter((y) => !(value(y) > 0))) rows.push(x.row);
  }
  return rows;
}

const num = (x: number) =>
  x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2);

/**
 * "412 (398–430)" (normalized median and range over rounds), "412 [400, 440)" for a single search, "≥ 630",
 * "< 1" or "—"; a trailing ` !` when above the runtime's ceiling.
 */
export function capacityText(
  r: Pick<DecisionRow, 'capacityRps' | 'lo' | 'hi' | 'stop' | 'normalized'> & { aboveCeiling?: boolean },
): string {
  const flag = r.aboveCeiling ? ' !' : '';
  if (r.normalized && r.normalized.rounds > 1)
    return `${num(r.normalized.median)} (${num(r.normalized.min)}–${num(r.normalized.max)})${flag}`;
  if (r.stop === 'stack-failed' && r.capacityRps === null) return 'failed';
  if (r.capacityRps === null) return r.hi !== null ? `< ${num(r.hi)}` : '—';
  if (r.hi === null) return `≥ ${num(r.capacityRps)}${flag}`;
  return `${num(r.normalized?.median ?? r.capacityRps)} [${num(r.lo!)}, ${num(r.hi)})${flag}`;
}

/** Text cells of one row, shared by the markdown and HTML renderings (the browser test compares them). */
export function rowCells(r: DecisionRow): string[] {
  const opt = (x: number | undefined, f = num) => (x === undefined ? '' : f(x));
  const split = (['queue', 'tokenize', 'infer'] as const).map((k) => opt(r.layers[k])).join(' / ');
  return [
    r.rank === undefined ? '' : String(r.rank),
    r.twinOf ? `${r.stack} (A/A twin)` : r.stack,
    r.task,
    `${num(r.sloP99Ms)}`,
    capacityText(r),
    r.first ? '—' : r.rank === undefined ? '' : verdictText(r.vsTop),
    opt(r.p50),
    opt(r.p95),
    opt(r.p99),
    opt(r.cpuSecondsPer1k, (x) => x.toFixed(2)),
    opt(r.usdPerMillion, (x) => x.toFixed(3)),
    Object.keys(r.layers).length ? split : '',
  ];
}

export const DECISION_HEADER = [
  'rank',
  'stack',
  'task',
  'p99 SLO ms',
  'capacity req/s (range over rounds)',
  'vs first row [95% CI]',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'server CPU-s / 1k req',
  'USD / 1M req',
  'queue / tokenize / infer ms',
];

/** The legend under the table, in words: how capacity, ranks and ratios are made. */
export function decisionLegend(r: DecisionSource): string {
  const rounds = (r.settings as { capacity?: { rounds?: number } }).capacity?.rounds ?? 1;
  return `Capacity: the highest Poisson arrival rate whose p99 stays at or under the SLO with at most 0.1% errors, at most 10% of sends over 5 ms late and an achieved rate within 2% of the scheduled one. Each stack is searched in ${rounds} round(s), interleaved across stacks one probe at a time; a round's capacity is its SLO crossing (interpolated on log p99 between its highest passing and lowest failing probe). Shown: the median over rounds with their range, at the run's median machine speed (each probe is scaled by the speedometer reading beside it; raw figures are in results.json). Rank: 1 + the number of stacks whose capacity is separably higher; stacks the run cannot tell apart share a rank. \`vs first row\`: the ratio to the first row, paired per round, with a Student t 95% interval on the log ratios; \`≈\` when the interval includes 1 (not separable). \`!\` marks a capacity above its runtime's ceiling, a measurement error. Latencies, CPU and the per-layer split (mean Server-Timing) are those of the passing probe nearest the capacity. USD at $${priceOf(r)} per core-hour of server CPU.`;
}

/** The markdown decision table, or '' when the run has no capacity results. */
export function renderDecisionTable(r: DecisionSource): string {
  const rows = decisionRows(r);
  if (!rows.length) return '';
  return [
    `| ${DECISION_HEADER.join(' | ')} |`,
    `|---:|---|---|${DECISION_HEADER.slice(3)
      .map(() => '---:')
      .join('|')}|`,
    ...rows.map((x) => `| ${rowCells(x).join(' | ')} |`),
    '',
    decisionLegend(r),
  ].join('\n');
}
