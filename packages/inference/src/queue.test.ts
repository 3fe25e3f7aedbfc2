import { describe, expect, it } from 'vitest';
import { QueueFullError, WorkQueue } from './queue.js';

/** A call that stays in flight until released, recording when it started. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { release, fn: async () => (log.push(`start ${name}`), await done, log.push(`end ${name}`), name) };
}
const turn = () => new Promise((r) => setImmediate(r));

describe('WorkQueue', () => {
  it('runs at most `concurrency` calls at once, the rest in arrival order, and sheds past maxWaiting', async () => {
    const q = new WorkQueue(2, 2);
    const log: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => gate(log, n));
    const runs = [a, b, c, d].map((g) => q.run(g!.fn));
    await turn();
    expect(log).toEqual(['start a', 'start b']);
    expect(q.depth).toBe(4);
    await expect(q.run(async () => 'e')).rejects.toBeInstanceOf(QueueFullError);
    b!.release();
    await turn();
    expect(log).toEqual(['start a', 'start b', 'end b', 'start c']);
    a!.release();
    c!.release();
    d!.release();
    expect((await Promise.all(runs)).map((r) => r.value)).toEqual(['a', 'b', 'c', 'd']);
    expect(q.depth).toBe(0);
    // Slots were handed over, never leaked: two start at once again.
    const [e, f] = ['e', 'f'].map((n) => gate(log, n));
    const more = [q.run(e!.fn), q.run(f!.fn)];
    await turn();
    expect(log.slice(-2)).toEqual(['start e', 'start f']);
    e!.release();
    f!.release();
    await Promise.all(more);
  });

  it('with concurrency 1 runs one call at a time; a cancelled waiter leaves the line', async () => {
    const q = new WorkQueue(8);
    const log: string[] = [];
    const [a, b] = ['a', 'b'].map((n) => gate(log, n));
    const first = q.run(a!.fn);
    const ac = new AbortController();
    const cancelled = q.run(async () => 'never', ac.signal);
    const second = q.run(b!.fn);
    await turn();
    expect(log).toEqual(['start a']);
    ac.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT' });
    a!.release();
    await turn();
    expect(log).toEqual(['start a', 'end a', 'start b']);
    b!.release();
    expect((await second).waitedMs).toBeGreaterThanOrEqual(0);
    await first;
    expect(q.depth).toBe(0);
  });
});
