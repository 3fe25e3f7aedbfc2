import { describe, expect, it, vi } from 'vitest';
import { BackendError } from './backend.js';
import { packBatch } from './batch.js';
import { openSession } from './model-thread.js';
import { openStandInSession, type StandInSessionInit } from './testing/stand-in-session.js';

describe('model thread (a real worker thread, stand-in session)', () => {
  it('skips a call whose signal aborted while it waited behind another, and runs the rest in order', async () => {
    const gate = new Int32Array(new SharedArrayBuffer(4 * 8));
    const session = await openSession<StandInSessionInit>('worker', {
      open: openStandInSession,
      module: new URL('./testing/stand-in-session.ts', import.meta.url).href,
      init: { gate: gate.buffer as SharedArrayBuffer },
      label: 'stand-in',
    });
    try {
      expect(session.depth).toBe(2);
      const ac = new AbortController();
      const a = session.run(packBatch([[1]]));
      const b = session.run(packBatch([[2]]), ac.signal);
      const c = session.run(packBatch([[3]]));
      await vi.waitFor(() => expect(Atomics.load(gate, 0)).toBe(1)); // a is running, b and c wait
      ac.abort();
      Atomics.store(gate, 1, 1);
      Atomics.notify(gate, 1);
      expect(Array.from((await a).data)).toEqual([1]);
      await expect(b).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT' });
      await expect(b).rejects.toBeInstanceOf(BackendError);
      expect(Array.from((await c).data)).toEqual([3]);
      expect(Atomics.load(gate, 0)).toBe(2); // b never started
      expect([Atomics.load(gate, 2), Atomics.load(gate, 3)]).toEqual([1, 3]);
    } finally {
      Atomics.store(gate, 1, 1); // never leave the thread blocked, whatever failed
      Atomics.notify(gate, 1);
      await session.close();
    }
  });
});
