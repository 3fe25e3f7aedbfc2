import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RunResults } from './results.js';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const brokenStandin = new URL('../test-fixtures/broken-server', import.meta.url).pathname;

// End to end: the real CLI, real servers of every kind (Node HTTP, gRPC, a Python peer), stacks that
// cannot run here, and a deliberately broken stand-in. Every server also runs the full conformance
// suite in its own tests; `turbo run bench` measures them all.
const STACKS = 'express+ort,grpc,flask+ort,tfjs+tfjs-node,express+tfserving-rest,broken-standin';

describe('servebench run --profile smoke', () => {
  it('measures the stacks, skips what cannot run here, rejects the broken stand-in at verification, and keeps going', async () => {
    const out = mkdtempSync(join(tmpdir(), 'servebench-smoke-'));
    const args = [
      cli,
      'run',
      '--profile',
      'smoke',
      '--out',
      out,
      '--run-id',
      'smoke',
      '--extra-server',
      brokenStandin,
      '--stacks',
      STACKS,
    ];
    const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 24 });
    const r = JSON.parse(readFileSync(join(out, 'smoke', 'results.json'), 'utf8')) as RunResults;
    expect(r.status).toBe('complete');
    expect(r.environment.git.commit).toMatch(/^[0-9a-f]{40}$|unknown/);

    const broken = r.stacks.find((s) => s.id === 'broken-standin+none');
    expect(broken?.status).toBe('failed-verification');
    expect(broken?.cells).toEqual([]);
    expect(broken?.reason).toMatch(/tokenize/);

    const status = Object.fromEntries(r.stacks.map((s) => [s.id, s.status]));
    expect(status).toEqual({
      'raw+ort': 'ok',
      'express+ort': 'ok',
      'grpc+ort': 'ok',
      'flask+ort': 'ok',
      'tfjs+tfjs-node': 'skipped',
      'express+tfserving-rest': 'skipped',
      'broken-standin+none': 'failed-verification',
    });
    for (const s of r.stacks.filter((x) => x.status === 'skipped')) expect(s.reason, s.id).toMatch(/\w{10}/);
    for (const s of r.stacks.filter((x) => x.status === 'ok' && x.protocol !== 'in-process')) {
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
    expect(stdout).toMatch(/\| grpc\+ort \| predict \|/);
  }, 420_000);
});
