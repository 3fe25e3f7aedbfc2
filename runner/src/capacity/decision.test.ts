import { describe, expect, it } from 'vitest';
import { capacityText, decisionRows, renderDecisionTable, rowCells } from './decision.js';
import { replaceCapacityBlock, CAPACITY_BEGIN, CAPACITY_END } from './readme.js';
import type { CapacityResult, ProbeRecord } from './types.js';
import { fixtureProbe, roundsCapacity } from '../testing/run-fixture.js';

const probe = (rate: number, pass: boolean): ProbeRecord =>
  fixtureProbe(rate, pass, {
    phase: 'bisect',
    serverTiming: {
      queue: { mean: 1, p50: 1, p99: 3 },
      tokenize: { mean: 0.05, p50: 0.05, p99: 0.1 },
      infer: { mean: 2.5, p50: 2.4, p99: 4 },
    },
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
    // One search each, no rounds: no verdict, so nothing is separably above slow+ort either.
    expect(rows.map((r) => r.rank)).toEqual([1, 1]);
    expect(rowCells(rows[1]!)[5]).toBe('n/a');
    expect(rowCells(rows[0]!)).toEqual([
      '1',
      'fast+ort',
      'predict',
      '50.0',
      '400 [400, 420)',
      '—',
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
    expect(md.split('\n').filter((l) => l.startsWith('| 1 | a+b |'))).toHaveLength(1);
    expect(md).toMatch(/USD at \$0.048 per core-hour/);
  });

  it('ranks by paired verdicts on speed-normalized rounds, and shares ranks the run cannot separate', () => {
    // Round speeds 100, 50, 100: the machine ran at half speed in round 2, and every stack's capacity halved.
    const rounds = (rps: number[]): CapacityResult => roundsCapacity(rps, [100, 50, 100]);
    const rows = decisionRows({
      settings: {},
      stacks: [
        { id: 'b+ort', capacity: [rounds([200, 101, 204])] },
        { id: 'a+ort', capacity: [rounds([202, 100, 198])] },
        { id: 'slow+ort', capacity: [rounds([100, 51, 99])] },
        { id: 'a+ort~twin', twinOf: 'a+ort', capacity: [rounds([199, 99, 203])] },
      ],
    });
    // Reference speed: the median reading, 100. Round 2 (speed 50) is scaled by 2, so a+ort reads 202, 200, 198.
    const a = rows.find((r) => r.stack === 'a+ort')!;
    expect(a.normalized).toEqual({ median: 200, min: 198, max: 202, rounds: 3 });
    expect(rows.map((r) => [r.stack, r.rank])).toEqual([
      ['b+ort', 1],
      ['a+ort', 1],
      ['a+ort~twin', 1],
      ['slow+ort', 4],
    ]);
    const slow = rows.find((r) => r.stack === 'slow+ort')!;
    expect(slow.vsTop!.separable).toBe(true);
    expect(slow.vsTop!.ratio).toBeCloseTo(0.5, 1);
    expect(rowCells(a)[5]).toMatch(/^≈ /);
    expect(rowCells(rows.find((r) => r.twinOf)!)[1]).toBe('a+ort~twin (A/A twin)');
    expect(rowCells(a)[4]).toBe('200 (198–202)');
  });

  it('replaces only its own README block', () => {
    const text = `intro\n${CAPACITY_BEGIN}\nold\n${CAPACITY_END}\nrest`;
    expect(replaceCapacityBlock(text, 'new')).toMatch(
      /^intro\n<!-- servebench:capacity:begin -->\n<!--.*-->\nnew\n<!-- servebench:capacity:end -->\nrest$/,
    );
    expect(() => replaceCapacityBlock('no markers', 'x')).toThrow(/markers/);
  });
});
