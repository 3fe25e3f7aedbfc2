import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../discover.js';
import { THRESHOLD_EXIT_CODE } from './evaluate.js';

// The real CLI (dist) against a copy of the committed latest run: a violated threshold exits 99, a held one 0.
const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, [cli, ...args]).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('servebench check --threshold', () => {
  const dir = mkdtempSync(join(tmpdir(), 'servebench-thresholds-'));
  cpSync(join(repoRoot(), 'results', 'latest', 'results.json'), join(dir, 'results.json'));

  it('exits 99 and names the offenders when a threshold is violated', async () => {
    const r = await run([
      'check',
      '--run',
      dir,
      '--threshold',
      'predict:p99<0.001ms',
      '--threshold',
      'predict:errors<100%',
    ]);
    expect(r.code).toBe(THRESHOLD_EXIT_CODE);
    expect(r.stdout).toMatch(/✗ predict:p99<0.001ms: \d+ of \d+ violate/);
    expect(r.stdout).toMatch(/✓ predict:errors<100%/);
  });

  it('exits 0 when every threshold holds', async () => {
    const r = await run(['check', '--run', dir, '--threshold', 'predict:p99<100s']);
    expect(r.code).toBe(0);
  });

  it('exits 2 on a malformed threshold', async () => {
    const r = await run(['check', '--run', dir, '--threshold', 'predict:p99']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected \[<stack>:\]<task>:<metric>/);
  });
});
