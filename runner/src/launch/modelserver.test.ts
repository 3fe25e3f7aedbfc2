import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrtBackend, TritonGrpcBackend, TritonHttpBackend, packBatch, type Backend } from '@servebench/inference';
import { ensureModel, type ModelFiles } from '@servebench/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverServers, filterStacks, repoRoot, stacksOf } from '../discover.js';
import {
  findTfServing,
  launchModelServer,
  modelServerKind,
  tritonNotInstalled,
  withModelServer,
  type LaunchedModelServer,
} from './modelserver.js';
import { LaunchError } from './process.js';

const root = repoRoot();
const logs = mkdtempSync(join(tmpdir(), 'servebench-modelserver-'));
const settings = { maxBatchSize: 1, maxQueueDelayUs: 2000, intraOpThreads: 1 };

describe('model server launcher', () => {
  it('knows which backends need which model server', () => {
    expect(
      ['ort', 'tfjs-wasm', 'triton-http', 'triton-grpc', 'tfserving-rest', 'tfserving-grpc'].map(modelServerKind),
    ).toEqual([undefined, undefined, 'triton', 'triton', 'tfserving', 'tfserving']);
  });

  it('skips a tfserving stack with the exact reason when TF Serving is not installable, without starting the stack', async () => {
    const where = findTfServing({ PATH: '' });
    if (!('reason' in where)) return; // a machine with a tensorflow/serving image: nothing to check here
    expect(where.reason).toMatch(
      /no tensorflow_model_server on PATH and no local tensorflow\/serving image \(docker image inspect tensorflow\/serving: .+\)/,
    );
    const files = await ensureModel('tiny');
    let started = false;
    const launch = withModelServer(
      async () => {
        started = true;
        throw new Error('not reached');
      },
      { root, files, settings },
    );
    const [stack] = filterStacks(stacksOf(discoverServers(root)), ['express+tfserving-rest']);
    const err = await launch(stack!, { env: {}, readyTimeoutMs: 5000, logFile: join(logs, 'tfs.log') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LaunchError);
    expect(err).toMatchObject({ unavailable: true, message: expect.stringContaining('TF Serving cannot run here') });
    expect(started).toBe(false);
  });
});

// Real Triton (tritonserver from nvidia-pytriton, CPU, model in its Python backend) against the clients and ORT. No stand-in here.
// Needs modelservers/triton/.venv, which the normal build installs; without it (no Python here) the
// suite is skipped and says why, as the runner skips triton-* stacks. In CI it must run.
const notInstalled = tritonNotInstalled(root);
if (notInstalled) console.warn(`real Triton tests skipped: ${notInstalled}`);

describe('model server launcher without Triton installed', () => {
  it('skips a triton stack with the instruction to install it', async () => {
    const emptyRoot = mkdtempSync(join(tmpdir(), 'servebench-noroot-'));
    mkdirSync(join(emptyRoot, 'modelservers', 'triton'), { recursive: true });
    const files = await ensureModel('tiny');
    const err = await launchModelServer({
      backend: 'triton-grpc',
      files,
      root: emptyRoot,
      logFile: join(logs, 'none.log'),
      readyTimeoutMs: 1000,
      ...settings,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      unavailable: true,
      message: expect.stringContaining('Triton is not installed here: run `npm run build -w modelservers/triton`'),
    });
  });

  it('reports a model server that crashes at start as failed with its log tail, and exit 78 as cannot run here', async () => {
    // A stand-in for the Triton venv: the stamp matches, but "python" is a script that exits at once.
    const fake = mkdtempSync(join(tmpdir(), 'servebench-fakeroot-'));
    const dir = join(fake, 'modelservers', 'triton');
    mkdirSync(join(dir, '.venv', 'bin'), { recursive: true });
    writeFileSync(join(dir, 'requirements.txt'), 'stand-in==0\n');
    const sha = createHash('sha256')
      .update(readFileSync(join(dir, 'requirements.txt')))
      .digest('hex');
    writeFileSync(join(dir, '.venv', '.servebench-stamp'), JSON.stringify({ requirements: sha }));
    const files = await ensureModel('tiny');
    const start = async (code: number) => {
      writeFileSync(
        join(dir, '.venv', 'bin', 'python'),
        `#!/bin/sh\necho "stand-in tritonserver: segfault in backend stub" >&2\nexit ${code}\n`,
        { mode: 0o755 },
      );
      return launchModelServer({
        backend: 'triton-http',
        files,
        root: fake,
        logFile: join(logs, `crash${code}.log`),
        readyTimeoutMs: 30_000,
        ...settings,
      }).catch((e: unknown) => e);
    };
    const crashed = await start(1);
    expect(crashed).toBeInstanceOf(LaunchError);
    expect(crashed).toMatchObject({ unavailable: false, phase: 'spawn' });
    expect((crashed as Error).message).toMatch(
      /^Triton exited with 1 before it was ready[\s\S]*segfault in backend stub/,
    );
    expect(await start(78)).toMatchObject({ unavailable: true, message: expect.stringContaining('segfault') });
  });

  it.runIf(process.env.CI)('is installed by the build in CI, so the real-Triton tests run there', () => {
    expect(notInstalled).toBeUndefined();
  });
});

describe.skipIf(notInstalled !== undefined)('real Triton, model in its Python backend', () => {
  let files: ModelFiles;
  let ms: LaunchedModelServer;
  let ort: OrtBackend;
  const batch = packBatch([
    [101, 7592, 1010, 2088, 999, 102],
    [101, 2023, 102],
    [101, 102],
  ]);

  beforeAll(async () => {
    files = await ensureModel('tiny');
    ort = new OrtBackend({ modelPath: files.onnx, device: 'cpu', intraOpThreads: 1, interOpThreads: 1 });
    await ort.load();
    ms = await launchModelServer({
      backend: 'triton-http',
      files,
      root,
      logFile: join(logs, 'triton.log'),
      readyTimeoutMs: 120_000,
      ...settings,
    });
  }, 180_000);
  afterAll(async () => {
    await ms?.stop();
    await ort?.close();
  });

  it('restricts model control and shared memory to a secret header (--http-restricted-api, --grpc-restricted-protocol)', async () => {
    const opts = { method: 'POST', headers: { connection: 'close', 'content-type': 'application/json' }, body: '{}' };
    const load = await fetch(`${ms.urls.http}/v2/repository/models/bert/load`, opts);
    expect(load.status).toBe(403);
    const shm = await fetch(`${ms.urls.http}/v2/systemsharedmemory/status`, { headers: { connection: 'close' } });
    expect(shm.status).toBe(403);
    const ready = await fetch(`${ms.urls.http}/v2/models/bert/ready`, { headers: { connection: 'close' } });
    expect(ready.status).toBe(200); // health and inference stay open
  });

  it('serves the forged model with the repository config: 64 rows, no dynamic batching (off in `settings`), CPU instance', async () => {
    expect(ms.info.model_server).toMatch(/^triton 2\.\d+\.\d+$/);
    expect(ms.info.launcher).toBe('tritonserver 2.51.0 (from nvidia-pytriton 0.7.0), Python backend, CPU');
    expect(ms.info.model_runtime).toMatch(
      /^onnxruntime \d+\.\d+\.\d+ \(Python, inside Triton's Python backend stub\)$/,
    );
    expect(ms.env).toEqual({ MODEL_SERVER_URL: ms.urls.http, MODEL_SERVER_MODEL: 'bert' });
    const config = (await fetch(`${ms.urls.http}/v2/models/bert/config`, { headers: { connection: 'close' } }).then(
      (r) => r.json(),
    )) as {
      max_batch_size: number;
      dynamic_batching?: { max_queue_delay_microseconds: number };
      instance_group: { kind: string }[];
    };
    expect(config.max_batch_size).toBe(64);
    // Batching off in `settings`: no dynamic batcher, so Triton merges no requests, as the in-process stacks.
    expect(config.dynamic_batching).toBeUndefined();
    expect(ms.batching).toEqual({ maxBatchSize: 1, maxQueueDelayUs: 0 }); // what the verify step checks proxies against
    expect(ms.info.dynamic_batching).toBe(
      'off (no dynamic_batching block), max_batch_size 64 rows per request, instances 1',
    );
    expect(config.instance_group[0]?.kind).toBe('KIND_CPU');
    expect(readFileSync(join(ms.info.model_repository!, 'bert', 'config.pbtxt'), 'utf8')).toContain(
      'backend: "onnxruntime"',
    );
  });

  it.each([
    ['triton-http binary', () => new TritonHttpBackend({ url: ms.urls.http })],
    ['triton-http json', () => new TritonHttpBackend({ url: ms.urls.http, tensorForm: 'json' })],
    ['triton-grpc', () => new TritonGrpcBackend({ url: ms.urls.grpc })],
  ] as const)('%s: ready, real server metadata, embeddings equal to ORT within 1e-5', async (_, make) => {
    const b: Backend = make();
    try {
      await b.load();
      expect(await b.ready()).toBe(true);
      expect(b.info().runtime).toMatch(/^triton 2\.\d+\.\d+ \(KServe v2 (HTTP|gRPC)\)$/);
      const [got, want] = await Promise.all([b.embed(batch), ort.embed(batch)]);
      expect([got.batch, got.dim]).toEqual([3, files.config.hiddenSize]);
      let max = 0;
      for (let i = 0; i < want.data.length; i++) max = Math.max(max, Math.abs(got.data[i]! - want.data[i]!));
      expect(max).toBeLessThan(1e-5);
    } finally {
      await b.close();
    }
  });

  it('a wrong input shape is rejected by Triton and reported as BAD_BACKEND_RESPONSE', async () => {
    const b = new TritonHttpBackend({ url: ms.urls.http });
    try {
      // 4 ids but a [2, 3] shape: Triton refuses the byte count.
      const bad = {
        ...batch,
        batch: 2,
        seqLen: 3,
        inputIds: new BigInt64Array(4),
        attentionMask: new BigInt64Array(6),
        tokenTypeIds: new BigInt64Array(6),
      };
      await expect(b.embed(bad)).rejects.toMatchObject({
        code: 'BAD_BACKEND_RESPONSE',
        message: expect.stringContaining('Triton at'),
      });
    } finally {
      await b.close();
    }
  });

  it('stops on request; afterwards calls are BACKEND_UNAVAILABLE and ready() is false', async () => {
    const before = new TritonHttpBackend({ url: ms.urls.http });
    await before.embed(batch);
    await before.close(); // as the runner does: the stack stops (closing its sockets) before the model server
    const http = new TritonHttpBackend({ url: ms.urls.http, timeoutMs: 3000 });
    const grpc = new TritonGrpcBackend({ url: ms.urls.grpc, timeoutMs: 3000 });
    try {
      const exit = await ms.stop();
      expect(ms.exited()).toBeDefined();
      expect(exit.signal === 'SIGTERM' || exit.code === 0).toBe(true);
      expect(await http.ready()).toBe(false);
      await expect(http.embed(batch)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
      await expect(grpc.embed(batch)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    } finally {
      await http.close();
      await grpc.close();
    }
  }, 60_000);
});
