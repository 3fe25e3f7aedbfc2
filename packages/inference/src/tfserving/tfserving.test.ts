// Protocol tests of the TF Serving clients against a TEST STAND-IN: a small in-test server that
// speaks TF Serving's REST and gRPC APIs and returns a fake embedding. It is not TF Serving, is never
// launched by the runner, and never appears in results.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { freePorts } from '@servebench/contract';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packBatch } from '../batch.js';
import { TfServingGrpcBackend, tfServingServices } from './grpc.js';
import { TfServingRestBackend } from './rest.js';

const DIM = 4;
const batch = packBatch([
  [101, 7592, 102],
  [101, 102],
]);

/** Row r -> [sum of masked ids * (j + 1)]. */
function fake(rows: number[][], mask: number[][]): number[][] {
  return rows.map((ids, r) => {
    const s = ids.reduce((a, id, t) => a + id * mask[r]![t]!, 0);
    return Array.from({ length: DIM }, (_, j) => s * (j + 1));
  });
}
const expected = fake(
  [
    [101, 7592, 102],
    [101, 102, 0],
  ],
  [
    [1, 1, 1],
    [1, 1, 0],
  ],
).flat();

type Mode = 'ok' | 'named' | 'ragged' | 'garbage' | 'hang' | 'status-500' | 'loading';

describe('tfserving-rest against a TF Serving REST test stand-in', () => {
  let mode: Mode = 'ok';
  let lastBody: { signature_name?: string; inputs?: Record<string, number[][]> } = {};
  let server: http.Server;
  let url: string;
  const made: TfServingRestBackend[] = [];
  const make = (o: Partial<ConstructorParameters<typeof TfServingRestBackend>[0]> = {}) => {
    const b = new TfServingRestBackend({ url, timeoutMs: 2000, ...o });
    made.push(b);
    return b;
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const send = (status: number, body: string) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(body);
        if (req.method === 'GET' && req.url === '/v1/models/bert') {
          const state = mode === 'loading' ? 'LOADING' : 'AVAILABLE';
          return send(
            200,
            JSON.stringify({
              model_version_status: [{ version: '1', state, status: { error_code: 'OK', error_message: '' } }],
            }),
          );
        }
        if (req.url !== '/v1/models/bert:predict') return send(404, '{"error":"Servable not found"}');
        if (mode === 'hang') return;
        if (mode === 'status-500') return send(500, '{"error":"Invalid argument: input_ids has wrong rank"}');
        if (mode === 'garbage') return send(200, '{"outputs": [[1, 2], "x"');
        lastBody = JSON.parse(Buffer.concat(chunks).toString()) as typeof lastBody;
        const emb = fake(lastBody.inputs!.input_ids!, lastBody.inputs!.attention_mask!);
        if (mode === 'ragged') emb[1]!.pop();
        send(200, JSON.stringify({ outputs: mode === 'named' ? { embedding: emb, other: [1] } : emb }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    mode = 'ok';
  });
  afterAll(async () => {
    for (const b of made) await b.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('posts the columnar `inputs` form to :predict and reads `outputs`', async () => {
    const b = make();
    expect(await b.ready()).toBe(true);
    expect(b.info()).toMatchObject({ model_version: '1', signature: 'serving_default' });
    const e = await b.embed(batch);
    expect(lastBody.signature_name).toBe('serving_default');
    expect(lastBody.inputs!.input_ids).toEqual([
      [101, 7592, 102],
      [101, 102, 0],
    ]);
    expect(lastBody.inputs!.token_type_ids).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect([e.batch, e.dim]).toEqual([2, DIM]);
    expect(Array.from(e.data)).toEqual(expected);
  });

  it('reads outputs keyed by name when the signature has several', async () => {
    mode = 'named';
    expect(Array.from((await make().embed(batch)).data)).toEqual(expected);
  });

  it.each(['ragged', 'garbage', 'status-500'] as const)('%s is BAD_BACKEND_RESPONSE', async (m) => {
    mode = m;
    await expect(make().embed(batch)).rejects.toMatchObject({ code: 'BAD_BACKEND_RESPONSE' });
  });

  it('a model still loading is not ready; a server that is down is BACKEND_UNAVAILABLE; one that hangs is BACKEND_TIMEOUT', async () => {
    mode = 'loading';
    expect(await make().ready()).toBe(false);
    const down = make({ url: `http://127.0.0.1:${(await freePorts(1))[0]}` });
    expect(await down.ready()).toBe(false);
    await expect(down.embed(batch)).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining('TF Serving at'),
    });
    mode = 'hang';
    await expect(make({ timeoutMs: 200 }).embed(batch)).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT' });
  });
});

describe('tfserving-grpc against a PredictionService/ModelService test stand-in', () => {
  let mode: Mode | 'float_val' | 'wrong-dtype' = 'ok';
  let server: grpc.Server;
  let target: string;
  const made: TfServingGrpcBackend[] = [];
  const make = (o: Partial<ConstructorParameters<typeof TfServingGrpcBackend>[0]> = {}) => {
    const b = new TfServingGrpcBackend({ url: target, timeoutMs: 2000, ...o });
    made.push(b);
    return b;
  };
  type Tensor = { dtype: string; tensor_shape: { dim: { size: number }[] }; tensor_content: Buffer };

  beforeAll(async () => {
    const s = tfServingServices();
    type Call = grpc.ServerUnaryCall<Record<string, unknown>, unknown>;
    type Cb = grpc.sendUnaryData<unknown>;
    server = new grpc.Server();
    server.addService(s.model.service, {
      GetModelStatus: (call: Call, cb: Cb) => {
        const name = (call.request.model_spec as { name: string }).name;
        if (name !== 'bert')
          return cb({ code: grpc.status.NOT_FOUND, details: `Could not find any versions of model ${name}` });
        cb(null, {
          model_version_status: [
            { version: 1, state: mode === 'loading' ? 'LOADING' : 'AVAILABLE', status: { error_code: 0 } },
          ],
        });
      },
    });
    server.addService(s.predict.service, {
      Predict: (call: Call, cb: Cb) => {
        if (mode === 'hang') return;
        const r = call.request as {
          model_spec: { name: string; signature_name: string };
          inputs: Record<string, Tensor>;
          output_filter: string[];
        };
        expect(r.model_spec).toMatchObject({ name: 'bert', signature_name: 'serving_default' });
        expect(r.output_filter).toEqual(['embedding']);
        const toRows = (t: Tensor) => {
          expect(t.dtype).toBe('DT_INT64');
          const [b, n] = t.tensor_shape.dim.map((d) => d.size) as [number, number];
          const a = new BigInt64Array(
            t.tensor_content.buffer.slice(
              t.tensor_content.byteOffset,
              t.tensor_content.byteOffset + t.tensor_content.byteLength,
            ),
          );
          return Array.from({ length: b }, (_, i) => Array.from(a.subarray(i * n, (i + 1) * n), Number));
        };
        const emb = fake(toRows(r.inputs.input_ids!), toRows(r.inputs.attention_mask!));
        const flat = new Float32Array(emb.flat());
        const dims = [{ size: emb.length }, { size: mode === 'ragged' ? DIM + 1 : DIM }];
        const dtype = mode === 'wrong-dtype' ? 'DT_DOUBLE' : 'DT_FLOAT';
        if (mode === 'float_val')
          return cb(null, {
            outputs: { embedding: { dtype, tensor_shape: { dim: dims }, float_val: Array.from(flat) } },
          });
        cb(null, {
          outputs: { embedding: { dtype, tensor_shape: { dim: dims }, tensor_content: Buffer.from(flat.buffer) } },
        });
      },
    });
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    target = `127.0.0.1:${port}`;
  });
  afterEach(() => {
    mode = 'ok';
  });
  afterAll(async () => {
    for (const b of made) await b.close();
    server.forceShutdown();
  });

  it('sends DT_INT64 tensor_content and reads tensor_content or float_val', async () => {
    const b = make();
    expect(await b.ready()).toBe(true);
    expect(b.info()).toMatchObject({ model_version: '1', tensor_form: 'tensor_content' });
    expect(Array.from((await b.embed(batch)).data)).toEqual(expected);
    mode = 'float_val';
    expect(Array.from((await b.embed(batch)).data)).toEqual(expected);
  });

  it.each(['ragged', 'wrong-dtype'] as const)('%s is BAD_BACKEND_RESPONSE', async (m) => {
    mode = m;
    await expect(make().embed(batch)).rejects.toMatchObject({ code: 'BAD_BACKEND_RESPONSE' });
  });

  it('loading or unknown model is not ready; down is BACKEND_UNAVAILABLE; hang is BACKEND_TIMEOUT', async () => {
    mode = 'loading';
    expect(await make().ready()).toBe(false);
    mode = 'ok';
    expect(await make({ model: 'nope' }).ready()).toBe(false);
    const down = make({ url: `127.0.0.1:${(await freePorts(1))[0]}` });
    expect(await down.ready()).toBe(false);
    await expect(down.embed(batch)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    mode = 'hang';
    await expect(make({ timeoutMs: 200 }).embed(batch)).rejects.toMatchObject({ code: 'BACKEND_TIMEOUT' });
  });
});
