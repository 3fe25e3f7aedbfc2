import net from 'node:net';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { sentences, tokenizeFixtures } from '@servebench/contract';
import { Pipeline, WordPieceTokenizer, createBackend } from '@servebench/inference';
import { ensureModel } from '@servebench/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverServers, repoRoot, stacksOf } from '../discover.js';
import { launchProcess, type Launched } from '../launch/process.js';
import { runGrpcLoad, splitGrpcSpec } from './grpc-engine.js';
import type { GrpcLoadSpec } from './grpc-types.js';
import { buildGrpcWorkload } from './grpc-workload.js';

// The real gRPC server (servers/grpc, built), launched the way the runner does, tiny model.
const root = repoRoot();
let server: Launched;
beforeAll(async () => {
  const stack = stacksOf(discoverServers(root)).find((s) => s.server.protocol === 'grpc');
  if (!stack || !existsSync(join(stack.server.dir, 'dist/main.js')))
    throw new Error('build servers/grpc first (npx turbo run build)');
  server = await launchProcess(stack, {
    env: { MODEL: 'tiny' },
    readyTimeoutMs: 60_000,
    logFile: join(root, 'node_modules/.cache-grpc-engine-test.log'),
  });
}, 90_000);
afterAll(() => server?.stop());

const spec = (over: Partial<GrpcLoadSpec>): GrpcLoadSpec => ({
  host: server.host,
  port: server.port,
  requests: [{ method: 'HelloWorld', message: {} }],
  expect: [{ kind: 'json', value: { hello: 'World' } }],
  mode: 'closed',
  concurrency: 4,
  warmupMs: 0,
  durationMs: 5_000,
  maxRequests: 300,
  windowMs: 500,
  timeoutMs: 10_000,
  ...over,
});

async function oracle() {
  const files = await ensureModel('tiny');
  const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(files.vocab, 'utf8'), {
    maxLength: files.config.maxPositions,
  });
  const backend = createBackend({
    backend: 'ort',
    modelPath: files.onnx,
    device: 'cpu',
    intraOpThreads: 1,
    interOpThreads: 1,
  });
  await backend.load();
  const pipeline = new Pipeline(tokenizer, backend, { maxQueue: 1000 });
  return {
    tokenize: (t: string) => tokenizer.encode(t),
    embed: async (x: string[]) => (await pipeline.predict(x)).vectors.map((v) => Array.from(v)),
    close: () => backend.close(),
  };
}

describe('runGrpcLoad against servers/grpc', () => {
  it('closed loop: verified HelloWorld over 2 threads and 2 channels, stops at maxRequests', async () => {
    const r = await runGrpcLoad(spec({ threads: 2, channels: 2 }));
    expect(r.errors).toEqual({});
    expect(r.successes).toBe(300);
    expect(r.threads).toBe(2);
    expect(r.latencyMs.count).toBe(300);
    expect(r.rps).toBeCloseTo(r.successes / r.durationS, 6);
  }, 60_000);

  it('tokenize and predict match the oracle; predict carries the layer timings', async () => {
    const o = await oracle();
    const texts = sentences('short').slice(0, 8);
    try {
      for (const task of ['tokenize', 'predict'] as const) {
        const wl = await buildGrpcWorkload(task, texts, o, 1e-4);
        const r = await runGrpcLoad(spec({ ...wl, maxRequests: 80 }));
        expect(r.errors, task).toEqual({});
        expect(r.successes, task).toBe(80);
        if (task === 'predict')
          for (const k of ['queue', 'tokenize', 'infer']) expect(r.serverTiming[k]?.count, k).toBe(80);
      }
    } finally {
      await o.close();
    }
  }, 60_000);

  it('wrong answers are invalid_body and contract errors grpc_<CODE>; neither counts as a success', async () => {
    const c = tokenizeFixtures().cases[0]!;
    const r = await runGrpcLoad(
      spec({
        requests: [
          { method: 'Tokenize', message: { text: c.text } },
          { method: 'Tokenize', message: { text: c.text } },
          { method: 'TokenizeBatch', message: { texts: [] } },
        ],
        expect: [
          {
            kind: 'json',
            value: {
              input_ids: c.input_ids,
              attention_mask: c.input_ids.map(() => 1),
              token_type_ids: c.input_ids.map(() => 0),
            },
          },
          { kind: 'json', value: { input_ids: [101, 1, 102], attention_mask: [1, 1, 1], token_type_ids: [0, 0, 0] } },
          { kind: 'json', value: { results: [] } },
        ],
        concurrency: 1,
        maxRequests: 90,
      }),
    );
    expect(r.successes).toBe(30);
    expect(r.errors).toEqual({ invalid_body: 30, grpc_INVALID_ARGUMENT: 30 });
  }, 60_000);

  it('open loop: sends rate x duration calls from the schedule', async () => {
    const r = await runGrpcLoad(
      spec({ mode: 'open', rate: 100, arrivals: 'fixed', durationMs: 1000, maxRequests: undefined }),
    );
    expect(r.open?.scheduled).toBe(100);
    expect({ open: r.open, errors: r.errors, successes: r.successes }).toEqual({
      open: { scheduled: 100, sent: 100, late: r.open?.late, dropped: 0 },
      errors: {},
      successes: 100,
    });
  }, 60_000);

  it('counts a port with nothing listening as connect errors', async () => {
    const probe = net.createServer();
    await new Promise<void>((res) => probe.listen(0, '127.0.0.1', res));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((res) => probe.close(res));
    const r = await runGrpcLoad(spec({ port, durationMs: 300, maxRequests: undefined }));
    expect(r.successes).toBe(0);
    expect(Object.keys(r.errors)).toEqual(['connect']);
  }, 60_000);
});

describe('splitGrpcSpec', () => {
  it('divides in-flight calls and channels across threads, at least one channel each', () => {
    const base = {
      host: '127.0.0.1',
      port: 1,
      requests: [{ method: 'HelloWorld' as const, message: {} }],
      expect: [{ kind: 'json' as const, value: {} }],
      mode: 'closed' as const,
      warmupMs: 0,
      durationMs: 1,
      windowMs: 1,
      timeoutMs: 1,
    };
    expect(
      splitGrpcSpec({ ...base, concurrency: 32, threads: 2, channels: 3 }).map((s) => [s.connections, s.channels]),
    ).toEqual([
      [16, 2],
      [16, 1],
    ]);
    expect(splitGrpcSpec({ ...base, concurrency: 8, threads: 2 }).map((s) => s.channels)).toEqual([1, 1]);
    expect(splitGrpcSpec({ ...base, concurrency: 2, channels: 8 }).map((s) => s.channels)).toEqual([2]);
  });
});
