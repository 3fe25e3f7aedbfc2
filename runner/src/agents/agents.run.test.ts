import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RunResults } from '../results.js';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;

// `servebench run --agents`: every HTTP cell of a real fastify+ort runs on two local agent processes
// pinned to cores 0 and 1; the cells are merged from both (two engine threads, one per agent).
describe('servebench run --agents', () => {
  it('measures every cell through two pinned local agents', async () => {
    const out = mkdtempSync(join(tmpdir(), 'servebench-agents-run-'));
    const args = [cli, 'run', '--profile', 'smoke', '--stacks', 'fastify+ort', '--tasks', 'predict']
      .concat(['--concurrency', '2', '--rounds', '1', '--no-raw', '--no-calibration', '--no-capacity'])
      .concat(['--crosscheck', 'none', '--load-threads', '1', '--agents', 'local@0,local@1', '--agent-lead', '8000'])
      .concat(['--out', out, '--run-id', 'agents']);
    await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 24 });
    const r = JSON.parse(readFileSync(join(out, 'agents', 'results.json'), 'utf8')) as RunResults;
    expect(r.settings.agents).toBe('local@0,local@1');
    const s = r.stacks.find((x) => x.id === 'fastify+ort');
    expect(s?.status).toBe('ok');
    expect(s!.cells.length).toBeGreaterThan(0);
    for (const c of s!.cells) {
      expect(c.load.successes).toBeGreaterThan(0);
      expect(c.load.errors).toEqual({});
      expect(c.load.threads).toBe(2); // one thread in each agent; the in-process engine would use 1
    }
  }, 180_000);
});
