// Real Triton (tritonserver from nvidia-pytriton, CPU) for the Python servers' triton-http tests,
// started the way runner/src/launch/modelserver.ts starts it: the same repository (writeTritonRepo,
// 64 rows, no queue delay, 1 thread) and the same modelservers/triton/serve.py. The runner is not a
// library, so this is a deliberately small copy of its launch, probe and stop; no stand-in here.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { describeConformance } from '@servebench/contract/vitest';
import { inProcessEmbedder } from '@servebench/core/testing';
import { ensureModel, writeTritonRepo, type ModelFiles } from '@servebench/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMON_DIR, pythonUnavailable, startPythonServer, type PythonServer } from './server.js';

const ROOT = join(COMMON_DIR, '..', '..');
const TRITON_DIR = join(ROOT, 'modelservers', 'triton');
const MODEL = 'bert';

/** Why Triton's venv is missing or stale here (the runner's rule), or undefined when it can run. */
export function tritonNotInstalled(): string | undefined {
  const venv = join(TRITON_DIR, '.venv');
  const build = 'run `npm run build -w modelservers/triton`';
  if (existsSync(join(venv, 'UNAVAILABLE'))) return `Triton cannot be installed here: ${readFileSync(join(venv, 'UNAVAILABLE'), 'utf8').trim()}`;
  let stamp: { requirements?: string } = {};
  try {
    stamp = JSON.parse(readFileSync(join(venv, '.servebench-stamp'), 'utf8')) as typeof stamp;
  } catch {
    return `Triton is not installed here: ${build}`;
  }
  const want = createHash('sha256').update(readFileSync(join(TRITON_DIR, 'requirements.txt'))).digest('hex');
  return stamp.requirements === want ? undefined : `Triton's venv does not match modelservers/triton/requirements.txt: ${build}`;
}

export interface RealTriton {
  /** `http://127.0.0.1:<port>`, what the runner passes as MODEL_SERVER_URL. */
  url: string;
  log(): string;
  stop(): Promise<void>;
}

async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const ok = (url: string) =>
  fetch(url, { headers: { connection: 'close' }, signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false);

/** Starts Triton on free loopback ports and resolves once the server and the model are ready. */
export async function startRealTriton(files: ModelFiles, timeoutMs = 150_000): Promise<RealTriton> {
  const repo = await writeTritonRepo(files, join(dirname(files.dir), 'triton', `${files.config.name}-s${files.seed}`), {
    modelName: MODEL, maxBatchSize: 64, maxQueueDelayUs: 0, intraOpThreads: 1,
  });
  const [http, grpc, metrics] = (await freePorts(3)) as [number, number, number];
  const args = [join(TRITON_DIR, 'serve.py'), '--repo', repo.root, '--model', MODEL,
    '--http-port', String(http), '--grpc-port', String(grpc), '--metrics-port', String(metrics), '--exit-on-stdin-close'];
  // Own process group (tritonserver and its backend stubs are in it); stdin is a pipe serve.py watches.
  const child = spawn(join(TRITON_DIR, '.venv', 'bin', 'python'), args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let log = '';
  const keep = (c: Buffer) => (log = (log + c.toString()).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  // SIGTERM to the leader alone (pytriton stops tritonserver in order), then whatever is left of the group.
  const stop = async () => {
    if (!exited) {
      const timer = setTimeout(killGroup, 30_000);
      child.kill('SIGTERM');
      await exit;
      clearTimeout(timer);
    }
    killGroup();
  };
  const url = `http://127.0.0.1:${http}`;
  const end = performance.now() + timeoutMs;
  while (!((await ok(`${url}/v2/health/ready`)) && (await ok(`${url}/v2/models/${MODEL}/ready`)))) {
    if (exited || performance.now() > end) {
      await stop();
      throw new Error(`Triton ${exited ? 'exited' : `was not ready after ${timeoutMs} ms`}; its log ends:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, log: () => log, stop };
}

function maxDiff(a: number[][], b: number[][]): number {
  expect(a.map((r) => r.length)).toEqual(b.map((r) => r.length));
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));
}

/** The whole contract against `<name>+triton-http` over real Triton, with embeddings equal to ORT's to 1e-5. */
export function describeOverRealTriton(name: 'fastapi' | 'flask', workspace: string): void {
  const why = pythonUnavailable(workspace) ?? tritonNotInstalled();
  if (why) console.warn(`${name}+triton-http tests skipped: ${why}`);

  describe.skipIf(why !== undefined)(`${name}+triton-http over real Triton`, () => {
    let triton: RealTriton;
    let server: PythonServer;
    let embed: (texts: string[]) => Promise<number[][]>;
    const env = () => ({ BACKEND: 'triton-http', MODEL_SERVER_URL: triton.url, MODEL_SERVER_MODEL: 'bert' });
    beforeAll(async () => {
      embed = await inProcessEmbedder('tiny');
      triton = await startRealTriton(await ensureModel('tiny'));
      server = await startPythonServer(workspace, env());
    }, 240_000);
    afterAll(async () => {
      await server?.stop();
      await triton?.stop();
    }, 60_000);

    it('/readyz names the real Triton behind it', async () => {
      const r = (await (await fetch(`${server.baseUrl}/readyz`)).json()) as { backend: string; backend_info: Record<string, string> };
      expect(r.backend).toBe('triton-http');
      expect(r.backend_info).toMatchObject({ model_server_url: triton.url, model: 'bert', tensor_form: 'binary' });
      expect(r.backend_info.runtime).toMatch(/^triton 2\.\d+\.\d+ \(KServe v2 HTTP, Python client\)$/);
    });

    it('JSON tensors (TRITON_HTTP_TENSORS=json) give the same embeddings', async () => {
      const json = await startPythonServer(workspace, { ...env(), TRITON_HTTP_TENSORS: 'json' });
      try {
        const texts = ['the same model behind another wire format', 'short'];
        const r = await fetch(`${json.baseUrl}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts }) });
        expect(r.status).toBe(200);
        expect(maxDiff(((await r.json()) as { embeddings: number[][] }).embeddings, await embed(texts))).toBeLessThan(1e-5);
      } finally {
        await json.stop();
      }
    }, 120_000);

    describeConformance(`${name}+triton-http`, () => ({ baseUrl: server.baseUrl, embed, tolerance: 1e-5 }));
  });
}
