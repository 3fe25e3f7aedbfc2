import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { splitSpec, validateSpec } from './engine.js';
import { offsetGaps, runOpenLoop, type OpenLoopShare, type Verdict } from './open-loop.js';
import type { LoadSpec } from './types.js';

// Explicit send times (bursts, replayed traces): the schedule follows them, then stops.
describe('open loop with explicit send times', () => {
  it('gaps follow the offsets, then land past the end', () => {
    const g = offsetGaps([5, 10, 30], 100);
    expect([g(), g(), g()]).toEqual([5, 20, 71]);
  });

  it('sends exactly the listed requests, in windows by their scheduled time', async () => {
    const share: OpenLoopShare = {
      connections: 2,
      rate: 40,
      arrivals: 'fixed',
      seed: 1,
      warmupMs: 0,
      durationMs: 150,
      windowMs: 50,
      timeoutMs: 100,
      offsetsMs: [0, 10, 20, 30, 100],
    };
    let opened = 0;
    const r = await runOpenLoop<number, Verdict>(share, 1, Math.ceil(performance.now()) + 10, {
      openSlot: () => (opened < 2 ? opened++ : undefined),
      send: (_slot, _i, onReply) => setImmediate(() => onReply({ cls: null, serverTiming: undefined })),
      judge: (v) => v,
      close: () => {},
    });
    expect(r.open?.scheduled).toBe(5);
    expect(r.successes).toBe(5);
    expect(r.windows.map((w) => w.successes)).toEqual([4, 0, 1]);
  });

  it('deals the offsets round-robin over threads and rejects unordered ones', () => {
    const spec: LoadSpec = {
      host: '127.0.0.1',
      port: 1,
      requests: [{ method: 'GET', path: '/' }],
      expect: [{ kind: 'exact', body: '' }],
      mode: 'open',
      concurrency: 4,
      rate: 10,
      warmupMs: 0,
      durationMs: 100,
      windowMs: 50,
      timeoutMs: 100,
      threads: 2,
      arrivalOffsetsMs: [0, 1, 2, 3, 4],
    };
    expect(splitSpec(spec).map((s) => s.offsetsMs)).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
    expect(() => validateSpec({ ...spec, arrivalOffsetsMs: [3, 1] })).toThrow(/ascending/);
  });
});
