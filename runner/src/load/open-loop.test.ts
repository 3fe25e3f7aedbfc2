import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { runOpenLoop, type OpenLoopShare, type Verdict } from './open-loop.js';

// 1000 req/s with fixed gaps of exactly 1 ms from a whole-ms start: 200 ms schedules exactly 200 requests.
const share = (over: Partial<OpenLoopShare>): OpenLoopShare => ({
  connections: 1,
  rate: 1000,
  arrivals: 'fixed',
  seed: 1,
  warmupMs: 0,
  durationMs: 200,
  windowMs: 100,
  timeoutMs: 50,
  ...over,
});

const start = (): number => Math.ceil(performance.now()) + 10;

describe('runOpenLoop', () => {
  it('bounds the backlog, drops the rest and times out what never returns', async () => {
    let closed = 0;
    const r = await runOpenLoop<string, Verdict>(share({}), 1, start(), {
      openSlot: () => undefined, // no slot ever comes free
      send: () => {}, // never replies
      judge: (v) => v,
      close: () => closed++,
    });
    // The backlog holds rate * timeout = 50 requests; those time out at the drain deadline.
    expect(r.open).toEqual({ scheduled: 200, sent: 0, late: 0, dropped: 150 });
    expect(r.errors).toEqual({ dropped: 150, timeout: 50 });
    expect(r.successes).toBe(0);
    expect(closed).toBe(1);
  });

  it('uses slot 0, scores only measured replies and spreads sends over the open slots', async () => {
    let opened = 0;
    const used = new Set<number>();
    let judged = 0;
    const r = await runOpenLoop<number, Verdict>(share({ connections: 2, warmupMs: 50 }), 3, start(), {
      openSlot: () => (opened < 2 ? opened++ : undefined),
      send: (slot, _i, onReply) => {
        used.add(slot);
        setImmediate(() => onReply({ cls: null, serverTiming: undefined }));
      },
      judge: (v) => {
        judged++;
        return v;
      },
      close: () => {},
    });
    expect(r.open?.scheduled).toBe(200);
    expect(r.successes + (r.errors.dropped ?? 0)).toBe(200);
    expect(judged).toBe(r.successes);
    expect(used.has(0)).toBe(true);
    expect(opened).toBeLessThanOrEqual(2);
  });
});
