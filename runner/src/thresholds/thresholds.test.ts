import { describe, expect, it } from 'vitest';
import type { CapacityResult } from '../capacity/types.js';
import type { LatencySummary } from '../load/types.js';
import { describeThresholds, evaluateThresholds, type StackView } from './evaluate.js';
import { parseThreshold } from './parse.js';

function cell(
  task: 'predict' | 'hello_world',
  concurrency: number,
  p99: number,
  errors = 0,
  successes = 1000,
): StackView['cells'][number] {
  const latencyMs = {
    count: successes,
    min: 1,
    mean: 2,
    p50: 2,
    p90: 3,
    p95: 4,
    p99,
    p999: p99,
    max: p99,
  } as LatencySummary;
  return {
    task,
    concurrency,
    status: 'ok',
    load: { latencyMs, errors: errors ? { timeout: errors } : {}, successes, rps: successes / 5 },
  };
}

const capacity = (rps: number | null): CapacityResult => ({
  task: 'predict',
  sloP99Ms: 50,
  capacityRps: rps,
  bracket: { lo: rps, hi: null },
  stop: 'converged',
  probes: [],
  wallS: 1,
});

const stacks: StackView[] = [
  { id: 'raw+ort', protocol: 'in-process', cells: [cell('predict', 1, 500)] },
  {
    id: 'fastify+ort',
    protocol: 'http',
    cells: [cell('predict', 1, 5), cell('predict', 32, 60, 1, 999)],
    capacity: [capacity(400)],
  },
  {
    id: 'express+ort',
    protocol: 'http',
    cells: [cell('predict', 1, 6), cell('predict', 32, 40)],
    capacity: [capacity(null)],
  },
];

describe('parseThreshold', () => {
  it('parses task-wide and per-stack thresholds with units', () => {
    expect(parseThreshold('predict:p99<50ms')).toEqual({
      expr: 'predict:p99<50ms',
      task: 'predict',
      metric: 'p99',
      op: '<',
      value: 50,
    });
    expect(parseThreshold('fastify+ort:predict:errors<0.1%')).toMatchObject({
      stack: 'fastify+ort',
      metric: 'errors',
      value: 0.001,
    });
    expect(parseThreshold('predict:p95 <= 0.2s').value).toBe(200);
    expect(parseThreshold('predict:capacity>=300req/s')).toMatchObject({ metric: 'capacity', op: '>=', value: 300 });
  });

  it('rejects malformed input with the expected form', () => {
    expect(() => parseThreshold('predict<50')).toThrow(/expected \[<stack>:\]<task>:<metric>/);
    expect(() => parseThreshold('predict:p98<50')).toThrow(/unknown metric p98/);
    expect(() => parseThreshold('embed:p99<50')).toThrow(/unknown task embed/);
    expect(() => parseThreshold('predict:p99<5%')).toThrow(/unit % does not fit metric p99/);
    expect(() => parseThreshold('predict:p99=50')).toThrow(/expected/);
  });
});

describe('evaluateThresholds', () => {
  it('fails when any matching cell violates, naming the offender; raw is excluded unless named', () => {
    const [r] = evaluateThresholds([parseThreshold('predict:p99<50ms')], stacks);
    expect(r!.pass).toBe(false);
    expect(r!.observed).toHaveLength(4);
    expect(r!.observed.filter((o) => !o.pass)).toEqual([
      { stack: 'fastify+ort', task: 'predict', concurrency: 32, value: 60, pass: false },
    ]);
    expect(describeThresholds([r!], [parseThreshold('predict:p99<50ms')])).toMatch(
      /✗ predict:p99<50ms: 1 of 4 violate: fastify\+ort c=32 60.00 ms/,
    );
  });

  it('passes per-stack thresholds that hold and checks error rates as fractions', () => {
    const t = ['express+ort:predict:p99<50ms', 'express+ort:predict:errors<0.1%', 'fastify+ort:predict:errors<0.1%'];
    const r = evaluateThresholds(t.map(parseThreshold), stacks);
    expect(r.map((x) => x.pass)).toEqual([true, true, false]);
    expect(r[2]!.observed.find((o) => o.concurrency === 32)!.value).toBeCloseTo(0.001, 9);
  });

  it('checks capacity; a stack with no capacity counts as 0', () => {
    const [r] = evaluateThresholds([parseThreshold('predict:capacity>=300')], stacks);
    expect(r!.observed.map((o) => [o.stack, o.value, o.pass])).toEqual([
      ['fastify+ort', 400, true],
      ['express+ort', 0, false],
    ]);
  });

  it('fails a threshold that matches nothing', () => {
    const r = evaluateThresholds(
      [parseThreshold('nope+ort:predict:p99<50'), parseThreshold('hello_world:p99<5')],
      stacks,
    );
    expect(r.map((x) => [x.pass, x.reason])).toEqual([
      [false, 'no stack nope+ort in this run'],
      [false, 'nothing measured for hello_world p99'],
    ]);
  });

  it('treats a cell without successes as a violation of a latency limit', () => {
    const s: StackView[] = [{ id: 'a+b', protocol: 'http', cells: [cell('predict', 1, 0, 5, 0)] }];
    expect(evaluateThresholds([parseThreshold('predict:p99<50')], s)[0]!.pass).toBe(false);
  });
});
