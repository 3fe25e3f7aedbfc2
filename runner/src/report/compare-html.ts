// `servebench compare A B --html`: the deltas of two runs as one self-contained page.
import { TASKS } from '@servebench/contract';
import { machineStamp } from '../environment.js';
import type { RunResults } from '../results.js';
import { esc, page, table } from './html.js';
import { renderAgreement } from '../verdicts/agreement.js';

const pct = (a: number, b: number) => (a > 0 ? `${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%` : '');
const num = (x: number | undefined) =>
  x === undefined ? '' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);

/** Per cell present in either run: req/s and p99 of A and B with B's change against A. */
export function cellDeltaRows(a: RunResults, b: RunResults): string[][] {
  const key = (s: string, t: string, c: number) => `${s}\u0000${t}\u0000${c}`;
  const index = (r: RunResults) =>
    new Map(r.stacks.flatMap((s) => s.cells.map((c) => [key(s.id, c.task, c.concurrency), c] as const)));
  const ia = index(a);
  const ib = index(b);
  const keys = [...new Set([...ia.keys(), ...ib.keys()])].sort((x, y) => {
    const [sx, tx, cx] = x.split('\u0000');
    const [sy, ty, cy] = y.split('\u0000');
    return TASKS.indexOf(tx as never) - TASKS.indexOf(ty as never) || sx!.localeCompare(sy!) || Number(cx) - Number(cy);
  });
  return keys.map((k) => {
    const [stack, task, c] = k.split('\u0000') as [string, string, string];
    const x = ia.get(k)?.load;
    const y = ib.get(k)?.load;
    return [
      stack,
      task,
      c,
      num(x?.rps),
      num(y?.rps),
      x && y ? pct(x.rps, y.rps) : '',
      num(x?.latencyMs.p99),
      num(y?.latencyMs.p99),
      x && y ? pct(x.latencyMs.p99, y.latencyMs.p99) : '',
    ];
  });
}

/** Per stack and task with a capacity in either run. */
export function capacityDeltaRows(a: RunResults, b: RunResults): string[][] {
  const index = (r: RunResults) =>
    new Map(r.stacks.flatMap((s) => (s.capacity ?? []).map((c) => [`${s.id}\u0000${c.task}`, c] as const)));
  const ia = index(a);
  const ib = index(b);
  return [...new Set([...ia.keys(), ...ib.keys()])].sort().map((k) => {
    const [stack, task] = k.split('\u0000') as [string, string];
    const x = ia.get(k)?.capacityRps ?? undefined;
    const y = ib.get(k)?.capacityRps ?? undefined;
    return [stack, task, num(x), num(y), x !== undefined && y !== undefined ? pct(x, y) : ''];
  });
}

export function renderCompareHtml(a: RunResults, b: RunResults): string {
  const cap = capacityDeltaRows(a, b);
  return page(
    `servebench ${a.runId} vs ${b.runId}`,
    [
      `<h1>servebench: <code>${esc(b.runId)}</code> against <code>${esc(a.runId)}</code></h1>`,
      `<p class="note">A: ${esc(machineStamp(a.environment))}<br>B: ${esc(machineStamp(b.environment))}</p>`,
      cap.length
        ? `<h2>Capacity at the SLO</h2>${table('capacity-delta', ['stack', 'task', 'A req/s', 'B req/s', 'change'], cap)}`
        : '',
      `<h2>After normalization</h2><p class="note">${esc(renderAgreement(a, b)).replaceAll('\n', '<br>')}</p>`,
      '<h2>Cells</h2>',
      table(
        'cell-delta',
        ['stack', 'task', 'concurrency', 'A req/s', 'B req/s', 'req/s change', 'A p99 ms', 'B p99 ms', 'p99 change'],
        cellDeltaRows(a, b),
      ),
    ]
      .filter(Boolean)
      .join('\n'),
  );
}
