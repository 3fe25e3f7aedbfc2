// Whether two runs agree once each is put in units of its own machine's speed: every figure divided by the
// speedometer reading beside it (a req/s per model-call/s), so a run on a host 1.9x faster compares with one on a
// slower host. And whether the verdicts agree: a pair of stacks one run separates should be separated the same
// way by the other, never the opposite way.
import type { CapacityResult } from '../capacity/types.js';
import type { CellResult, RunResults } from '../results.js';
import { pairedVerdict } from '../stats/verdict.js';
import { capacityByRound, perSpeed, referenceSpeed } from './normalize.js';

export const AGREE_WITHIN = 0.1;

const cellPerSpeed = (c: CellResult) =>
  perSpeed(
    c.rounds.filter((x) => !x.failed).map((x) => ({ value: x.load.rps, ...(x.speed ? { speed: x.speed } : {}) })),
  );

const capacityPerSpeed = (c: CapacityResult) =>
  perSpeed(
    (c.rounds ?? []).flatMap((x) => (x.rps === null ? [] : [{ value: x.rps, ...(x.speed ? { speed: x.speed } : {}) }])),
  );

export interface Agreement {
  label: string;
  a: number;
  b: number;
  agrees: boolean;
}

const agree = (label: string, a: number | undefined, b: number | undefined): Agreement[] =>
  a && b ? [{ label, a, b, agrees: Math.abs(b / a - 1) <= AGREE_WITHIN * (1 + 1e-12) }] : [];

/** Per cell and per capacity, the two runs' figures per unit of speed. */
export function normalizedAgreement(a: RunResults, b: RunResults): { cells: Agreement[]; capacity: Agreement[] } {
  const cells: Agreement[] = [];
  const capacity: Agreement[] = [];
  for (const sb of b.stacks) {
    const sa = a.stacks.find((s) => s.id === sb.id);
    if (!sa) continue;
    for (const cb of sb.cells) {
      const ca = sa.cells.find((c) => c.task === cb.task && c.concurrency === cb.concurrency);
      if (ca) cells.push(...agree(`${sb.id} ${cb.task} c=${cb.concurrency}`, cellPerSpeed(ca), cellPerSpeed(cb)));
    }
    for (const kb of sb.capacity ?? []) {
      const ka = (sa.capacity ?? []).find((k) => k.task === kb.task);
      if (ka) capacity.push(...agree(`${sb.id} ${kb.task}`, capacityPerSpeed(ka), capacityPerSpeed(kb)));
    }
  }
  return { cells, capacity };
}

/** Capacity verdicts between every pair of stacks: +1 (first separably higher), -1, or 0 (≈ or no verdict). */
function capacityVerdicts(r: RunResults): Map<string, number> {
  const ref = referenceSpeed(r);
  const out = new Map<string, number>();
  const withCap = r.stacks.flatMap((s) =>
    (s.capacity ?? []).map((c) => ({ id: `${s.id} ${c.task}`, task: c.task, c })),
  );
  for (const x of withCap)
    for (const y of withCap) {
      if (x.id >= y.id || x.task !== y.task) continue;
      const v = pairedVerdict(capacityByRound(x.c, ref), capacityByRound(y.c, ref));
      out.set(`${x.id} vs ${y.id}`, v?.separable ? (v.ratio > 1 ? 1 : -1) : 0);
    }
  return out;
}

/** Pairs either run declares different: how many the other declares the same way, and the opposite way. */
export function verdictAgreement(a: RunResults, b: RunResults) {
  const [va, vb] = [capacityVerdicts(a), capacityVerdicts(b)];
  let declared = 0;
  let same = 0;
  const opposite: string[] = [];
  for (const [pair, x] of va) {
    const y = vb.get(pair);
    if (y === undefined || (x === 0 && y === 0)) continue;
    declared++;
    if (x === y) same++;
    else if (x !== 0 && y !== 0) opposite.push(pair);
  }
  return { declared, same, opposite };
}

const share = (n: number, of: number) => `${n} of ${of} (${of ? ((100 * n) / of).toFixed(0) : 0}%)`;

/** The compare report's normalized section. */
export function renderAgreement(a: RunResults, b: RunResults): string {
  const refA = a.speed?.reference;
  const refB = b.speed?.reference;
  if (!refA || !refB)
    return 'Normalized agreement: needs speed readings in both runs (runs made before the speedometer have none).';
  const { cells, capacity } = normalizedAgreement(a, b);
  const v = verdictAgreement(a, b);
  const moved = [...cells, ...capacity]
    .filter((x) => !x.agrees)
    .map((x) => `${x.label} ${((x.b / x.a - 1) * 100).toFixed(0)}%`);
  return [
    `Normalized by the speedometer (${refA === refB ? refA : `A: ${refA}; B: ${refB}`}; each figure divided by the reading beside it, so hosts of different speed compare):`,
    `- cells within ±${AGREE_WITHIN * 100}%: ${share(cells.filter((x) => x.agrees).length, cells.length)};`,
    `- capacities within ±${AGREE_WITHIN * 100}%: ${share(capacity.filter((x) => x.agrees).length, capacity.length)};`,
    `- capacity verdicts: ${v.declared} pair(s) declared different in either run, ${share(v.same, v.declared)} declared the same way in both, ${v.opposite.length} the opposite way${v.opposite.length ? ` (${v.opposite.join('; ')})` : ''}.`,
    ...(moved.length ? [`Outside ±${AGREE_WITHIN * 100}%: ${moved.join('; ')}.`] : []),
  ].join('\n');
}
