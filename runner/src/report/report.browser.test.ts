import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decisionRows, rowCells } from '../capacity/decision.js';
import type { CapacityResult, ProbeRecord } from '../capacity/types.js';
import { repoRoot } from '../discover.js';
import { readResults } from '../results.js';
import { parseThreshold } from '../thresholds/index.js';
import { CHROMIUM, checkInBrowser, chromiumAvailable } from './browser.js';
import { renderCompareHtml } from './compare-html.js';
import { finishRun } from './finish.js';
import { matrixRows } from './html.js';

// The report page in a real browser (Debian's chromium driven by playwright-core). Outside CI a
// machine without chromium skips; in CI (CI=true, .ci/run installs it) a missing chromium fails.
const latest = join(repoRoot(), 'results', 'latest', 'results.json');
const inCi = process.env.CI === 'true';

/** Stand-in capacity results (made-up figures, never committed) so the page has every section. */
function standInCapacity(rate: number): CapacityResult {
  const probe = (r: number, pass: boolean): ProbeRecord => ({
    rate: r,
    phase: 'bracket',
    pass,
    reasons: pass ? [] : ['p99 over the SLO'],
    durationS: 2,
    scheduled: r * 2,
    successes: r * 2,
    errors: 0,
    realizedRps: r,
    achievedRps: r,
    p50: 5,
    p95: 12,
    p99: pass ? 30 : 80,
    errorRate: 0,
    lateFraction: 0,
    serverTiming: {
      queue: { mean: 2, p50: 1, p99: 9 },
      tokenize: { mean: 0.1, p50: 0.1, p99: 0.2 },
      infer: { mean: 3, p50: 3, p99: 6 },
    },
    windowsP99: [25, 28, 30, 27],
    windowS: 0.5,
    cpuPct: 95,
    cpuSecondsPer1k: 2.5,
    peakRssMb: 200,
  });
  const probes = [probe(rate / 2, true), probe(rate, true), probe(rate * 2, false), probe(rate * 1.5, false)];
  return {
    task: 'predict',
    sloP99Ms: 50,
    capacityRps: rate,
    bracket: { lo: rate, hi: rate * 1.5 },
    stop: 'max-probes',
    atCapacity: probes[1]!,
    probes,
    wallS: 8,
  };
}

describe.runIf(chromiumAvailable() || inCi)('report page in chromium', () => {
  it('loads with no console errors and no network request; its tables equal results.json; screenshot', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install -y chromium`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'servebench-report-'));
    const r = readResults(latest);
    // The committed run may carry capacities of its own: the page is checked against these stand-ins only.
    for (const s of r.stacks) delete s.capacity;
    const ok = r.stacks.filter((s) => s.status === 'ok' && s.protocol !== 'in-process');
    ok.slice(0, 3).forEach((s, i) => (s.capacity = [standInCapacity(100 * (i + 1))]));
    writeFileSync(join(dir, 'results.json'), JSON.stringify(r));
    await finishRun(r, dir, {
      thresholds: [parseThreshold('predict:p99<50ms'), parseThreshold('predict:capacity>=150')],
    });

    const shot = join(dir, 'report.png');
    const page = await checkInBrowser(join(dir, 'index.html'), shot);
    expect(page.consoleErrors).toEqual([]);
    expect(page.requests).toEqual([]);
    const saved = readResults(join(dir, 'results.json'));
    expect(page.tables.decision).toEqual(decisionRows(saved).map(rowCells));
    expect(page.tables.decision).toHaveLength(3);
    expect(page.tables.matrix).toEqual(matrixRows(saved));
    expect(page.tables.thresholds?.map((row) => row.slice(0, 2))).toEqual([
      ['predict:p99<50ms', saved.thresholds![0]!.pass ? 'pass' : 'FAIL'],
      ['predict:capacity>=150', 'FAIL'],
    ]);
    expect(page.svgCount).toBeGreaterThanOrEqual(6);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
  }, 120_000);

  it('renders compare --html with the capacity and cell deltas and loads nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'servebench-compare-'));
    const a = readResults(latest);
    const b = readResults(latest);
    for (const x of [...a.stacks, ...b.stacks]) delete x.capacity;
    const s = b.stacks.find((x) => x.status === 'ok' && x.protocol !== 'in-process')!;
    s.capacity = [standInCapacity(200)];
    a.stacks.find((x) => x.id === s.id)!.capacity = [standInCapacity(100)];
    writeFileSync(join(dir, 'compare.html'), renderCompareHtml(a, b));
    const page = await checkInBrowser(join(dir, 'compare.html'));
    expect(page.consoleErrors).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.tables['capacity-delta']).toEqual([[s.id, 'predict', '100', '200', '+100.0%']]);
    expect(page.tables['cell-delta']!.length).toBe(a.stacks.reduce((n, x) => n + x.cells.length, 0));
  }, 120_000);
});
