import { describe, expect, it } from 'vitest';
import { StackPool, memAvailableMb, type Stoppable } from './stack.js';

/** Stand-in stacks that free `mb` of a shared memory counter when stopped. */
function setup(freeMb: number, sizes: Record<string, number>) {
  const mem = { free: freeMb };
  const stopped: string[] = [];
  const pool = new StackPool(1536, () => mem.free);
  const stacks: Stoppable[] = Object.entries(sizes).map(([id, mb]) => ({
    id,
    stopServer: async () => {
      stopped.push(id);
      mem.free += mb;
      pool.remove(stacks.find((s) => s.id === id)!);
    },
  }));
  for (const s of stacks) pool.add(s);
  return { pool, stopped };
}

describe('StackPool', () => {
  it('stops nothing while enough memory is available', async () => {
    const { pool, stopped } = setup(4000, { a: 500, b: 500 });
    await pool.makeRoom('c', () => {});
    expect(stopped).toEqual([]);
  });

  it('stops idle stacks, oldest first, only until enough memory is free', async () => {
    const { pool, stopped } = setup(1000, { a: 300, b: 400, c: 500 });
    const notes: string[] = [];
    await pool.makeRoom('d', (l) => notes.push(l));
    expect(stopped).toEqual(['a', 'b']);
    expect(notes[0]).toMatch(/^d: 1000 MB available < 1536 MB: stopping idle a/);
  });

  it('reads MemAvailable on Linux', () => {
    expect(memAvailableMb()).toBeGreaterThan(0);
  });
});
