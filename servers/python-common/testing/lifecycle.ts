// Process-level behaviour both Python servers share: several workers, SIGTERM with requests in
// flight, exit statuses, and the build's no-python path. Loopback only; every loop is bounded.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROUTES, runConformance } from '@servebench/contract';
import { ENV_DEFAULTS } from '@servebench/core';
import { inProcessEmbedder } from '@servebench/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMMON_DIR,
  childPids,
  pythonUnavailable,
  runPythonUnitTests,
  startPythonServer,
  type PythonServer,
} from './server.js';

const TEXTS = JSON.stringify({
  texts: Array.from({ length: 16 }, (_, i) => `sentence number ${i} about serving BERT models quickly`),
});

/** POSTs on `agent` and resolves with the status, or with why the request was lost. */
function post(
  baseUrl: string,
  path: string,
  body: string,
  agent: Agent | false,
  sent?: () => void,
): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      new URL(path, baseUrl),
      { method: 'POST', agent, headers: { 'content-type': 'application/json' }, timeout: 60_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (e) => resolve(`lost: ${e.message}`));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('finish', () => sent?.());
    req.end(body);
  });
}

const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

/** The server's worker processes (multiprocessing's resource tracker, a child of uvicorn's parent, is not one). */
function workerPids(pid: number): number[] {
  return childPids(pid).filter((child) => !readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('resource_tracker'));
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
}

export function describeLifecycle(name: 'fastapi' | 'flask', workspace: string): void {
  const unavailable = pythonUnavailable(workspace);

  describe.skipIf(unavailable)(`${name} with WORKERS=2`, () => {
    let server: PythonServer;
    let embed: (texts: string[]) => Promise<number[][]>;
    beforeAll(async () => {
      embed = await inProcessEmbedder('tiny');
      server = await startPythonServer(workspace, { WORKERS: '2', SHUTDOWN_GRACE_MS: '20000' });
    }, 120_000);
    afterAll(() => server?.stop('SIGKILL'));

    it('announces itself once both workers have loaded the model, and runs them as child processes', () => {
      expect(server.listening).toMatchObject({ event: 'listening', server: name, workers: 2, pid: server.pid });
      expect(server.listening.loadMs).toBeGreaterThan(0);
      expect(workerPids(server.pid).length).toBe(2);
    });

    it('passes the fast conformance checks, embeddings equal to the ORT oracle to 1e-5', async () => {
      const outcomes = await runConformance(server.baseUrl, { fast: true, embed, tolerance: 1e-5 });
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    });

    it('answers every request over fresh connections (spread over the workers)', async () => {
      const statuses = await Promise.all(
        Array.from({ length: 24 }, () => post(server.baseUrl, ROUTES.predict, TEXTS, false)),
      );
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
    });

    it('on SIGTERM finishes the requests in flight, then exits 0 with no worker left', async () => {
      const workers = workerPids(server.pid);
      const agent = new Agent({ keepAlive: true, maxSockets: 12 });
      // Accepted connections first: one still in the listen backlog when the listener closes is
      // reset by the kernel, and that is not a request the server had.
      await Promise.all(
        Array.from(
          { length: 12 },
          () =>
            new Promise<void>((resolve, reject) =>
              request(new URL(ROUTES.healthz, server.baseUrl), { agent }, (res) => res.resume().on('end', resolve))
                .on('error', reject)
                .end(),
            ),
        ),
      );
      const sent: Array<Promise<void>> = [];
      const inflight = Array.from({ length: 12 }, () => {
        let done!: () => void;
        sent.push(new Promise((r) => (done = r)));
        return post(server.baseUrl, ROUTES.predict, TEXTS, agent, done);
      });
      await Promise.all(sent);
      await Promise.race(inflight); // the others are now queued inside the workers
      const exit = await server.stop('SIGTERM');
      const statuses = await Promise.all(inflight);
      agent.destroy();
      expect(
        statuses.filter((s) => s !== 200),
        'requests lost or failed at shutdown',
      ).toEqual([]);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(workers.filter(alive)).toEqual([]);
    }, 60_000);
  });

  describe.skipIf(unavailable)(`${name} exit statuses`, () => {
    it.each([
      ['BACKEND=tfjs', 78, { BACKEND: 'tfjs' }, /BACKEND=tfjs is not available/],
      ['DEVICE=cuda on a machine without its runtime', 78, { DEVICE: 'cuda' }, /DEVICE=cuda/],
      ['WORKERS=0', 2, { WORKERS: '0' }, /WORKERS=0 is invalid/],
    ])(
      '%s exits %i with the reason on stderr',
      async (_label, code, env, reason) => {
        const err = await startPythonServer(workspace, env).then(
          async (s) => {
            await s.stop('SIGKILL');
            return new Error('it started');
          },
          (e: Error) => e,
        );
        expect(err.message).toMatch(new RegExp(`exited with ${code} before listening`));
        expect(err.message).toMatch(reason);
      },
      60_000,
    );
  });

  describe.skipIf(unavailable)(`${name} venv`, () => {
    it('reads the variables the Node stacks read, with the same defaults (packages/core ENV_DEFAULTS)', () => {
      const r = spawnSync(
        join(workspace, '.venv', 'bin', 'python'),
        ['-c', 'import json; from servebench_py.config import ENV_DEFAULTS; print(json.dumps(ENV_DEFAULTS))'],
        { env: { ...process.env, PYTHONPATH: join(COMMON_DIR, 'src') }, encoding: 'utf8', timeout: 30_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      const python = JSON.parse(r.stdout) as Record<string, string>;
      // Node-only: where an in-process model computes (the Python peers have no model thread).
      const { MODEL_THREAD: _, ...node } = ENV_DEFAULTS as Record<string, string>;
      expect(python).toEqual(node);
    });

    it('runs the servebench_py unit tests (python-common/tests) green', () => {
      const r = runPythonUnitTests(workspace);
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stderr).toMatch(/^OK/m);
    }, 120_000);
  });

  describe(`${name} build`, () => {
    it.skipIf(unavailable)('is a no-op when the venv matches the stamp', () => {
      const r = run(process.execPath, [join(COMMON_DIR, 'build-venv.mjs')], workspace, process.env);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/\.venv is up to date/);
    });

    it('without python3 warns, exits 0, and the start command then exits 78 with the reason', () => {
      const dir = mkdtempSync(join(tmpdir(), `servebench-${name}-nopython-`));
      try {
        const bin = join(dir, 'bin');
        spawnSync('mkdir', [bin]);
        symlinkSync(process.execPath, join(bin, 'node'));
        const env = { ...process.env, PATH: bin, SERVEBENCH_PYTHON: '' };
        const build = run(process.execPath, [join(COMMON_DIR, 'build-venv.mjs')], dir, env);
        expect(build.status, build.stderr).toBe(0);
        expect(build.stderr).toMatch(/WARNING: python3 >= 3\.9 was not found/);
        const start = run('/bin/sh', [join(COMMON_DIR, 'start.sh'), name], dir, {
          ...process.env,
          PATH: '/usr/bin:/bin',
        });
        expect(start.status).toBe(78);
        expect(start.stderr).toMatch(/python3 >= 3\.9 was not found/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
