// `compare A B`: per-cell medians of two runs, the share that reproduces within ±10%, whether the calibration
// references say the machine changed, and whether the predict ranking agrees where the spreads are apart.
import type { CellResult, RunResults, StackResult } from './results.js';
import { spreadsOverlap } from './stats/rounds.js';
import { renderAgreement } from './verdicts/agreement.js';

/** Two medians agree when B is within ±TOLERANCE of A. */
export const TOLERANCE = 0.1;

const pct = (a: number, b: number) => (a === 0 ? 'n/a' : `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%`);
const within = (a: number, b: number) => a > 0 && Math.abs(b - a) <= TOLERANCE * a * (1 + 1e-12);
const range = (c: CellResult) =>
  c.stability.rounds > 1 ? ` (${c.stability.min.toFixed(0)}-${c.stability.max.toFixed(0)})` : '';

/**
 * The machine's speed ratio B/A from the calibration references both runs measured (geometric mean of their
 * median ratios); undefined when they share none.
 */
export function machineFactor(a: RunResults, b: RunResults): { factor: number; parts: string[] } | undefined {
  const parts: string[] = [];
  let logSum = 0;
  for (const db of b.drift ?? []) {
    const da = (a.drift ?? []).find((x) => x.id === db.id && x.task === db.task && x.concurrency === db.concurrency);
    if (!da || !(da.median > 0) || !(db.median > 0)) continue;
    logSum += Math.log(db.median / da.median);
    parts.push(
      `${db.id} ${db.task} c=${db.concurrency}: ${da.median.toFixed(0)} -> ${db.median.toFixed(0)} (${pct(da.median, db.median)})`,
    );
  }
  return parts.length ? { factor: Math.exp(logSum / parts.length), parts } : undefined;
}

interface Pair {
  a: CellResult;
  b: CellResult;
  stack: StackResult;
}

function pairsOf(a: RunResults, b: RunResults): { pairs: Pair[]; onlyB: string[] } {
  const pairs: Pair[] = [];
  const onlyB: string[] = [];
  for (const sb of b.stacks) {
    const sa = a.stacks.find((s) => s.id === sb.id);
    for (const cb of sb.cells) {
      const ca = sa?.cells.find((c) => c.task === cb.task && c.concurrency === cb.concurrency);
      if (ca && ca.status !== 'failed' && cb.status !== 'failed') pairs.push({ a: ca, b: cb, stack: sb });
      else onlyB.push(`${sb.id} ${cb.task} c=${cb.concurrency}`);
    }
  }
  return { pairs, onlyB };
}

/** Predict pairs of served stacks whose spreads are apart in both runs: does their order agree? */
export function rankingAgreement(pairs: Pair[]): { decisive: number; disagree: string[] } {
  const predict = pairs.filter((p) => p.a.task === 'predict' && p.stack.protocol !== 'in-process');
  let decisive = 0;
  const disagree: string[] = [];
  const levels = [...new Set(predict.map((p) => p.a.concurrency))].sort((x, y) => x - y);
  for (const c of levels) {
    const at = predict.filter((p) => p.a.concurrency === c);
    for (let i = 0; i < at.length; i++) {
      for (let j = i + 1; j < at.length; j++) {
        const [x, y] = [at[i]!, at[j]!];
        // One round has no spread (min = max): such a pair shows no separation, so it decides nothing.
        if ([x.a, x.b, y.a, y.b].some((c) => c.stability.rounds < 2)) continue;
        if (spreadsOverlap(x.a.stability, y.a.stability) || spreadsOverlap(x.b.stability, y.b.stability)) continue;
        decisive++;
        if (x.a.load.rps > y.a.load.rps !== x.b.load.rps > y.b.load.rps)
          disagree.push(
            `c=${c}: ${x.stack.id} vs ${y.stack.id} (A ${x.a.load.rps.toFixed(0)} vs ${y.a.load.rps.toFixed(0)}, B ${x.b.load.rps.toFixed(0)} vs ${y.b.load.rps.toFixed(0)})`,
          );
      }
    }
  }
  return { decisive, disagree };
}

/** Per-cell medians (req/s with min-max, p99) of run b against run a, then the reproducibility summary. */
export function compareRuns(a: RunResults, b: RunResults): string {
  const machine = machineFactor(a, b);
  const lines = [
    `compare ${a.runId} (A, commit ${a.environment.git.commit.slice(0, 10)}) -> ${b.runId} (B, commit ${b.environment.git.commit.slice(0, 10)})`,
    ...(a.environment.cpu === b.environment.cpu
      ? []
      : [`warning: different CPUs: "${a.environment.cpu}" vs "${b.environment.cpu}"`]),
    '',
    '| stack | task | c | req/s A | req/s B | Δ req/s | verdict | p99 A ms | p99 B ms | Δ p99 |',
    '|---|---|---:|---:|---:|---:|---|---:|---:|---:|',
  ];
  const { pairs, onlyB } = pairsOf(a, b);
  let same = 0;
  let sameAdjusted = 0;
  for (const { a: ca, b: cb, stack } of pairs) {
    const [ra, rb, pa, pb] = [ca.load.rps, cb.load.rps, ca.load.latencyMs.p99, cb.load.latencyMs.p99];
    const adjusted = machine ? within(ra, rb / machine.factor) : false;
    if (within(ra, rb)) same++;
    if (within(ra, rb) || adjusted) sameAdjusted++;
    // "machine": outside ±10% as measured, inside once B is divided by the machine's own change.
    const verdict = within(ra, rb) ? 'same' : adjusted ? 'machine' : 'stack';
    lines.push(
      `| ${stack.id} | ${cb.task} | ${cb.concurrency} | ${ra.toFixed(0)}${range(ca)} | ${rb.toFixed(0)}${range(cb)} | ${pct(ra, rb)} | ${verdict} | ${pa.toFixed(2)} | ${pb.toFixed(2)} | ${pct(pa, pb)} |`,
    );
  }
  const share = (n: number) =>
    `${n} of ${pairs.length} cells (${pairs.length ? ((100 * n) / pairs.length).toFixed(0) : 0}%)`;
  lines.push('', `Reproducibility: ${share(same)} within ±${TOLERANCE * 100}% on median req/s.`);
  if (machine) {
    lines.push(
      `Machine (calibration references, B/A): ${machine.parts.join('; ')}; factor ${machine.factor.toFixed(3)}.`,
      `Within ±${TOLERANCE * 100}% once B is divided by that factor: ${share(sameAdjusted)}; a cell marked \`machine\` moved with the machine, \`stack\` moved on its own.`,
    );
  } else lines.push('No calibration reference in both runs: machine and stack changes cannot be told apart.');
  const rank = rankingAgreement(pairs);
  lines.push(
    rank.decisive === 0
      ? 'Predict ranking: no pair of stacks has spreads (2+ rounds) apart in both runs.'
      : rank.disagree.length === 0
        ? `Predict ranking: agrees on all ${rank.decisive} pairs whose min-max spreads are apart in both runs.`
        : `Predict ranking: DISAGREES on ${rank.disagree.length} of ${rank.decisive} pairs whose spreads are apart in both runs: ${rank.disagree.slice(0, 10).join('; ')}${rank.disagree.length > 10 ? `; and ${rank.disagree.length - 10} more` : ''}.`,
  );
  lines.push('', renderAgreement(a, b));
  if (onlyB.length) lines.push('', `only in B (or failed in one): ${onlyB.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
