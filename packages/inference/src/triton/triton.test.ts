// Protocol tests of the Triton clients against a TEST STAND-IN: a small in-test server that speaks
// KServe v2 (HTTP and gRPC) and returns a fake embedding. It is not Triton, is never launched by
// the runner, and never appears in results; real Triton runs in runner/src/launch/modelserver.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { freePorts } from '@servebench/contract';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BackendError, type EncodedBatch } from '../backend.js';
import { packBatch } from '../batch.js';
import { createBackend } from '../factory.js';
import { TritonGrpcBackend, tritonService } from './grpc.js';
import { TritonHttpBackend } from './http.js';

const DIM = 8;
const STANDIN_NAME = 'kserve-v2-test-standin';

/** The stand-in's "model": row r -> [sum of masked ids + j for j in 0..DIM). */
function fakeEmbedding(ids: BigInt64Array, mask: BigInt64Array, batch: number, seq: number): Float32Array {
  const out = new Float32Array(batch * DIM);
  for (let r = 0; r < batch; r++) {
    let s = 0;
    for (let t = 0; t < seq; t++) s += Number(ids[r * seq + t]!) * Number(mask[r * seq + t]!);
    for (let j = 0; j < DIM; j++) out[r * DIM + j] = s + j;
  }
  return out;
}

function expectFake(b: EncodedBatch, data: Float32Array): void {
  expect(Array.from(data)).toEqual(Array.from(fakeEmbedding(b.inputIds, b.attentionMask, b.batch, b.seqLen)));
}

const batch = packBatch([
  [101, 7592, 102],
  [101, 2088, 2003, 102],
]);

type Mode =
  'ok' | 'garbage' | 'wrong-shape' | 'wrong-type' | 'short-binary' | 'hang' | 'status-503' | 'status-400' | 'not-ready';

describe('triton-http against a KServe v2 HTTP test stand-in', () => {
  let mode: Mode = 'ok';
  const seen: { contentType: string | undefined; headerLength: string | undefined; remotePorts: Set<number> } = {
    contentType: undefined,
    headerLength: undefined,
    remotePorts: new Set(),
  };
  let server: http.Server;
  let url: string;
  const backends: TritonHttpBackend[] = [];
  const make = (o: Partial<ConstructorParameters<typeof TritonHttpBackend>[0]> = {}) => {
    const b = new TritonHttpBackend({ url, timeoutMs: 2000, ...o });
    backends.push(b);
    return b;
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.remotePorts.add(req.socket.remotePort!);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const send = (status: number, body: Buffer | string, headers: Record<string, string | number> = {}) => {
          res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
          res.end(body);
        };
        if (req.url === '/v2')
          return send(
            200,
            JSON.stringify({ name: STANDIN_NAME, version: '0.0.0', extensions: ['binary_tensor_data'] }),
          );
        if (req.url === '/v2/models/bert/ready') return send(mode === 'not-ready' ? 400 : 200, '');
        if (req.url !== '/v2/models/bert/infer') return send(404, '{"error":"not found"}');
        if (mode === 'hang') return; // never answers
        if (mode === 'status-503') return send(503, '{"error":"model is busy"}');
        if (mode === 'status-400') return send(400, '{"error":"unexpected shape for input \'input_ids\'"}');
        if (mode === 'garbage') return send(200, '\u0000\u00ffnot json', { 'inference-header-content-length': 10 });
        seen.contentType = req.headers['content-type'];
        const hl = req.headers['inference-header-content-length'] as string | undefined;
        seen.headerLength = hl;
        const body = Buffer.concat(chunks);
        const head = JSON.parse(body.subarray(0, hl ? Number(hl) : body.length).toString()) as {
          inputs: { name: string; shape: number[]; data?: number[]; parameters?: { binary_data_size: number } }[];
          outputs: { name: string; parameters: { binary_data: boolean } }[];
        };
        let off = hl ? Number(hl) : 0;
        const tensors = new Map<string, BigInt64Array>();
        for (const i of head.inputs) {
          if (i.parameters?.binary_data_size !== undefined) {
            const n = i.parameters.binary_data_size;
            tensors.set(i.name, new BigInt64Array(body.buffer.slice(body.byteOffset + off, body.byteOffset + off + n)));
            off += n;
          } else tensors.set(i.name, BigInt64Array.from(i.data!, BigInt));
        }
        const [b, s] = head.inputs[0]!.shape as [number, number];
        const emb = fakeEmbedding(tensors.get('input_ids')!, tensors.get('attention_mask')!, b, s);
        const shape = mode === 'wrong-shape' ? [b + 1, DIM] : [b, DIM];
        const datatype = mode === 'wrong-type' ? 'FP64' : 'FP32';
        if (head.outputs[0]?.parameters.binary_data) {
          const bytes = Buffer.from(emb.buffer);
          const payload = mode === 'short-binary' ? bytes.subarray(0, bytes.length - 4) : bytes;
          // A first, unrequested binary output checks that offsets are summed.
          const extra = Buffer.from([1, 2, 3, 4]);
          const json = Buffer.from(
            JSON.stringify({
              model_name: 'bert',
              outputs: [
                { name: 'other', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 4 } },
                { name: 'embedding', datatype, shape, parameters: { binary_data_size: bytes.length } },
              ],
            }),
          );
          return send(200, Buffer.concat([json, extra, payload]), {
            'inference-header-content-length': json.length,
            'content-type': 'application/octet-stream',
          });
        }
        send(
          200,
          JSON.stringify({
            model_name: 'bert',
            outputs: [{ name: 'embedding', datatype, shape, data: Array.from(emb) }],
          }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    mode = 'ok';
  });
  afterAll(async () => {
    for (const b of backends) await b.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends binary tensors by default and reads the binary embedding after other outputs', async () => {
    const b = make();
    await b.load();
    expect(await b.ready()).toBe(true);
    expect(b.info()).toMatchObject({ runtime: `${STANDIN_NAME} 0.0.0 (KServe v2 HTTP)`, tensor_form: 'binary' });
    const e = await b.embed(batch);
    expect(seen.contentType).toBe('application/octet-stream');
    expect(Number(seen.headerLength)).toBeGreaterThan(0);
    expect([e.batch, e.dim]).toEqual([2, DIM]);
    expectFake(batch, e.data);
  });

  it('sends and reads JSON tensors with tensorForm json', async () => {
    const e = await make({ tensorForm: 'json' }).embed(batch);
    expect(seen.contentType).toBe('application/json');
    expect(seen.headerLength).toBeUndefined();
    expectFake(batch, e.data);
  });

  it.each([
    ['garbage', {}],
    ['wrong-shape', {}],
    ['wrong-type', {}],
    ['short-binary', {}],
    ['wrong-shape', { tensorForm: 'json' as const }],
    ['status-400', {}],
  ] as const)('%s %o is BAD_BACKEND_RESPONSE', async (m, o) => {
    mode = m;
    await expect(make(o).embed(batch)).rejects.toMatchObject({ name: 'BackendError', code: 'BAD_BACKEND_RESPONSE' });
  });

  it('a 503 is BACKEND_UNAVAILABLE with the server message', async () => {
    mode = 'status-503';
    await expect(make().embed(batch)).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining('model is busy'),
    });
  });

  it('a server that never answers is BACKEND_TIMEOUT after timeoutMs, not a hang', async () => {
    mode = 'hang';
    await expect(make({ timeoutMs: 200 }).embed(batch)).rejects.toMatchObject({
      code: 'BACKEND_TIMEOUT',
      message: expect.stringContaining('did not answer within 200 ms'),
    });
  });

  it('a cancelled caller is BACKEND_TIMEOUT (cancelled)', async () => {
    mode = 'hang';
    const ac = new AbortController();
    const p = make().embed(batch, ac.signal);
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT', message: expect.stringContaining('cancelled') });
  });

  it('a model that is not ready makes ready() false', async () => {
    mode = 'not-ready';
    expect(await make().ready()).toBe(false);
  });

  it('a server that is down is BACKEND_UNAVAILABLE and ready() is false', async () => {
    const b = make({ url: `http://127.0.0.1:${(await freePorts(1))[0]}` });
    await b.load(); // does not throw: the model server may start later
    expect(await b.ready()).toBe(false);
    expect(b.info().runtime).toBe('Triton (not contacted yet)');
    const err = await b.embed(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringMatching(/Triton at http:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED/),
    });
  });

  it('keeps at most `connections` keep-alive sockets and reuses them', async () => {
    seen.remotePorts.clear();
    const b = make({ connections: 2 });
    await Promise.all(Array.from({ length: 8 }, () => b.embed(batch)));
    for (let i = 0; i < 4; i++) await b.embed(batch);
    expect(seen.remotePorts.size).toBeGreaterThanOrEqual(1);
    expect(seen.remotePorts.size).toBeLessThanOrEqual(2);
  });
});

describe('triton-grpc against a GRPCInferenceService test stand-in', () => {
  let mode: Mode | 'contents' = 'ok';
  const peers = new Set<string>();
  let server: grpc.Server;
  let target: string;
  const backends: TritonGrpcBackend[] = [];
  const make = (o: Partial<ConstructorParameters<typeof TritonGrpcBackend>[0]> = {}) => {
    const b = new TritonGrpcBackend({ url: target, timeoutMs: 2000, ...o });
    backends.push(b);
    return b;
  };

  beforeAll(async () => {
    const service = tritonService().service;
    type Call = grpc.ServerUnaryCall<Record<string, unknown>, unknown>;
    type Cb = grpc.sendUnaryData<unknown>;
    const impl = {
      ServerLive: (_: Call, cb: Cb) => cb(null, { live: true }),
      ServerReady: (_: Call, cb: Cb) => cb(null, { ready: true }),
      ServerMetadata: (_: Call, cb: Cb) =>
        cb(null, { name: STANDIN_NAME, version: '0.0.0', extensions: ['binary_tensor_data'] }),
      ModelMetadata: (_: Call, cb: Cb) => cb(null, {}),
      ModelReady: (call: Call, cb: Cb) => cb(null, { ready: call.request.name === 'bert' && mode !== 'not-ready' }),
      ModelInfer: (call: Call, cb: Cb) => {
        peers.add(call.getPeer());
        if (mode === 'hang') return;
        if (mode === 'status-503') return cb({ code: grpc.status.UNAVAILABLE, details: 'model is busy' });
        const r = call.request as {
          inputs: { name: string; datatype: string; shape: number[] }[];
          raw_input_contents: Buffer[];
        };
        const [b, s] = r.inputs[0]!.shape as [number, number];
        const t = (name: string) => {
          const i = r.inputs.findIndex((x) => x.name === name);
          const buf = r.raw_input_contents[i]!;
          return new BigInt64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        };
        expect(r.inputs.map((x) => x.datatype)).toEqual(['INT64', 'INT64', 'INT64']);
        const emb = fakeEmbedding(t('input_ids'), t('attention_mask'), b, s);
        const out = {
          name: 'embedding',
          datatype: mode === 'wrong-type' ? 'FP64' : 'FP32',
          shape: mode === 'wrong-shape' ? [b, DIM + 1] : [b, DIM],
        };
        if (mode === 'contents')
          return cb(null, { model_name: 'bert', outputs: [{ ...out, contents: { fp32_contents: Array.from(emb) } }] });
        cb(null, { model_name: 'bert', outputs: [out], raw_output_contents: [Buffer.from(emb.buffer)] });
      },
    };
    // The same service, but ModelInfer answers with bytes that are not a ModelInferResponse.
    const garbled = {
      ...service,
      ModelInfer: {
        ...service.ModelInfer!,
        responseSerialize: () => Buffer.from([0x2a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      },
    };
    server = new grpc.Server();
    server.addService(service, impl);
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    target = `127.0.0.1:${port}`;
    garbledServer = new grpc.Server();
    garbledServer.addService(garbled, impl);
    garbledPort = await new Promise<number>((res, rej) =>
      garbledServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
  });
  let garbledServer: grpc.Server;
  let garbledPort: number;
  afterEach(() => {
    mode = 'ok';
  });
  afterAll(async () => {
    for (const b of backends) await b.close();
    server.forceShutdown();
    garbledServer.forceShutdown();
  });

  it('sends raw_input_contents and reads raw_output_contents; metadata fills info()', async () => {
    const b = make();
    expect(await b.ready()).toBe(true);
    expect(b.info()).toMatchObject({
      runtime: `${STANDIN_NAME} 0.0.0 (KServe v2 gRPC)`,
      tensor_form: 'raw_input_contents',
    });
    const e = await b.embed(batch);
    expect([e.batch, e.dim]).toEqual([2, DIM]);
    expectFake(batch, e.data);
  });

  it('reads typed fp32_contents when the server does not answer in raw form', async () => {
    mode = 'contents';
    expectFake(batch, (await make().embed(batch)).data);
  });

  it.each(['wrong-shape', 'wrong-type'] as const)('%s is BAD_BACKEND_RESPONSE', async (m) => {
    mode = m;
    await expect(make().embed(batch)).rejects.toMatchObject({ code: 'BAD_BACKEND_RESPONSE' });
  });

  it('bytes that do not parse as a ModelInferResponse are BAD_BACKEND_RESPONSE', async () => {
    await expect(make({ url: `127.0.0.1:${garbledPort}` }).embed(batch)).rejects.toMatchObject({
      code: 'BAD_BACKEND_RESPONSE',
    });
  });

  it('UNAVAILABLE from the server is BACKEND_UNAVAILABLE', async () => {
    mode = 'status-503';
    await expect(make().embed(batch)).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining('model is busy'),
    });
  });

  it('a server that never answers is BACKEND_TIMEOUT; a cancelled caller too', async () => {
    mode = 'hang';
    await expect(make({ timeoutMs: 200 }).embed(batch)).rejects.toMatchObject({
      code: 'BACKEND_TIMEOUT',
      message: expect.stringContaining('200 ms'),
    });
    const ac = new AbortController();
    const p = make().embed(batch, ac.signal);
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT', message: expect.stringContaining('cancelled') });
  });

  it('a server that is down is BACKEND_UNAVAILABLE and ready() is false', async () => {
    const b = make({ url: `127.0.0.1:${(await freePorts(1))[0]}` });
    expect(await b.ready()).toBe(false);
    await expect(b.embed(batch)).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining('is unreachable'),
    });
  });

  it('a model that is not ready makes ready() false', async () => {
    mode = 'not-ready';
    expect(await make().ready()).toBe(false);
  });

  it('spreads calls over `connections` channels, each its own connection', async () => {
    peers.clear();
    const b = make({ connections: 3 });
    await Promise.all(Array.from({ length: 9 }, () => b.embed(batch)));
    expect(peers.size).toBe(3);
  });
});

describe('factory: model server backends', () => {
  it('maps the ids and rejects bad options as BACKEND_CONFIG', async () => {
    const base = { modelPath: '', device: 'cpu' as const, intraOpThreads: 1, interOpThreads: 1 };
    const made = ['triton-http', 'triton-grpc', 'tfserving-rest', 'tfserving-grpc'].map((id) =>
      createBackend({ ...base, backend: id }),
    );
    expect(made.map((b) => b.id)).toEqual(['triton-http', 'triton-grpc', 'tfserving-rest', 'tfserving-grpc']);
    for (const b of made) await b.close();
    // A proxy keeps one call per connection in flight (the pipeline's WorkQueue reads this).
    const three = ['triton-http', 'triton-grpc', 'tfserving-rest', 'tfserving-grpc'].map((id) =>
      createBackend({ ...base, backend: id, modelServer: { connections: 3 } }),
    );
    expect(three.map((b) => b.concurrency)).toEqual([3, 3, 3, 3]);
    for (const b of three) await b.close();
    expect(() => createBackend({ ...base, backend: 'triton-http', modelServer: { url: 'not a url' } })).toThrow(
      /MODEL_SERVER_URL=not a url/,
    );
    expect(() => createBackend({ ...base, backend: 'triton-grpc', modelServer: { url: 'http://127.0.0.1' } })).toThrow(
      /expected host:port/,
    );
    expect(() => createBackend({ ...base, backend: 'triton-http', modelServer: { connections: 0 } })).toThrow(
      /MODEL_SERVER_CONNECTIONS=0/,
    );
    expect(() => createBackend({ ...base, backend: 'tfserving-rest', modelServer: { url: 'https://x:1' } })).toThrow(
      BackendError,
    );
  });
});
