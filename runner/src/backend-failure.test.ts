// Backend failure under every proxy stack, against the REAL model server process (tritonserver,
// started by modelservers/triton/serve.py as the runner starts it): killed (SIGKILL), stopped (SIGSTOP), and replaced on its
// ports by a TEST STAND-IN that answers garbage or a wrong shape. The stand-in lives only in this
// file and never reaches results. Each time the stack must answer the contract's error (503 / 504 /
// 502) without crashing, keep answering /healthz, and recover by itself once real Triton is back.
// TF Serving cannot be installed here; its clients meet the same failures against stand-ins in
// packages/inference. Loopback only; every wait is bounded.
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ROUTES } from '@servebench/contract';
import { tritonService } from '@servebench/inference';
import { ensureModel, type ModelFiles } from '@servebench/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverServers, repoRoot, stacksOf } from './discover.js';
import { launchModelServer, tritonNotInstalled, type LaunchedModelServer } from './launch/modelserver.js';
import { launchProcess, type Launched } from './launch/process.js';

const root = repoRoot();
const notInstalled = tritonNotInstalled(root);
if (notInstalled) console.warn(`backend-failure tests skipped: ${notInstalled}`);
const stacks = stacksOf(discoverServers(root)).filter(
  (s) => s.backend.startsWith('triton-') && s.server.protocol === 'http',
);
const logs = mkdtempSync(join(tmpdir(), 'servebench-backend-failure-'));
/** The proxy's per-call deadline: short, so a hung model server costs the test little. */
const TIMEOUT_MS = 1500;
const TEXTS = { texts: ['the model server went away', 'and came back'] };

interface Reply {
  status: number;
  code?: string;
  body: string;
  ms: number;
}

async function post(baseUrl: string): Promise<Reply> {
  const t0 = performance.now();
  const r = await fetch(new URL(ROUTES.predict, baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', connection: 'close' },
    body: JSON.stringify(TEXTS),
    signal: AbortSignal.timeout(20_000),
  });
  const body = await r.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    // not JSON: the assertions below show the body
  }
  return { status: r.status, code, body, ms: performance.now() - t0 };
}

const status = (baseUrl: string, route: string) =>
  fetch(new URL(route, baseUrl), { headers: { connection: 'close' }, signal: AbortSignal.timeout(5000) }).then(
    (r) => r.status,
  );

/** Polls predict until it is 200 (the stack recovered by itself) or the deadline passes; returns the last reply. */
async function until200(baseUrl: string, deadlineMs = 30_000): Promise<Reply> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    const r = await post(baseUrl);
    if (r.status === 200 || performance.now() > end) return r;
    await new Promise((res) => setTimeout(res, 250));
  }
}

function expectEmbeddings(r: Reply, dim: number): void {
  expect(r.status, r.body).toBe(200);
  const emb = (JSON.parse(r.body) as { embeddings: number[][] }).embeddings;
  expect(emb.map((e) => e.length)).toEqual([dim, dim]);
}

const signalGroup = (pid: number, sig: NodeJS.Signals) => process.kill(-pid, sig);

/** TEST STAND-IN for a broken model server on Triton's ports: valid framing, bad contents. */
async function startBrokenStandIn(ports: { http: number; grpc: number }, mode: 'garbage' | 'wrong-shape') {
  const web = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.endsWith('/infer') && mode === 'wrong-shape') {
        const body = JSON.stringify({
          model_name: 'bert',
          outputs: [{ name: 'embedding', datatype: 'FP32', shape: [3, 2], data: [0, 1, 2, 3, 4, 5] }],
        });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        return res.end(body);
      }
      // Health and metadata answer as a server would; inference answers bytes that are no KServe reply.
      const body = req.url?.endsWith('/infer')
        ? '\u0000\u00ffnot a kserve reply'
        : JSON.stringify({ name: 'broken-standin', version: '0', ready: true });
      res.writeHead(200, { 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((res, rej) => web.once('error', rej).listen(ports.http, '127.0.0.1', res));
  const service = tritonService().service;
  const rpc = new grpc.Server();
  const wrong = {
    model_name: 'bert',
    outputs: [{ name: 'embedding', datatype: 'FP32', shape: [3, 2] }],
    raw_output_contents: [Buffer.alloc(24)],
  };
  const garbled = {
    ...service,
    ModelInfer: { ...service.ModelInfer!, responseSerialize: () => Buffer.from([0x2a, 0xff, 0xff, 0xff, 0xff, 0x0f]) },
  };
  type Cb = grpc.sendUnaryData<unknown>;
  rpc.addService(mode === 'garbage' ? garbled : service, {
    ServerLive: (_: unknown, cb: Cb) => cb(null, { live: true }),
    ServerReady: (_: unknown, cb: Cb) => cb(null, { ready: true }),
    ServerMetadata: (_: unknown, cb: Cb) => cb(null, { name: 'broken-standin', version: '0' }),
    ModelMetadata: (_: unknown, cb: Cb) => cb(null, {}),
    ModelReady: (_: unknown, cb: Cb) => cb(null, { ready: true }),
    ModelInfer: (_: unknown, cb: Cb) => cb(null, wrong),
  });
  await new Promise<void>((res, rej) =>
    rpc.bindAsync(`127.0.0.1:${ports.grpc}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? rej(e) : res())),
  );
  return async () => {
    rpc.forceShutdown();
    web.closeAllConnections();
    await new Promise((res) => web.close(res));
  };
}

describe.skipIf(notInstalled !== undefined).each(stacks.map((s) => [s.id, s] as const))(
  '%s over real Triton',
  (_id, stack) => {
    let files: ModelFiles;
    let triton: LaunchedModelServer | undefined;
    let server: Launched;
    let ports: { http: number; grpc: number };

    const startTriton = async () => {
      triton = await launchModelServer({
        backend: stack.backend,
        files,
        root,
        logFile: join(logs, `${stack.id}-triton-${Date.now()}.log`),
        readyTimeoutMs: 120_000,
        maxBatchSize: 1,
        maxQueueDelayUs: 0,
        intraOpThreads: 1,
        ...(ports ? { ports } : {}),
      });
      const port = (u: string) => Number(new URL(u.includes('://') ? u : `http://${u}`).port);
      ports = { http: port(triton.urls.http), grpc: port(triton.urls.grpc) };
    };
    const killTriton = async () => {
      const t = triton!;
      triton = undefined;
      if (!t.exited()) signalGroup(t.pid, 'SIGKILL');
      await t.stop(); // reaps it and waits until the whole group is gone
    };
    const stackIsUp = async () => {
      expect(server.exited(), 'the stack did not crash').toBeUndefined();
      expect(await status(server.baseUrl, ROUTES.healthz), '/healthz still answers').toBe(200);
    };

    beforeAll(async () => {
      files = await ensureModel('tiny');
      await startTriton();
      server = await launchProcess(stack, {
        env: { MODEL: 'tiny', ...triton!.env, MODEL_SERVER_TIMEOUT_MS: String(TIMEOUT_MS) },
        readyTimeoutMs: 90_000,
        logFile: join(logs, `${stack.id}.log`),
      });
      expectEmbeddings(await post(server.baseUrl), files.config.hiddenSize);
    }, 240_000);
    // A server stops within its shutdown grace (SHUTDOWN_GRACE_MS, 10 s by default) and Triton after it: vitest's
    // default 10 s hook budget is the grace alone, and CI once ran out of it stopping flask+triton-http.
    afterAll(async () => {
      await server?.stop();
      await triton?.stop();
    }, 40_000);

    it('stopped (SIGSTOP): 504 BACKEND_TIMEOUT near the deadline, and 200 again after SIGCONT', async () => {
      signalGroup(triton!.pid, 'SIGSTOP');
      try {
        const r = await post(server.baseUrl);
        expect([r.status, r.code], r.body).toEqual([504, 'BACKEND_TIMEOUT']);
        expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
        expect(r.ms).toBeLessThan(TIMEOUT_MS + 3000);
        await stackIsUp();
      } finally {
        signalGroup(triton!.pid, 'SIGCONT');
      }
      // Triton's Python backend can abort after a pause (boost::interprocess::lock_exception, seen on
      // a loaded machine). That is Triton's behaviour, not the stack's: restart it and still require
      // the stack to recover by itself.
      await new Promise((r) => setTimeout(r, 500));
      if (triton!.exited()) {
        console.warn(
          `${stack.id}: Triton died after SIGSTOP/SIGCONT; restarting it. Its log ends:\n${triton!.logTail().slice(-600)}`,
        );
        await killTriton();
        await startTriton();
      }
      expectEmbeddings(await until200(server.baseUrl), files.config.hiddenSize);
    }, 180_000);

    it('killed (SIGKILL): 503 BACKEND_UNAVAILABLE at once, /readyz 503, and 200 again once Triton restarts on its ports', async () => {
      await killTriton();
      const r = await post(server.baseUrl);
      expect([r.status, r.code], r.body).toEqual([503, 'BACKEND_UNAVAILABLE']);
      expect(r.ms, 'a refused connection is not waited out').toBeLessThan(TIMEOUT_MS);
      expect(await status(server.baseUrl, ROUTES.readyz)).toBe(503);
      await stackIsUp();
      await startTriton();
      expectEmbeddings(await until200(server.baseUrl), files.config.hiddenSize);
      expect(await status(server.baseUrl, ROUTES.readyz)).toBe(200);
    }, 180_000);

    it.each(['garbage', 'wrong-shape'] as const)(
      'replaced by a stand-in answering %s: 502 BAD_BACKEND_RESPONSE, and 200 again once real Triton is back',
      async (mode) => {
        await killTriton();
        const closeStandIn = await startBrokenStandIn(ports, mode);
        try {
          // The first call may still meet the dead server's connection; the stand-in answers the next.
          const end = performance.now() + 15_000;
          let r = await post(server.baseUrl);
          while (r.status === 503 && performance.now() < end) r = await post(server.baseUrl);
          expect([r.status, r.code], r.body).toEqual([502, 'BAD_BACKEND_RESPONSE']);
          expect(r.body, 'no internals in the message').not.toMatch(/\bat .+:\d+:\d+|node_modules|\.py"|Traceback/);
          await stackIsUp();
        } finally {
          await closeStandIn();
        }
        await startTriton();
        expectEmbeddings(await until200(server.baseUrl), files.config.hiddenSize);
      },
      180_000,
    );
  },
);
