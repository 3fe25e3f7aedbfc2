import { describe, expect, it } from 'vitest';
import type { CellResult, StackResult } from '../results.js';
import { resourceValues, svgOf, throughputSpec, throughputValues, topCells } from './vega.js';

// Hand-built stand-in results: only the fields the chart rows read are filled in.
const cell = (
  task: 'hello_world' | 'predict',
  concurrency: number,
  status: CellResult['status'],
  rps: number,
  extra = {},
) =>
  ({
    task,
    concurrency,
    status,
    load: { rps, cdf: [[50, concurrency]] },
    ...extra,
  }) as unknown as CellResult;
const stack = (id: string, cells: CellResult[]) => ({ id, cells }) as unknown as StackResult;

describe('chart rows', () => {
  const a = stack('a', [
    cell('predict', 1, 'ok', 10),
    cell('predict', 8, 'ok', 40),
    cell('predict', 16, 'failed', 0),
    cell('hello_world', 4, 'unstable', 99),
  ]);

  it('throughputValues keeps every cell but the failed ones', () => {
    expect(throughputValues([a])).toEqual([
      { stack: 'a', task: 'predict', concurrency: 1, rps: 10 },
      { stack: 'a', task: 'predict', concurrency: 8, rps: 40 },
      { stack: 'a', task: 'hello_world', concurrency: 4, rps: 99 },
    ]);
  });

  it('topCells picks the highest non-failed concurrency of each task, and leaves out tasks with none', () => {
    const tops = topCells(a).map(({ task, top }) => [task, top.concurrency]);
    expect(tops).toContainEqual(['predict', 8]);
    expect(tops).toContainEqual(['hello_world', 4]);
    expect(tops).toHaveLength(2);
    expect(topCells(stack('b', [cell('predict', 2, 'failed', 0)]))).toEqual([]);
  });

  it('resourceValues lays the cells back to back in time', () => {
    const samples = (ts: number[]) => ({ resources: { samples: ts.map((tS) => ({ tS, cpuPct: 50, rssMb: 100 })) } });
    const s = stack('a', [cell('predict', 1, 'ok', 1, samples([0.5, 2])), cell('predict', 2, 'ok', 1, samples([1]))]);
    const rows = resourceValues([s], 'CPU %');
    expect(rows.filter((r) => r.metric === 'CPU %').map((r) => r.t)).toEqual([0.5, 2, 3]);
    expect(rows.filter((r) => r.metric === 'RSS MB')).toHaveLength(3);
  });

  it('throughputSpec renders to an SVG with one panel per task', async () => {
    const svg = await svgOf(throughputSpec(throughputValues([a]), { width: 100, height: 80, title: 'stand-in run' }));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('stand-in run');
    expect(svg).toContain('predict');
  });
});
