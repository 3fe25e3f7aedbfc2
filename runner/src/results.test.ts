import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResults } from './results.js';

describe('readResults', () => {
  it('reads a schema 1 run (before rounds) as one round per cell, so old runs still render and compare', () => {
    const dir = mkdtempSync(join(tmpdir(), 'servebench-v1-'));
    const lat = { count: 10, min: 1, mean: 2, p50: 2, p90: 3, p99: 9, p999: 9, max: 9 };
    const cell = {
      task: 'predict',
      concurrency: 8,
      status: 'ok',
      startedAt: 't',
      clientBound: false,
      stability: { stable: true, spread: 0.02, threshold: 0.1, lastN: 3 },
      load: {
        rps: 500,
        latencyMs: lat,
        cdf: [
          [90, 3],
          [95, 4.5],
          [99, 9],
        ],
        errors: {},
        successes: 10,
        windows: [],
      },
    };
    const v1 = {
      schema: 1,
      runId: 'old',
      settings: { profile: 'quick' },
      stacks: [{ id: 'fastify+ort', cells: [cell] }],
    };
    writeFileSync(join(dir, 'results.json'), JSON.stringify(v1));
    const r = readResults(join(dir, 'results.json'));
    expect(r.schema).toBe(2);
    expect(r.settings).toMatchObject({ rounds: 1, extraRounds: 0 });
    expect(r.drift).toEqual([]);
    const c = r.stacks[0]!.cells[0]!;
    expect(c.load.latencyMs.p95).toBe(4.5); // from the CDF point at 95
    expect(c.stability).toMatchObject({ stable: true, rounds: 1, median: 500, min: 500, max: 500 });
    expect(c.rounds).toHaveLength(1);
  });

  it('rejects a file that is not a results file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'servebench-v1-'));
    writeFileSync(join(dir, 'results.json'), JSON.stringify({ schema: 3, stacks: [] }));
    expect(() => readResults(join(dir, 'results.json'))).toThrow(/not a servebench results file/);
  });
});
