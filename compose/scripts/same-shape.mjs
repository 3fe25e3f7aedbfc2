#!/usr/bin/env node
// Checks that two results.json files have the same shape: the same key paths (array items merged,
// values ignored), every stack measured, and the launcher each claims.
//   node compose/scripts/same-shape.mjs <process results.json> <compose results.json>
// Exit 0 when they match, 1 with the differing key paths otherwise.
import { readFileSync } from 'node:fs';

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  process.stderr.write('usage: node compose/scripts/same-shape.mjs <process results.json> <compose results.json>\n');
  process.exit(2);
}
const load = (f) => JSON.parse(readFileSync(f, 'utf8'));

/** Every key path, arrays written as [] (so cells or samples of any count compare equal). */
function paths(value, prefix = '$', out = new Set()) {
  out.add(prefix);
  if (Array.isArray(value)) for (const v of value) paths(v, `${prefix}[]`, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) paths(v, `${prefix}.${k}`, out);
  return out;
}

// Fields whose keys are data, not schema: package versions found, error classes seen, per-stack env.
const DATA_KEYED = [
  /^\$\.environment\.packages\./,
  /\.errors\.[^.]+$/,
  /^\$\.settings\.stackEnv\./,
  /\.backendInfo\./,
  /\.serverTiming\.[^.]+/,
  /\.batching\.sizes\./,
  // One entry per process of the tree read back: a container's tree is not the host process tree.
  /^\$\.stacks\[\]\.placement\.processes\[\]\./,
];
const keep = (p) => !DATA_KEYED.some((re) => re.test(p));

const pr = load(a);
const cr = load(b);
const pa = new Set([...paths(pr)].filter(keep));
const pb = new Set([...paths(cr)].filter(keep));
const onlyA = [...pa].filter((p) => !pb.has(p));
const onlyB = [...pb].filter((p) => !pa.has(p));
const problems = [];
if (onlyA.length) problems.push(`only in the process run: ${onlyA.join(', ')}`);
if (onlyB.length) problems.push(`only in the compose run: ${onlyB.join(', ')}`);
const stacks = (r) => r.stacks.filter((s) => s.launcher !== 'none');
for (const [r, launcher] of [
  [pr, 'process'],
  [cr, 'compose'],
]) {
  if (r.status !== 'complete') problems.push(`${launcher} run status ${r.status}`);
  if (r.settings.launcher !== launcher) problems.push(`${launcher} run has settings.launcher ${r.settings.launcher}`);
  for (const s of stacks(r)) {
    if (s.launcher !== launcher) problems.push(`${s.id}: launcher ${s.launcher}, expected ${launcher}`);
    if (s.status !== 'ok') problems.push(`${s.id} (${launcher}): ${s.status}: ${s.reason ?? ''}`);
    if (!s.cells.some((c) => c.resources?.samples.length)) problems.push(`${s.id} (${launcher}): no resource samples`);
    // Placement on (the default on 2+ CPUs): the whole tree, containers included, read back inside the server set.
    if (r.settings.placement && !s.placement?.applied)
      problems.push(`${s.id} (${launcher}): placement not applied: ${s.placement?.reason ?? 'no record'}`);
  }
}
const cellKeys = (r) =>
  stacks(r)
    .flatMap((s) => s.cells.map((c) => `${s.id} ${c.task} c=${c.concurrency}`))
    .sort()
    .join('\n');
if (cellKeys(pr) !== cellKeys(cr)) problems.push(`different cells:\n${cellKeys(pr)}\nvs\n${cellKeys(cr)}`);

if (problems.length) {
  process.stderr.write(`same-shape: FAIL\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(
  `same-shape: ok (${pa.size} key paths, ${stacks(cr)
    .map((s) => `${s.id}: ${s.cells.length} cells`)
    .join(', ')})\n`,
);
