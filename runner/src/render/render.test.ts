import { describe, expect, it } from 'vitest';
import { compareRuns } from '../compare.js';
import type { CellResult, RunResults, StackResult } from '../results.js';
import { PROFILES } from '../profiles.js';
import { fixtureRun, fixtureStack } from '../testing/run-fixture.js';
import { renderCsv } from './csv.js';
import { renderMarkdown } from './markdown.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../discover.js';
import { CAPACITY_BEGIN, CAPACITY_END } from '../capacity/readme.js';
import { BEGIN, END, RESULTS_PAGE, replaceBetweenMarkers } from './results-page.js';

function cell(
  task: CellResult['task'],
  concurrency: number,
  rps: number,
  p99: number,
  extra: Partial<CellResult> = {},
): CellResult {
  const lat = { count: 10, min: 1, mean: 2, p50: 2, p90: 3, p95: 3.5, p99, p999: p99, max: p99 };
  const stable = extra.status !== 'unstable';
  return {
    task,
    concurrency,
    status: 'ok',
    startedAt: '2026-01-01T00:00:00Z',
    clientBound: false,
    stability: {
      stable,
      rounds: 3,
      within: stable ? 3 : 1,
      required: 3,
      median: rps,
      min: rps * (stable ? 0.95 : 0.7),
      max: rps * (stable ? 1.05 : 1.3),
      spread: stable ? 0.1 : 0.6,
      threshold: 0.1,
    },
    rounds: [],
    load: {
      mode: 'closed',
      concurrency,
      durationS: 1,
      successes: rps,
      errors: {},
      rps,
      latencyMs: lat,
      cdf: [],
      windows: [],
      serverTiming: {},
      clientElu: 0.5,
      threads: 1,
    },
    ...extra,
  };
}

const run = (id: string, stacks: StackResult[]): RunResults => fixtureRun(id, stacks, { settings: PROFILES.smoke! });
const stack = fixtureStack;

describe('rendering', () => {
  const r = run('r1', [
    stack('fastify+ort', [
      cell('hello_world', 1, 1000, 0.5),
      cell('predict', 1, 500, 2.5, { status: 'unstable' }),
      cell('predict', 8, 800, 12, { clientBound: true }),
    ]),
    stack('broken+none', [], { status: 'failed-verification', reason: 'tokenize ids differ' }),
  ]);

  it('puts req/s and p99 per concurrency, flags, the machine stamp and the failures in the markdown', () => {
    const md = renderMarkdown(r);
    expect(md).toContain('| stack | task | c=1 | c=8 |');
    expect(md).toContain('| fastify+ort | hello_world | 1000 / 0.50 |  |');
    expect(md).toContain('| fastify+ort | predict | 500 (350-650) / 2.50 ~ | 800 / 12.0 c |');
    expect(md).toContain('Test CPU, 2 cores, 24 GiB');
    expect(md).toContain(`commit ${'a'.repeat(12)}`);
    expect(md).toMatch(/`broken\+none`: failed-verification — tokenize ids differ/);
  });

  it('writes one CSV row per cell', () => {
    const lines = renderCsv(r).trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^fastify\+ort,hello_world,1,ok,1000\.0,/);
  });

  it('replaces only the text between the results markers and refuses a file without them', () => {
    const text = `intro\n${BEGIN}\nold\n${END}\noutro\n`;
    const out = replaceBetweenMarkers(text, 'NEW TABLE');
    expect(out.startsWith('intro\n')).toBe(true);
    expect(out.endsWith(`${END}\noutro\n`)).toBe(true);
    expect(out).toContain('NEW TABLE');
    expect(out).not.toContain('old');
    expect(() => replaceBetweenMarkers('no markers', 'x')).toThrow(/markers/);
  });

  it('finds its blocks where they live: the decision table in README.md, the full tables in docs/results.md', () => {
    const root = repoRoot();
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const page = readFileSync(join(root, RESULTS_PAGE), 'utf8');
    expect(readme).toContain(CAPACITY_BEGIN);
    expect(readme).toContain(CAPACITY_END);
    expect(readme).not.toContain(BEGIN);
    expect(page).toContain(BEGIN);
    expect(page).toContain(END);
  });

  it('lists backend details per stack instead of a wide table column', () => {
    const info = { runtime: 'onnxruntime-node 1.30.0', note: 'x'.repeat(300) };
    const md = renderMarkdown(run('b', [stack('fastify+ort', [cell('predict', 1, 500, 2)], { backendInfo: info })]));
    expect(md).toContain(`- \`fastify+ort\`: runtime=onnxruntime-node 1.30.0, note=${'x'.repeat(300)}`);
    for (const line of md.split('\n').filter((l) => l.startsWith('|'))) expect(line.length).toBeLessThan(200);
  });

  it('compares two runs cell by cell with the reproducibility share', () => {
    const b = run('r2', [stack('fastify+ort', [cell('hello_world', 1, 1100, 0.4), cell('tokenize', 1, 10, 1)])]);
    const text = compareRuns(r, b);
    expect(text).toContain('| fastify+ort | hello_world | 1 | 1000 (950-1050) | 1100 (1045-1155) | +10.0% | same |');
    expect(text).toContain('Reproducibility: 1 of 1 cells (100%) within ±10% on median req/s.');
    expect(text).toContain('only in B (or failed in one): fastify+ort tokenize c=1');
    expect(text).toMatch(/machine and stack changes cannot be told apart/);
  });

  it('tells a machine change from a stack change by the calibration references', () => {
    const drift = (median: number) => [
      {
        id: 'bare-http',
        task: 'hello_world' as const,
        concurrency: 32,
        rps: [median],
        median,
        min: median,
        max: median,
        spread: 0,
      },
    ];
    const a = {
      ...run('a', [
        stack('fastify+ort', [cell('predict', 1, 1000, 1)]),
        stack('hono+ort', [cell('predict', 1, 500, 1)]),
      ]),
      drift: drift(10_000),
    };
    // The machine got 30% faster; fastify moved with it, hono did not.
    const b = {
      ...run('b', [
        stack('fastify+ort', [cell('predict', 1, 1300, 1)]),
        stack('hono+ort', [cell('predict', 1, 500, 1)]),
      ]),
      drift: drift(13_000),
    };
    const text = compareRuns(a, b);
    expect(text).toContain('| fastify+ort | predict | 1 | 1000 (950-1050) | 1300 (1235-1365) | +30.0% | machine |');
    expect(text).toContain('| hono+ort | predict | 1 | 500 (475-525) | 500 (475-525) | +0.0% | same |');
    expect(text).toContain('factor 1.300');
    expect(text).toContain('Reproducibility: 1 of 2 cells (50%)');
    expect(text).toContain('once B is divided by that factor: 2 of 2 cells (100%)');
    expect(text).toContain('Predict ranking: agrees on all 1 pairs');
  });

  it('reports a predict ranking that flips where the spreads are apart', () => {
    const a = run('a', [stack('x+ort', [cell('predict', 32, 1000, 1)]), stack('y+ort', [cell('predict', 32, 500, 1)])]);
    const b = run('b', [stack('x+ort', [cell('predict', 32, 500, 1)]), stack('y+ort', [cell('predict', 32, 1000, 1)])]);
    expect(compareRuns(a, b)).toContain('Predict ranking: DISAGREES on 1 of 1 pairs');
    // Overlapping spreads decide nothing.
    const c = run('c', [
      stack('x+ort', [cell('predict', 32, 1000, 1, { status: 'unstable' })]),
      stack('y+ort', [cell('predict', 32, 900, 1)]),
    ]);
    expect(compareRuns(c, c)).toContain('no pair of stacks has spreads (2+ rounds) apart');
  });

  it('writes rounds, p95 and the spread in the CSV', () => {
    const [header, row] = renderCsv(r).trim().split('\n');
    const cols = header!.split(',');
    const v = row!.split(',');
    expect(v[cols.indexOf('p95_ms')]).toBe('3.5');
    expect(v[cols.indexOf('rounds')]).toBe('3');
    expect(v[cols.indexOf('rps_min')]).toBe('950.0');
  });
});
