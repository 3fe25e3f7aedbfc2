import { describe, expect, it } from 'vitest';
import { PROFILES } from '../profiles.js';
import type { StackResult } from '../results.js';
import { twinId, withTwin } from './twin.js';
import type { StackSpec } from '../discover.js';
import type { StackContext } from './stack.js';

describe('the A/A twin', () => {
  const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

  it('is a second participant of the same server and backend, recorded as the twin of its sibling', () => {
    const spec = { id: 'fastify+ort', backend: 'ort', server: { id: 'fastify', protocol: 'http' } } as StackSpec;
    const entries: StackResult[] = [];
    const notes: string[] = [];
    const x = {
      stackEntry: (e: StackResult) => (entries.push(e), e),
      ctx: {} as StackContext,
      note: (l: string) => notes.push(l),
    };
    const out = withTwin([{ id: 'fastify+ort' }] as never, [spec], { ...PROFILES.quick!, launcher: 'process' }, x);
    expect(ids(out)).toEqual(['fastify+ort', twinId('fastify+ort')]);
    expect(entries[0]).toMatchObject({
      id: 'fastify+ort~twin',
      server: 'fastify',
      backend: 'ort',
      twinOf: 'fastify+ort',
    });
    // Not with compose (one service per stack id), and said so.
    expect(withTwin([], [spec], { ...PROFILES.quick!, launcher: 'compose' }, x)).toEqual([]);
    expect(notes.at(-1)).toMatch(/no twin this run/);
  });
});
