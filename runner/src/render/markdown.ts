import { TASKS } from '@servebench/contract';
import { machineStamp } from '../environment.js';
import { lightSharedWith } from '../profiles.js';
import type { CellResult, RunResults, StackResult } from '../results.js';
import { placementStamp, renderCost } from './cost.js';
import { aaReport, aaText } from '../verdicts/aa.js';
import { renderRatios } from '../verdicts/ratios.js';

const num = (x: number) =>
  x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.1 ? x.toFixed(2) : x.toPrecision(2);

function flags(c: CellResult): string {
  const f: string[] = [];
  if (c.status === 'unstable') f.push('~');
  if (c.clientBound) f.push('c');
  if (c.machineBound) f.push('m');
  if (c.aboveCeiling) f.push('!');
  const errors = Object.values(c.load.errors).reduce((a, b) => a + b, 0);
  if (errors > 0) f.push('e');
  return f.length ? ` ${f.join('')}` : '';
}

/** An unstable cell shows its rounds' min-max next to the median. */
const spread = (c: CellResult) =>
  c.status === 'unstable' && c.stability.rounds > 1 ? ` (${num(c.stability.min)}-${num(c.stability.max)})` : '';

const cellText = (c: CellResult | undefined) =>
  !c
    ? 'not measured'
    : c.status === 'failed'
      ? 'failed'
      : `${num(c.load.rps)}${spread(c)} / ${num(c.load.latencyMs.p99)}${flags(c)}`;

/** One table per run: a row per stack and task, a column per concurrency: "req/s / p99 ms". */
export function renderTable(r: RunResults): string {
  const levels = [...new Set(r.stacks.flatMap((s) => s.cells.map((c) => c.concurrency)))].sort((a, b) => a - b);
  const lines = [
    `| stack | task | ${levels.map((c) => `c=${c}`).join(' | ')} |`,
    `|---|---|${levels.map(() => '---:').join('|')}|`,
  ];
  for (const task of TASKS) {
    for (const s of r.stacks.filter((x) => x.cells.some((c) => c.task === task))) {
      const row = levels.map((c) => {
        const cell = s.cells.find((x) => x.task === task && x.concurrency === c);
        return cell ? cellText(cell) : '';
      });
      lines.push(`| ${s.id} | ${task} | ${row.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

function notMeasured(stacks: StackResult[]): string {
  const out = stacks.filter((s) => s.status !== 'ok');
  if (!out.length) return '';
  return [
    '',
    '**Not measured:**',
    '',
    ...out.map((s) => `- \`${s.id}\`: ${s.status}${s.reason ? ` — ${s.reason.split('\n')[0]!}` : ''}`),
  ].join('\n');
}

function stackFacts(stacks: StackResult[]): string {
  const measured = stacks.filter((s) => s.status === 'ok' && s.protocol !== 'in-process');
  if (!measured.length) return '';
  const rows = measured.map((s) => {
    const peak = Math.max(0, ...s.cells.map((c) => c.resources?.peakRssMb ?? 0));
    return `| ${s.id} | ${s.coldStartMs ?? ''} | ${s.modelLoadMs ?? ''} | ${peak.toFixed(0)} | ${s.launches ?? 1} |`;
  });
  // Backend details are long (runtime, threads, model server): a list, not a table column.
  const details = measured
    .filter((s) => s.backendInfo && Object.keys(s.backendInfo).length)
    .map(
      (s) =>
        `- \`${s.id}\`: ${Object.entries(s.backendInfo!)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`,
    );
  return [
    '',
    '| stack | cold start ms | model load ms | peak RSS MB | launches |',
    '|---|---:|---:|---:|---:|',
    ...rows,
    ...(details.length ? ['', '**Backends:**', '', ...details] : []),
  ].join('\n');
}

const batchPolicy = (s: RunResults['settings']) =>
  (s.maxBatchSize ?? 1) > 1
    ? `dynamic batching up to ${s.maxBatchSize} rows with ${s.maxQueueDelayUs} µs max queue delay`
    : 'no dynamic batching';

/** " (predict c=32; every other cell 3)" when only some cells get every round, or ''. */
function byTask(s: RunResults['settings']): string {
  if (!s.verdictCells || (s.otherRounds ?? s.rounds) >= s.rounds) return '';
  return ` (${s.verdictCells.map((k) => `${k.task} c=${k.concurrency}`).join(', ')}; every other cell ${s.otherRounds})`;
}

/** How the rounds ran, and how far the calibration references drifted over them. */
function roundsStamp(r: RunResults): string {
  const s = r.settings;
  const rounds = s.rounds ?? 1;
  const which = s.extraRoundTasks ? `${s.extraRoundTasks.join('/')} cell` : 'cell';
  const extra = s.extraRounds ? ` (+ up to ${s.extraRounds} extra for a ${which} whose rounds disagree)` : '';
  const kept = s.keepStacksUp === false ? 'relaunched every round' : 'kept up between rounds';
  const drift = (r.drift ?? [])
    .filter((d) => d.median > 0)
    .map(
      (d) =>
        `\`${d.id}\` ${d.task} c=${d.concurrency} ${d.rps.map((x) => num(x)).join(', ')} req/s by round (spread ${(d.spread * 100).toFixed(1)}%)`,
    );
  return [
    (r.roundsRun ?? 1) <= 1 && rounds === 1
      ? 'Rounds: 1 (one measurement per cell, no spread).'
      : `Rounds: ${rounds}${byTask(s)}${extra}, ${r.roundsRun ?? rounds} run; the stack order is shuffled every round; stacks ${kept}.`,
    drift.length ? ` Drift of the calibration references over the run: ${drift.join('; ')}.` : '',
    sharedLight(r),
  ].join('');
}

/** Which stacks' hello_world and tokenize rows stand for which (quick's lightOncePerServer), or ''. */
function sharedLight(r: RunResults): string {
  if (!r.settings.lightOncePerServer) return '';
  const skipped = new Set(r.stacks.filter((x) => x.status === 'skipped').map((x) => x.id));
  const shared = [...lightSharedWith(r.stacks.filter((x) => !x.twinOf))].filter(([id]) => !skipped.has(id));
  if (!shared.length) return '';
  const by = new Map<string, string[]>();
  for (const [id, carrier] of shared) by.set(carrier, [...(by.get(carrier) ?? []), id]);
  const list = [...by].map(([carrier, ids]) => `${carrier} for ${ids.join(', ')}`).join('; ');
  return ` hello_world and tokenize never reach the model, so this profile measures them once per server: ${list} (\`full\` measures every stack).`;
}

/** The model as the header names it: name, source package and license, sha256, parameters, layers, hidden size, max length. */
function modelStamp(m: RunResults['model']): string {
  const src = m.source?.package ? `from \`${m.source.package}\` ${m.source.version ?? ''}`.trim() : `seed ${m.seed}`;
  const lic = m.source?.license ? `, license ${m.source.license}` : '';
  const params = m.parameters ? `${(m.parameters / 1e6).toFixed(1)}M parameters, ` : '';
  const max = m.maxLength ? `, max length ${m.maxLength}` : '';
  return `\`${m.name}\` (${src}${lic}, sha256 ${m.sha256.slice(0, 12)}, ${params}${m.layers} layers, hidden ${m.hiddenSize}${max})`;
}

/** The markdown summary of one run: stamp, settings, the table, flags legend, failures. */
export function renderMarkdown(r: RunResults): string {
  const s = r.settings;
  const tol = (s.roundTolerance ?? 0.1) * 100;
  return [
    `**Run \`${r.runId}\`** (${r.status}, ${r.wallS ?? '?'} s wall) — profile \`${s.profile}\`, model ${modelStamp(r.model)}, ${s.sentences} sentences${(s.textsPerRequest ?? 1) > 1 ? ` (${s.textsPerRequest} per request; the raw row sends one)` : ''}, ${s.mode} loop, ${s.durationS} s per cell after ${s.warmupS} s warm-up, ${s.workers} worker(s), ${s.intraOpThreads} ORT thread(s), ${batchPolicy(s)}, launcher \`${s.launcher}\`${targetsNote(s)}.`,
    '',
    roundsStamp(r),
    '',
    placementStamp(r),
    '',
    `Machine: ${machineStamp(r.environment)}.`,
    '',
    renderTable(r),
    '',
    `Each cell: the median over rounds of verified successful requests/s / p99 latency in ms from the merged histogram of all rounds (p50-p99.9 and every round are in results.json). Flags: \`~\` unstable (fewer than ${s.rounds ?? 1} of its rounds within ±${tol}% of their median; the rounds' min-max is shown), \`c\` client-bound (load generator event loop above 95% or its CPU set at least 90% busy), \`m\` machine-bound (all CPUs at least 90% busy), \`!\` above its runtime's ceiling by more than the ceiling's spread (a measurement error, see results.json), \`e\` some requests failed (counted by class in results.json, never as throughput). \`raw+ort\` is the in-process reference: the same tokenizer and model with no server.`,
    renderCost(r),
    aaText(aaReport(r)),
    renderRatios(r),
    stackFacts(r.stacks),
    notMeasured(r.stacks),
  ].join('\n');
}

/** --target endpoints the run measured instead of launching; remote ones say so. */
function targetsNote(s: RunResults['settings']): string {
  const t = Object.entries(s.targets ?? {});
  if (!t.length) return '';
  return `, running endpoints measured: ${t.map(([id, x]) => `${id} at ${x.url}${x.remote ? ' (REMOTE, --allow-remote)' : ''}`).join(', ')}`;
}
