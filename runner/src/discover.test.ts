import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiscoveryError, discoverServers, filterStacks, repoRoot, stacksOf } from './discover.js';

function fakeRepo(servers: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'servebench-discover-'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ workspaces: ['servers/*', 'runner'] }));
  for (const [dir, block] of Object.entries(servers)) {
    mkdirSync(join(root, 'servers', dir), { recursive: true });
    writeFileSync(join(root, 'servers', dir, 'package.json'), JSON.stringify({ name: dir, servebench: block }));
  }
  return root;
}

const ok = (id: string) => ({ id, protocol: 'http', start: ['node', 'x.js'], backends: ['ort'] });

describe('discovery', () => {
  it('finds the real server workspaces of this repo', () => {
    const ids = stacksOf(discoverServers(repoRoot())).map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['express+ort', 'fastify+ort', 'hono+ort']));
  });

  it('discovers a new workspace without any central list, as server x backend', () => {
    const root = fakeRepo({ a: ok('a'), b: { ...ok('b'), backends: ['ort', 'triton-http'] } });
    expect(stacksOf(discoverServers(root)).map((s) => s.id)).toEqual(['a+ort', 'b+ort', 'b+triton-http']);
  });

  it('rejects malformed blocks and duplicate ids with the file named', () => {
    expect(() => discoverServers(fakeRepo({ a: { ...ok('a'), protocol: 'ftp' } }))).toThrow(/protocol/);
    expect(() => discoverServers(fakeRepo({ a: { ...ok('a'), start: [] } }))).toThrow(/start/);
    expect(() => discoverServers(fakeRepo({ a: ok('same'), b: ok('same') }))).toThrow(DiscoveryError);
  });

  it('filters by stack id, server id or +backend, and names unknown filters', () => {
    const stacks = stacksOf(discoverServers(fakeRepo({ a: ok('a'), b: { ...ok('b'), backends: ['ort', 'tfjs'] } })));
    expect(filterStacks(stacks, ['b']).map((s) => s.id)).toEqual(['b+ort', 'b+tfjs']);
    expect(filterStacks(stacks, ['+tfjs']).map((s) => s.id)).toEqual(['b+tfjs']);
    expect(filterStacks(stacks, ['a+ort']).map((s) => s.id)).toEqual(['a+ort']);
    expect(() => filterStacks(stacks, ['nope'])).toThrow(/no stack matches nope/);
  });
});
