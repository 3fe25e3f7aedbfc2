// Real Triton (tritonserver from nvidia-pytriton, CPU) for the Python servers' triton-http tests,
// started by the runner's own launcher, as a benchmark run starts it; no stand-in here.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeConformance } from '@servebench/contract/vitest';
import { inProcessEmbedder } from '@servebench/core/testing';
import { ensureModel } from '@servebench/model';
import { launchModelServer, tritonNotInstalled, type LaunchedModelServer } from '@servebench/runner/modelserver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMON_DIR, pythonUnavailable, startPythonServer, type PythonServer } from './server.js';

const ROOT = join(COMMON_DIR, '..', '..');

function maxDiff(a: number[][], b: number[][]): number {
  expect(a.map((r) => r.length)).toEqual(b.map((r) => r.length));
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));
}

/** The whole contract against `<name>+triton-http` over real Triton, with embeddings equal to ORT's to 1e-5. */
export function describeOverRealTriton(name: 'fastapi' | 'flask', workspace: string): void {
  const why = pythonUnavailable(workspace) ?? tritonNotInstalled(ROOT);
  if (why) console.warn(`${name}+triton-http tests skipped: ${why}`);

  describe.skipIf(why !== undefined)(`${name}+triton-http over real Triton`, () => {
    let triton: LaunchedModelServer;
    let server: PythonServer;
    let embed: (texts: string[]) => Promise<number[][]>;
    const env = () => ({ BACKEND: 'triton-http', ...triton.env });
    beforeAll(async () => {
      embed = await inProcessEmbedder('tiny');
      triton = await launchModelServer({
        backend: 'triton-http',
        files: await ensureModel('tiny'),
        root: ROOT,
        logFile: join(tmpdir(), `servebench-${name}-triton-${process.pid}.log`),
        readyTimeoutMs: 150_000,
        maxBatchSize: 1,
        maxQueueDelayUs: 0,
        intraOpThreads: 1,
      });
      server = await startPythonServer(workspace, env());
    }, 240_000);
    afterAll(async () => {
      await server?.stop();
      await triton?.stop();
    }, 60_000);

    it('/readyz names the real Triton behind it', async () => {
      const r = (await (await fetch(`${server.baseUrl}/readyz`)).json()) as {
        backend: string;
        backend_info: Record<string, string>;
        batching: unknown;
      };
      expect(r.backend).toBe('triton-http');
      // Triton batches by its own policy, which the Python stack is not told (the runner checks Triton itself).
      expect(r.batching).toBe('unknown');
      expect(r.backend_info).toMatchObject({
        model_server_url: triton.urls.http,
        model: 'bert',
        tensor_form: 'binary',
      });
      expect(r.backend_info.runtime).toMatch(/^triton 2\.\d+\.\d+ \(KServe v2 HTTP, Python client\)$/);
    });

    it('JSON tensors (TRITON_HTTP_TENSORS=json) give the same embeddings', async () => {
      const json = await startPythonServer(workspace, { ...env(), TRITON_HTTP_TENSORS: 'json' });
      try {
        const texts = ['the same model behind another wire format', 'short'];
        const r = await fetch(`${json.baseUrl}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ texts }),
        });
        expect(r.status).toBe(200);
        expect(maxDiff(((await r.json()) as { embeddings: number[][] }).embeddings, await embed(texts))).toBeLessThan(
          1e-5,
        );
      } finally {
        await json.stop();
      }
    }, 120_000);

    describeConformance(`${name}+triton-http`, () => ({ baseUrl: server.baseUrl, embed, tolerance: 1e-5 }));
  });
}
