import { describe, expect, it } from 'vitest';
import type { CapacityResult } from '../capacity/types.js';
import type { CalibrationResult, CellResult, StackResult } from '../results.js';
import { flagAboveCeiling } from './flags.js';

// Only the fields flagAboveCeiling reads; the rest of a results.json cell does not matter here.
const cell = (task: CellResult['task'], median: number, min = median, max = median) =>
  ({ task, concurrency: 32, status: 'ok', stability: { median, min, max } }) as unknown as CellResult;

const capacity = (capacityRps: number | null, task: CapacityResult['task'] = 'predict') =>
  ({
    task,
    capacityRps,
    bracket: { lo: capacityRps, hi: null },
    stop: 'converged',
    probes: [],
  }) as unknown as CapacityResult;

const stack = (cells: CellResult[], caps: CapacityResult[]) =>
  ({ id: 'x+ort', backend: 'ort', language: 'node', cells, capacity: caps }) as unknown as StackResult;

// The ort-node ceiling: median 150 req/s over rounds between 130 and 175 (spread 0.3, so the bound is 195).
const calibration = [
  { id: 'ceiling-ort-node', what: 'ceiling', status: 'ok', cells: [cell('predict', 150, 130, 175)] },
] as CalibrationResult[];

describe('flagAboveCeiling', () => {
  it('flags predict cells and predict capacities above the ceiling by more than its spread, and clears stale flags', () => {
    const s = stack([cell('predict', 190), cell('predict', 200)], [capacity(202), capacity(180)]);
    s.capacity![1]!.aboveCeiling = { runtime: 'ort-node', ceilingRps: 1, ceilingMaxRps: 1 };
    flagAboveCeiling([s], calibration);
    expect(s.cells.map((c) => Boolean(c.aboveCeiling))).toEqual([false, true]);
    expect(s.capacity!.map((c) => c.aboveCeiling)).toEqual([
      { runtime: 'ort-node', ceilingRps: 150, ceilingMaxRps: 175 },
      undefined,
    ]);
  });

  it('leaves other tasks, a missing capacity and stacks without a ceiling alone', () => {
    const s = stack([cell('tokenize', 5000)], [capacity(null), capacity(9000, 'tokenize')]);
    flagAboveCeiling([s], calibration);
    expect(s.capacity!.some((c) => c.aboveCeiling)).toBe(false);
    const triton = { ...stack([cell('predict', 900)], [capacity(900)]), backend: 'triton-http' } as StackResult;
    flagAboveCeiling([triton], calibration);
    expect(triton.cells[0]!.aboveCeiling).toBeUndefined();
    expect(triton.capacity![0]!.aboveCeiling).toBeUndefined();
  });
});
