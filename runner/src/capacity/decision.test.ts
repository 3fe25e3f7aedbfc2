import { describe, expect, it } from 'vitest';
import { capacityText, decisionRows, renderDecisionTable, rowCells } from './decision.js';
import { replaceCapacityBlock, CAPACITY_BEGIN, CAPACITY_END } from './readme.js';
import type { CapacityResult, ProbeRecord } from './types.js';

const probe = (rate: number, pass: boolean): ProbeRecord => ({
  rate,
  phase: 'bisect',
  pass,
  reasons: pass ? [] : ['p99 over'],
  durationS: 2,
  scheduled: rate * 2,
  successes: rate * 2,
  errors: 0,
  realizedRps: rate,
  achievedRps: rate,
  p50: 4,
  p95: 9,
  p99: 20,
  errorRate: 0,
  lateFraction: 0,
  serverTiming: {
    queue: { mean: 1, p50: 1, p99: 3 },
    tokenize: { mean: 0.05, p50: 0.05, p99: 0.1 },
    infer: { mean: 2.5, p50: 2.4, p99: 4 },
  },
  windowsP99: [],
  windowS: 0.5,
  cpuPct: 90,
  cpuSecondsPer1k: 2,
});

const cap = (lo: number | null, hi: number | null, over: Partial<CapacityResult> = {}): CapacityResult => ({
  task: 'predict',
  sloP99Ms: 50,
  capacityRps: lo,
  bracket: { lo, hi },
  stop: 'converged',
  ...(lo !== null ? { atCapacity: probe(lo, true) } : {}),
  probes: [probe(100, true), probe(200, false)],
  wallS: 3,
  ...over,
});

describe('decision table', () => {
  it('orders by capacity within a task and prices CPU-seconds at the run price', () => {
    const rows = decisionRows({
      settings: { pricePerCoreHour: 0.036 },
      stacks: [
        { id: 'slow+ort', capacity: [cap(100, 110)] },
        { id: 'fast+ort', capacity: [cap(400, 420)] },
        { id: 'none+ort' },
      ],
    });
    expect(rows.map((r) => r.stack)).toEqual(['fast+ort', 'slow+ort']);
    // 2 CPU-s per 1k = 2000 CPU-s per 1M = 0.5556 core-hours, at $0.036.
    expect(rows[0]!.usdPerMillion).toBeCloseTo(0.02, 6);
    expect(rowCells(rows[0]!)).toEqual([
      'fast+ort',
      'predict',
      '50.0',
      '400 [400, 420)',
      '4.00',
      '9.00',
      '20.0',
      '2.00',
      '0.020',
      '1.00 / 0.050 / 2.50',
    ]);
  });

  it('says when no rate passed, when the max rate was never failed, and when the stack failed', () => {
    expect(capacityText({ capacityRps: null, lo: null, hi: 1, stop: 'below-min-rate' })).toBe('< 1.00');
    expect(capacityText({ capacityRps: 5000, lo: 5000, hi: null, stop: 'max-rate' })).toBe('≥ 5000');
    expect(capacityText({ capacityRps: null, lo: null, hi: null, stop: 'stack-failed' })).toBe('failed');
    expect(capacityText({ capacityRps: 202, lo: 202, hi: 228, stop: 'converged', aboveCeiling: true })).toBe(
      '202 [202, 228) !',
    );
  });

  it('renders nothing without capacity results and a table with one row per result otherwise', () => {
    expect(renderDecisionTable({ settings: {}, stacks: [{ id: 'a' }] })).toBe('');
    const md = renderDecisionTable({ settings: {}, stacks: [{ id: 'a+b', capacity: [cap(100, 110)] }] });
    expect(md.split('\n').filter((l) => l.startsWith('| a+b |'))).toHaveLength(1);
    expect(md).toMatch(/USD at \$0.048 per core-hour/);
  });

  it('replaces only its own README block', () => {
    const text = `intro\n${CAPACITY_BEGIN}\nold\n${CAPACITY_END}\nrest`;
    expect(replaceCapacityBlock(text, 'new')).toMatch(
      /^intro\n<!-- servebench:capacity:begin -->\n<!--.*-->\nnew\n<!-- servebench:capacity:end -->\nrest$/,
    );
    expect(() => replaceCapacityBlock('no markers', 'x')).toThrow(/markers/);
  });
});
