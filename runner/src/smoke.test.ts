import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RunResults } from './results.js';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const brokenStandin = new URL('../test-fixtures/broken-server', import.meta.url).pathname;

// End to end: the real CLI, the real servers, the smoke profile, plus a deliberately broken stand-in.
describe('servebench run --profile smoke', () => {
  it('measures every discovered stack, rejects the broken stand-in at verification, and keeps going', async () => {
    const out = mkdtempSync(join(tmpdir(), 'servebench-smoke-'));
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'run', '--profile', 'smoke', '--out', out, '--run-id', 'smoke', '--extra-server', brokenStandin], { maxBuffer: 1 << 24 });
    const r = JSON.parse(readFileSync(join(out, 'smoke', 'results.json'), 'utf8')) as RunResults;
    expect(r.status).toBe('complete');
    expect(r.environment.git.commit).toMatch(/^[0-9a-f]{40}$|unknown/);

    const broken = r.stacks.find((s) => s.id === 'broken-standin+none');
    expect(broken?.status).toBe('failed-verification');
    expect(broken?.cells).toEqual([]);
    expect(broken?.reason).toMatch(/tokenize/);

    const measured = r.stacks.filter((s) => s.status === 'ok');
    expect(measured.map((s) => s.id)).toEqual(expect.arrayContaining(['raw+ort', 'express+ort', 'fastify+ort', 'hono+ort']));
    for (const s of measured.filter((x) => x.protocol === 'http')) {
      expect(s.cells).toHaveLength(6);
      for (const c of s.cells) {
        expect(c.load.successes, `${s.id} ${c.task} c=${c.concurrency}`).toBeGreaterThan(0);
        expect(c.load.errors, `${s.id} ${c.task} c=${c.concurrency}`).toEqual({});
        expect(c.resources?.peakRssMb).toBeGreaterThan(10);
      }
    }
    for (const f of ['results.csv', 'results.md', 'throughput.svg', 'latency-cdf.svg', 'resources.svg']) {
      expect(existsSync(join(out, 'smoke', f)), f).toBe(true);
    }
    expect(readFileSync(join(out, 'smoke', 'results.md'), 'utf8')).toMatch(/broken-standin\+none.*failed-verification/);
    expect(stdout).toMatch(/\| fastify\+ort \| predict \|/);
  }, 240_000);
});
