// The predict rows' efficiency: server CPU-seconds per 1,000 verified replies and USD per million.
import type { RunResults } from '../results.js';
import { PRICE_SOURCE } from '../resources/cost.js';
import { crossCheckStamp } from '../crosscheck.js';

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toPrecision(2));

export function renderCost(r: RunResults): string {
  const stacks = r.stacks.filter((s) => s.cells.some((c) => c.task === 'predict' && c.cost));
  if (!stacks.length) return '';
  const levels = [
    ...new Set(stacks.flatMap((s) => s.cells.filter((c) => c.task === 'predict').map((c) => c.concurrency))),
  ].sort((a, b) => a - b);
  const price = r.settings.pricePerCoreHour;
  const lines = [
    '',
    `Predict cost: server CPU-seconds per 1,000 verified replies / USD per million at $${price} per core-hour${price === undefined ? '' : ` (${PRICE_SOURCE}; --price-per-core-hour)`}.`,
    '',
    `| stack | ${levels.map((c) => `c=${c}`).join(' | ')} |`,
    `|---|${levels.map(() => '---:').join('|')}|`,
  ];
  for (const s of stacks) {
    const row = levels.map((c) => {
      const cost = s.cells.find((x) => x.task === 'predict' && x.concurrency === c)?.cost;
      return cost ? `${fmt(cost.cpuSecondsPer1k)} / $${fmt(cost.usdPerMillion)}` : '';
    });
    lines.push(`| ${s.id} | ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Where the server and the load engine ran, and the engine's cross-check against wrk / ghz. */
export function placementStamp(r: RunResults): string {
  const p = r.settings.placement;
  const where =
    p === undefined
      ? ''
      : p === null
        ? 'Placement: none (server and load engine share every CPU).'
        : `Placement: server on CPU ${p.server.join(',')}, load engine on CPU ${p.load.join(',')} (taskset; every server process read back); ${r.settings.intraOpThreads} model thread(s) (${r.settings.intraOpThreadsFrom ?? 'profile'}).`;
  const xc = r.crosscheck?.length ? ` Cross-check: ${crossCheckStamp(r.crosscheck)}.` : '';
  return `${where}${xc}`.trim();
}
