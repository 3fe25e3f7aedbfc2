import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { ERRORS, isErrorCode, type ErrorCode } from '../errors.js';
import {
  ERROR_LEAK,
  predictBatchEqualsAlone,
  predictMatchesReference,
  predictShapes,
  runChecks,
  tokenizeEveryFixture,
  tokenizeSomeFixtures,
  unpaddedIds,
} from '../conformance/shared.js';
import {
  assertBatching,
  type CheckOutcome,
  type CommonContext,
  type ConformanceCheck,
  type Probe,
} from '../conformance/shared.js';
import type { ReadyResponse } from '../types.js';
import { ServingClient, type GrpcReply } from './client.js';
import {
  METADATA_KEYS,
  readyResponse,
  type EncodingMessage,
  type HelloReply,
  type PredictBatchReply,
  type PredictReply,
  type ReadyReply,
  type TokenizeBatchReply,
} from './proto.js';
import { encodeTextField } from './wire.js';

export interface GrpcConformanceContext extends CommonContext {
  client: ServingClient;
}

export type GrpcCheck = ConformanceCheck<GrpcConformanceContext>;

const ok = <T>(r: GrpcReply<T>): T => {
  assert.equal(r.code, status.OK, `expected OK, got ${status[r.code]}: ${r.details}`);
  assert.ok(r.value !== undefined, 'OK without a message');
  return r.value;
};

/** The status of ERRORS[code].grpc, and the contract code in the trailers. */
export function expectGrpcError(r: GrpcReply<unknown>, code: ErrorCode): void {
  const want = ERRORS[code].grpc;
  assert.equal(status[r.code], want, `expected ${want} (${code}), got ${status[r.code]}: ${r.details}`);
  const got = r.trailers.get(METADATA_KEYS.errorCode)[0];
  assert.ok(isErrorCode(got), `trailer ${METADATA_KEYS.errorCode} must name a contract code, got ${String(got)}`);
  assert.equal(got, code);
  assert.ok(
    r.details.length > 0 && !ERROR_LEAK.test(r.details),
    `details must say what went wrong without stack traces: ${r.details}`,
  );
}

/** Tokenize(Batch) and Predict(Batch) for the checks shared with HTTP. */
const grpc = ({ client }: GrpcConformanceContext): Probe => ({
  tokenize: async (text) => unpaddedIds(ok(await client.call<EncodingMessage>('Tokenize', { text }))),
  tokenizeBatch: async (texts) =>
    ok(await client.call<TokenizeBatchReply>('TokenizeBatch', { texts })).results.map(unpaddedIds),
  predict: async (text) => ok(await client.call<PredictReply>('Predict', { text })).embedding,
  predictBatch: async (texts) =>
    ok(await client.call<PredictBatchReply>('PredictBatch', { texts })).embeddings.map((e) => e.values),
});

export const GRPC_CHECKS: readonly GrpcCheck[] = [
  {
    id: 'HelloWorld answers {hello: "World"}',
    fast: true,
    async run({ client }) {
      assert.deepEqual(ok(await client.call<HelloReply>('HelloWorld', {})), { hello: 'World' });
    },
  },
  {
    id: 'grpc.health.v1 says SERVING and Ready reports the model',
    fast: true,
    async run({ client, ready }) {
      assert.equal(await client.health(''), 'SERVING');
      assert.equal(await client.health('servebench.v1.Serving'), 'SERVING');
      assert.equal(ready.status, 'ready');
      assert.ok(ready.model.hidden_size > 0 && ready.model.max_length > 2, 'Ready reports the model');
      assert.ok(ready.backend.length > 0, 'Ready names the backend');
      assert.ok(ready.limits.max_texts > 0 && ready.limits.max_body_bytes > 0, 'Ready reports the limits');
      assertBatching(ready.batching, 'Ready');
    },
  },
  { id: 'Tokenize matches a few golden fixtures', fast: true, run: (ctx) => tokenizeSomeFixtures(grpc(ctx)) },
  {
    id: 'Tokenize matches every golden fixture, one by one and batched',
    fast: false,
    run: (ctx) => tokenizeEveryFixture(grpc(ctx), ctx.ready),
  },
  {
    id: 'Predict returns one finite embedding of hidden_size per text',
    fast: true,
    run: (ctx) => predictShapes(grpc(ctx), ctx.ready),
  },
  { id: 'Predict matches the reference embeddings', fast: true, run: (ctx) => predictMatchesReference(grpc(ctx), ctx) },
  {
    id: 'PredictBatch equals Predict alone (padding does not leak)',
    fast: false,
    run: (ctx) => predictBatchEqualsAlone(grpc(ctx), ctx.ready),
  },
  {
    id: 'server-timing trailer names the queue, tokenize and infer layers',
    fast: false,
    async run({ client }) {
      const r = await client.call<PredictReply>('Predict', { text: 'timing' });
      ok(r);
      const st = String(r.trailers.get(METADATA_KEYS.serverTiming)[0] ?? '');
      for (const name of ['queue', 'tokenize', 'infer']) assert.match(st, new RegExp(`\\b${name};dur=[0-9.]+`), st);
    },
  },
  {
    id: 'bad input gets INVALID_ARGUMENT with a contract code',
    fast: true,
    async run({ client, ready }) {
      expectGrpcError(await client.call('Predict', Buffer.from([0x0a, 0x05, 0x61])), 'INVALID_REQUEST'); // truncated
      expectGrpcError(await client.call('Predict', Buffer.from([0x08, 0x01])), 'INVALID_REQUEST'); // field 1 as a varint
      expectGrpcError(
        await client.call('Tokenize', encodeTextField([new Uint8Array([0x61, 0xff, 0x62])])),
        'INVALID_UTF8',
      );
      expectGrpcError(
        await client.call('PredictBatch', encodeTextField(['ok', new Uint8Array([0xc3])])),
        'INVALID_UTF8',
      );
      expectGrpcError(await client.call('TokenizeBatch', { texts: [] }), 'EMPTY_TEXTS');
      expectGrpcError(await client.call('PredictBatch', { texts: [] }), 'EMPTY_TEXTS');
      const many = Array.from({ length: ready.limits.max_texts + 1 }, () => 'a');
      expectGrpcError(await client.call('TokenizeBatch', { texts: many }), 'TOO_MANY_TEXTS');
      expectGrpcError(await client.call('PredictBatch', { texts: many }), 'TOO_MANY_TEXTS');
    },
  },
  {
    id: 'a text over max_text_chars gets TEXT_TOO_LONG; an oversized message RESOURCE_EXHAUSTED',
    fast: false,
    async run({ client, ready }) {
      const { max_text_chars: chars, max_body_bytes: bytes } = ready.limits;
      if (chars + 16 < bytes) {
        expectGrpcError(await client.call('Tokenize', { text: 'a'.repeat(chars + 1) }), 'TEXT_TOO_LONG');
        expectGrpcError(await client.call('PredictBatch', { texts: ['a', 'a'.repeat(chars + 1)] }), 'TEXT_TOO_LONG');
      }
      const r = await client.call('Predict', { text: 'a'.repeat(bytes + 256 * 1024) });
      // grpc-js and grpc-go refuse it in the transport (no contract trailer); a server may also answer with a code.
      if (r.trailers.get(METADATA_KEYS.errorCode).length) {
        expectGrpcError(r, status[r.code] === 'RESOURCE_EXHAUSTED' ? 'BODY_TOO_LARGE' : 'TEXT_TOO_LONG');
      } else {
        assert.equal(status[r.code], 'RESOURCE_EXHAUSTED', `oversized message: ${status[r.code]} ${r.details}`);
      }
    },
  },
  {
    id: 'a call past its deadline gets DEADLINE_EXCEEDED and the server keeps answering',
    fast: true,
    async run({ client, ready }) {
      const texts = Array.from({ length: ready.limits.max_texts }, (_, i) => `deadline ${i} `.repeat(40));
      const calls = Array.from({ length: 8 }, () => client.call('PredictBatch', { texts }, { timeoutMs: 1 }));
      const codes = (await Promise.all(calls)).map((r) => status[r.code]);
      // 64 texts in 1 ms: at least one is late; a late call must end in nothing but DEADLINE_EXCEEDED.
      assert.ok(
        codes.every((c) => c === 'DEADLINE_EXCEEDED' || c === 'OK'),
        codes.join(', '),
      );
      assert.ok(codes.includes('DEADLINE_EXCEEDED'), codes.join(', '));
      ok(await client.call<PredictReply>('Predict', { text: 'after the deadline' }));
    },
  },
  {
    id: 'unknown methods get UNIMPLEMENTED',
    fast: false,
    async run({ client }) {
      const r = await client.call('/servebench.v1.Serving/NoSuchMethod', Buffer.alloc(0));
      assert.equal(status[r.code], 'UNIMPLEMENTED', `${status[r.code]}: ${r.details}`);
    },
  },
  {
    id: 'the server survives the bad input and still answers',
    fast: true,
    async run({ client }) {
      unpaddedIds(ok(await client.call<EncodingMessage>('Tokenize', { text: 'still alive' })));
    },
  },
];

/** The Ready RPC's answer (the /readyz body); throws when the server is not ready. */
export async function fetchGrpcReady(client: ServingClient): Promise<ReadyResponse> {
  const r = await client.call<ReadyReply>('Ready', {}, { timeoutMs: 10_000 });
  assert.equal(r.code, status.OK, `Ready answered ${status[r.code]}: ${r.details}`);
  return readyResponse(r.value!);
}

/** Runs the gRPC checks outside any test framework (the runner's verify phase). Never throws. */
export async function runGrpcConformance(
  target: string,
  opts: { fast?: boolean; embed?: GrpcConformanceContext['embed']; tolerance?: number } = {},
): Promise<CheckOutcome[]> {
  let client: ServingClient;
  try {
    client = new ServingClient(target);
  } catch (e) {
    return [{ id: 'connect', ok: false, error: (e as Error).message }];
  }
  try {
    const context = async (): Promise<GrpcConformanceContext> => ({
      client,
      ready: await fetchGrpcReady(client),
      embed: opts.embed,
      tolerance: opts.tolerance ?? 1e-4,
    });
    return await runChecks('Ready', context, GRPC_CHECKS, opts.fast);
  } finally {
    client.close();
  }
}
