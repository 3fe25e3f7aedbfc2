// Prints, per run of split-study.sh, the paired 95% half-width of each pair's predict c=32 ratio.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pairedVerdict } from '../dist/stats/verdict.js';
import { cellByRound, referenceSpeed } from '../dist/verdicts/normalize.js';

const [dir, ...runs] = process.argv.slice(2);
const pairs = [
  ['fastify+ort~twin', 'fastify+ort'],
  ['fastify+ort', 'koa+ort'],
  ['express+ort', 'koa+ort'],
  ['hono+ort', 'fastify+ort'],
];
for (const id of runs) {
  const r = JSON.parse(readFileSync(join(dir, id, 'results.json'), 'utf8'));
  const ref = referenceSpeed(r);
  const cell = (s) => r.stacks.find((x) => x.id === s)?.cells.find((c) => c.task === 'predict');
  const parts = pairs.map(([a, b]) => {
    const v = pairedVerdict(cellByRound(cell(a), ref), cellByRound(cell(b), ref));
    return `${a} / ${b} ${v ? `${v.ratio.toFixed(3)} ±${(((v.hi - v.lo) / 2 / v.ratio) * 100).toFixed(1)}%` : 'n/a'}`;
  });
  console.log(`${id} (${r.wallS} s): ${parts.join('; ')}`);
}
