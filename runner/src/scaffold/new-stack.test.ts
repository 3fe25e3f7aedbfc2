import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runConformance } from '@servebench/contract';
import { ensureModel } from '@servebench/model';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverServers, repoRoot, stacksOf } from '../discover.js';
import { launchProcess, type Launched } from '../launch/process.js';
import { EMBED_TOLERANCE, loadOracle } from '../rounds/oracle.js';
import { ScaffoldError, newStack } from './new-stack.js';

// A scaffolded workspace builds, is discovered under its own id and passes the fast conformance subset as the
// runner verifies every stack. It lives in a throwaway folder inside the repo (dependencies resolve from the
// root's node_modules) and is removed afterwards.
describe('new-stack', () => {
  const root = repoRoot();
  const parent = mkdtempSync(join(root, '.scaffold-test-'));
  let server: Launched | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(parent, { recursive: true, force: true });
  });

  it('refuses a bad id, an unknown sibling and an existing folder', () => {
    expect(() => newStack({ name: 'Bad Name', like: 'hono', root, parent })).toThrow(ScaffoldError);
    expect(() => newStack({ name: 'x', like: 'nope', root, parent })).toThrow(/no servers\/nope/);
  });

  it('copies a sibling under its own id that builds, is discovered and passes conformance', async () => {
    const dir = newStack({ name: 'demo', like: 'hono', root, parent });
    expect(() => newStack({ name: 'demo', like: 'hono', root, parent })).toThrow(/exists already/);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('@servebench/server-demo');
    expect(pkg.servebench.id).toBe('demo');
    expect(pkg.servebench.compose).toBeUndefined();
    const tsc = join(root, 'node_modules', '.bin', 'tsc');
    const built = spawnSync(tsc, ['-p', 'tsconfig.build.json'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(built.status, built.stdout + built.stderr).toBe(0);

    const stack = stacksOf(discoverServers(root, [dir])).find((s) => s.id === 'demo+ort');
    expect(stack).toBeDefined();
    server = await launchProcess(stack!, {
      env: { MODEL: 'tiny' },
      readyTimeoutMs: 90_000,
      logFile: join(parent, 'demo.log'),
    });
    const oracle = await loadOracle(await ensureModel('tiny', { seed: 0 }), 1);
    try {
      const checks = await runConformance(server.baseUrl, {
        fast: true,
        embed: oracle.embed,
        tolerance: EMBED_TOLERANCE,
      });
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      expect(checks.length).toBeGreaterThan(3);
    } finally {
      await oracle.close();
    }
  }, 180_000);
});
