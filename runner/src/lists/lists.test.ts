import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverServers, repoRoot } from '../discover.js';
import { syncGenerated } from './index.js';
import { replaceSection } from './sections.js';

const root = repoRoot();

describe('sections generated from discovery', () => {
  it('are up to date in this repo (docs/stacks.md stacks table, compose services); else run render-stacks', () => {
    expect(syncGenerated(root, { write: false }), 'run: node runner/dist/cli.js render-stacks').toEqual([]);
  });

  it('name every discovered server: a compose service, a GPU entry and a docs/stacks.md row each', () => {
    const compose = readFileSync(join(root, 'compose', 'compose.yaml'), 'utf8');
    const gpu = readFileSync(join(root, 'compose', 'compose.gpu.yaml'), 'utf8');
    const stacks = readFileSync(join(root, 'docs', 'stacks.md'), 'utf8');
    for (const s of discoverServers(root)) {
      const service = s.compose ?? s.id;
      expect(compose, s.id).toMatch(new RegExp(`^  ${service}:\\n    <<: \\*(node|python)\\n`, 'm'));
      expect(gpu, s.id).toContain(`\n  ${service}: *gpu\n`);
      expect(stacks, s.id).toContain(`| \`servers/${s.dir.split('/').pop()}\` |`);
    }
  });

  it('pick up a new server workspace and report the files as stale until re-rendered', () => {
    const fake = mkdtempSync(join(tmpdir(), 'servebench-lists-'));
    writeFileSync(join(fake, 'package.json'), JSON.stringify({ workspaces: ['servers/*'] }));
    mkdirSync(join(fake, 'compose'));
    mkdirSync(join(fake, 'docs'));
    for (const f of ['docs/stacks.md', 'compose/compose.yaml', 'compose/compose.gpu.yaml'])
      cpSync(join(root, f), join(fake, f));
    mkdirSync(join(fake, 'servers', 'newcomer'), { recursive: true });
    const block = {
      id: 'newcomer',
      title: 'Newcomer',
      protocol: 'grpc',
      start: ['node', 'dist/main.js'],
      backends: ['ort'],
    };
    writeFileSync(
      join(fake, 'servers', 'newcomer', 'package.json'),
      JSON.stringify({ servebench: block, dependencies: { newcomer: '^1.2.3' } }),
    );
    expect(syncGenerated(fake, { write: true }).sort()).toEqual([
      'compose/compose.gpu.yaml',
      'compose/compose.yaml',
      'docs/stacks.md',
    ]);
    expect(syncGenerated(fake, { write: false })).toEqual([]);
    expect(readFileSync(join(fake, 'docs', 'stacks.md'), 'utf8')).toContain(
      '| Newcomer | `servers/newcomer` | gRPC (HTTP/2) | `ort` | `newcomer` ^1.2.3 |',
    );
    const compose = readFileSync(join(fake, 'compose', 'compose.yaml'), 'utf8');
    expect(compose).toContain('  newcomer:\n    <<: *node\n    working_dir: /app/servers/newcomer\n');
    expect(compose).toContain('PORT: "${NEWCOMER_PORT:-8101}"');
    expect(compose).toContain('test: ["CMD", "node", "/app/healthcheck.mjs", "grpc"]');
    // Hand-written parts outside the markers are kept.
    expect(compose).toContain('  triton:\n');
  });

  it('refuses a file without the markers instead of adding a section silently', () => {
    expect(() => replaceSection('# no markers\n', 'stacks', 'x', 'markdown')).toThrow(/servebench:stacks:begin/);
    expect(replaceSection('a\n# servebench:s:begin\nold\n# servebench:s:end\nb\n', 's', 'new', 'yaml')).toBe(
      'a\n# servebench:s:begin\nnew\n# servebench:s:end\nb\n',
    );
  });
});
