// The comparison tables of a run, every entry a ratio paired per round with its 95% interval (stats/verdict.ts):
// each served stack against the best Python peer, and each stack's predict against the raw runtime call.
import { TASKS, type Task } from '@servebench/contract';
import type { CellResult, RunResults, StackResult } from '../results.js';
import { median } from '../stats/rounds.js';
import { pairedVerdict, verdictText } from '../stats/verdict.js';
import { cellByRound, referenceSpeed } from './normalize.js';

const cellOf = (s: StackResult, task: Task, c: number): CellResult | undefined =>
  s.cells.find((x) => x.task === task && x.concurrency === c && x.status !== 'failed');

const levelsOf = (stacks: StackResult[]) =>
  [...new Set(stacks.flatMap((s) => s.cells.map((c) => c.concurrency)))].sort((a, b) => a - b);

/** One markdown table of verdicts: a row per stack and task, a column per concurrency. */
function table(
  rows: StackResult[],
  tasks: readonly Task[],
  levels: number[],
  against: (s: StackResult, task: Task, c: number) => string,
): string[] {
  const out = [
    `| stack | task | ${levels.map((c) => `c=${c}`).join(' | ')} |`,
    `|---|---|${levels.map(() => '---:').join('|')}|`,
  ];
  for (const task of tasks)
    for (const s of rows) {
      const row = levels.map((c) => against(s, task, c));
      if (row.some((x) => x)) out.push(`| ${s.id} | ${task} | ${row.join(' | ')} |`);
    }
  return out;
}

export function renderRatios(r: RunResults): string {
  const ref = referenceSpeed(r);
  const series = (c: CellResult | undefined) => cellByRound(c, ref);
  const mid = (c: CellResult | undefined) => median(series(c).filter((x): x is number => x !== undefined));
  const ok = r.stacks.filter((s) => s.status === 'ok');
  const peers = ok.filter((s) => s.language === 'python');
  const served = ok.filter((s) => s.protocol !== 'in-process');
  const raw = ok.find((s) => s.protocol === 'in-process');
  const levels = levelsOf(served);
  const out: string[] = [];
  const others = served.filter((s) => s.language !== 'python');
  if (peers.length && others.length) {
    const best = (task: Task, c: number) => peers.map((p) => cellOf(p, task, c)).sort((a, b) => mid(b) - mid(a))[0];
    out.push(
      '',
      `**Against the Python peers** (req/s of the stack / req/s of the best of ${peers.map((p) => `\`${p.id}\``).join(', ')} in the same cell; above 1 favours the stack):`,
      '',
      ...table(others, TASKS, levels, (s, task, c) => {
        const [mine, theirs] = [cellOf(s, task, c), best(task, c)];
        return mine && theirs ? verdictText(pairedVerdict(series(mine), series(theirs))) : '';
      }),
    );
  }
  if (raw && served.length) {
    out.push(
      '',
      `**Against the raw runtime** (predict req/s of the stack / req/s of \`${raw.id}\`, the same tokenizer and model called in process with no server, at the same concurrency):`,
      '',
      ...table(served, ['predict'], levels, (s, task, c) => {
        const [mine, theirs] = [cellOf(s, task, c), cellOf(raw, task, c)];
        return mine && theirs ? verdictText(pairedVerdict(series(mine), series(theirs))) : '';
      }),
    );
  }
  if (out.length)
    out.push(
      '',
      'Each ratio is paired per round (both measured in the same interleaved round, each scaled by the speedometer reading beside it): the geometric mean of the per-round ratios with a Student t 95% interval on their logs. `≈`: the interval includes 1, the two cannot be told apart in this run.',
    );
  return out.join('\n');
}
