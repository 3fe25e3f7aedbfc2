import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { machineIds, machineLeaks } from './hygiene.js';
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

    // Publishing hygiene: results.json and the logs name neither the checkout nor the host.
    const ids = machineIds(new URL('../../', import.meta.url).pathname);
    expect(machineLeaks(readFileSync(join(out, 'smoke', 'results.json'), 'utf8'), ids)).toEqual([]);
    for (const f of readdirSync(join(out, 'smoke', 'logs')))
      expect(machineLeaks(readFileSync(join(out, 'smoke', 'logs', f), 'utf8'), ids), f).toEqual([]);
    // Placement (default split): every measured server tree was read back on the server set.
    if (r.settings.placement) {
      for (const s of r.stacks.filter((x) => x.status === 'ok' && x.protocol !== 'in-process')) {
        expect(s.placement, s.id).toMatchObject({ applied: true, server: String(r.settings.placement.server[0]) });
        expect(s.placement!.processes!.length, s.id).toBeGreaterThan(0);
        for (const c of s.cells) expect(c.loadCpu?.loadCpuS, `${s.id} ${c.task}`).toBeGreaterThan(0);
      }
    }
    // Ceilings for the runtimes measured (ort-node for express/grpc, ort-python for flask) and the cross-check.
    expect(r.calibration.map((c) => c.id)).toEqual(expect.arrayContaining(['ceiling-ort-node', 'ceiling-ort-python']));
    expect(r.crosscheck?.map((c) => `${c.stack}:${c.tool}`)).toEqual(['express+ort:wrk', 'grpc+ort:ghz']);
  }, 420_000);
});
