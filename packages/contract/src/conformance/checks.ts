import assert from 'node:assert/strict';
import { isErrorCode, type ErrorCode } from '../errors.js';
import { HELLO_BODY, ROUTES } from '../routes.js';
import type { ReadyResponse } from '../types.js';
import { allowHeader } from '../edge.js';
import { ABUSE_CHECKS, type AbuseTally } from './abuse.js';
import { EDGE_CHECKS } from './edge.js';
import { call, postJson, postLarge, type HttpReply } from './http.js';
import {
  ERROR_LEAK,
  predictBatchEqualsAlone,
  predictMatchesReference,
  predictShapes,
  runChecks,
  tokenizeEveryFixture,
  tokenizeSomeFixtures,
  unpaddedIds,
} from './shared.js';
import { assertBatching, type CheckOutcome, type CommonContext, type ConformanceCheck, type Probe } from './shared.js';

export { maxAbsDiff, type CheckOutcome } from './shared.js';

export interface ConformanceContext extends CommonContext {
  baseUrl: string;
  /** Where the bad-input checks count what they sent and saw (reports). */
  tally?: AbuseTally;
}

export type Check = ConformanceCheck<ConformanceContext>;

export function expectError(reply: HttpReply, status: number, code: ErrorCode): void {
  assert.equal(
    reply.status,
    status,
    `expected HTTP ${status} (${code}), got ${reply.status}: ${reply.text.slice(0, 200)}`,
  );
  const body = reply.json() as { error?: { code?: unknown; message?: unknown } };
  assert.ok(
    body.error && isErrorCode(body.error.code),
    `error body must be {"error":{"code","message"}}: ${reply.text.slice(0, 200)}`,
  );
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(!ERROR_LEAK.test(reply.text), 'error body must not leak stack traces or paths');
  assert.match(reply.headers.get('content-type') ?? '', /application\/json/);
}

/** The body of a 200 answer. */
function okJson(reply: HttpReply): unknown {
  assert.equal(reply.status, 200, reply.text.slice(0, 200));
  return reply.json();
}

function ids(reply: HttpReply): number[] {
  return unpaddedIds(okJson(reply) as Parameters<typeof unpaddedIds>[0]);
}

/** /tokenize and /predict for the checks shared with gRPC. */
const http = ({ baseUrl }: ConformanceContext): Probe => ({
  tokenize: async (text) => ids(await postJson(baseUrl, ROUTES.tokenize, { text })),
  tokenizeBatch: async (texts) =>
    (okJson(await postJson(baseUrl, ROUTES.tokenize, { texts })) as { results: { input_ids: number[] }[] }).results.map(
      (x) => x.input_ids,
    ),
  predict: async (text) =>
    (okJson(await postJson(baseUrl, ROUTES.predict, { text })) as { embedding: unknown }).embedding,
  predictBatch: async (texts) =>
    (okJson(await postJson(baseUrl, ROUTES.predict, { texts })) as { embeddings: unknown[] }).embeddings,
});

const bodyOf = (size: number) => JSON.stringify({ text: 'a'.repeat(size) });

const CONTRACT_CHECKS: readonly Check[] = [
  {
    id: 'hello_world answers {"Hello":"World"}',
    fast: true,
    async run({ baseUrl }) {
      const r = await call(baseUrl, ROUTES.hello);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json(), JSON.parse(HELLO_BODY));
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    },
  },
  {
    id: 'healthz and readyz answer 200',
    fast: true,
    async run({ baseUrl, ready }) {
      assert.equal((await call(baseUrl, ROUTES.healthz)).status, 200);
      assert.equal(ready.status, 'ready');
      assert.ok(ready.model.hidden_size > 0 && ready.model.max_length > 2, 'readyz reports the model');
      assert.ok(typeof ready.backend === 'string' && ready.backend.length > 0, 'readyz names the backend');
      assertBatching(ready.batching, 'readyz');
    },
  },
  {
    id: 'metrics are in Prometheus text format',
    fast: false,
    async run({ baseUrl }) {
      const r = await call(baseUrl, ROUTES.metrics);
      assert.equal(r.status, 200);
      assert.match(r.text, /^# (HELP|TYPE) /m);
    },
  },
  { id: 'tokenize matches a few golden fixtures', fast: true, run: (ctx) => tokenizeSomeFixtures(http(ctx)) },
  {
    id: 'tokenize matches every golden fixture, one by one and batched',
    fast: false,
    run: (ctx) => tokenizeEveryFixture(http(ctx), ctx.ready),
  },
  {
    id: 'predict returns one finite embedding of hidden_size per text',
    fast: true,
    run: (ctx) => predictShapes(http(ctx), ctx.ready),
  },
  { id: 'predict matches the reference embeddings', fast: true, run: (ctx) => predictMatchesReference(http(ctx), ctx) },
  {
    id: 'predict in a batch equals predict alone (padding does not leak)',
    fast: false,
    run: (ctx) => predictBatchEqualsAlone(http(ctx), ctx.ready),
  },
  {
    id: 'Server-Timing names the tokenize and infer layers',
    fast: false,
    async run({ baseUrl }) {
      const r = await postJson(baseUrl, ROUTES.predict, { text: 'timing' });
      const st = r.headers.get('server-timing') ?? '';
      for (const name of ['queue', 'tokenize', 'infer']) assert.match(st, new RegExp(`\\b${name};dur=[0-9.]+`), st);
    },
  },
  {
    id: 'bad input gets a clear 4xx',
    fast: true,
    async run({ baseUrl, ready }) {
      const p = ROUTES.predict;
      expectError(await call(baseUrl, p, { body: '{"text": ' }), 400, 'INVALID_JSON');
      expectError(await postJson(baseUrl, p, {}), 400, 'INVALID_REQUEST');
      expectError(await postJson(baseUrl, p, { text: 42 }), 400, 'INVALID_REQUEST');
      expectError(await postJson(baseUrl, p, { texts: 'x' }), 400, 'INVALID_REQUEST');
      expectError(await postJson(baseUrl, p, { texts: ['a', 1] }), 400, 'INVALID_REQUEST');
      expectError(await postJson(baseUrl, p, ['a']), 400, 'INVALID_REQUEST');
      expectError(await postJson(baseUrl, ROUTES.tokenize, { texts: [] }), 400, 'EMPTY_TEXTS');
      const many = Array.from({ length: ready.limits.max_texts + 1 }, () => 'a');
      expectError(await postJson(baseUrl, ROUTES.tokenize, { texts: many }), 400, 'TOO_MANY_TEXTS');
      expectError(
        await call(baseUrl, p, { body: '{"text":"x"}', contentType: 'text/plain' }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expectError(
        await call(baseUrl, p, {
          body: new Uint8Array([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
        }),
        400,
        'INVALID_UTF8',
      );
    },
  },
  {
    id: 'oversized input gets 413 or 400 with a code',
    fast: false,
    async run({ baseUrl, ready }) {
      const limit = ready.limits.max_body_bytes;
      for (const chunked of [false, true]) {
        const r = await postLarge(baseUrl, ROUTES.predict, '{"text":"', limit + 256 * 1024, { chunked });
        expectError(r, 413, 'BODY_TOO_LARGE');
        // The rest of that body is not read as a next request: the connection ends with the answer.
        assert.equal(r.headers.get('connection'), 'close', `413 (${chunked ? 'chunked' : 'content-length'})`);
      }
      if (ready.limits.max_text_chars + 16 < limit) {
        expectError(
          await call(baseUrl, ROUTES.tokenize, { body: bodyOf(ready.limits.max_text_chars + 1) }),
          400,
          'TEXT_TOO_LONG',
        );
      }
    },
  },
  {
    id: 'unknown routes get JSON 404, a known path with another method JSON 405 + Allow',
    fast: false,
    async run({ baseUrl }) {
      expectError(await call(baseUrl, '/no_such_route'), 404, 'NOT_FOUND');
      const r = await call(baseUrl, ROUTES.predict);
      expectError(r, 405, 'METHOD_NOT_ALLOWED');
      assert.equal(r.headers.get('allow'), allowHeader(ROUTES.predict));
    },
  },
  {
    id: 'the server survives the bad input and still answers',
    fast: true,
    async run({ baseUrl }) {
      const r = await postJson(baseUrl, ROUTES.tokenize, { text: 'still alive' });
      assert.equal(r.status, 200);
    },
  },
];

/** Contract checks, the routing edge, then the abuse matrix and fuzzing (full suite only). */
export const CHECKS: readonly Check[] = [...CONTRACT_CHECKS, ...EDGE_CHECKS, ...ABUSE_CHECKS];

export async function fetchReady(baseUrl: string): Promise<ReadyResponse> {
  const r = await call(baseUrl, ROUTES.readyz);
  assert.equal(r.status, 200, `readyz answered ${r.status}: ${r.text.slice(0, 200)}`);
  return r.json() as ReadyResponse;
}

/** Runs the checks outside any test framework (the runner's verify phase). Never throws. */
export function runConformance(
  baseUrl: string,
  opts: {
    fast?: boolean;
    embed?: ConformanceContext['embed'];
    tolerance?: number;
    checks?: readonly Check[];
    tally?: AbuseTally;
  } = {},
): Promise<CheckOutcome[]> {
  const context = async (): Promise<ConformanceContext> => ({
    baseUrl,
    ready: await fetchReady(baseUrl),
    embed: opts.embed,
    tolerance: opts.tolerance ?? 1e-4,
    tally: opts.tally,
  });
  return runChecks('readyz', context, opts.checks ?? CHECKS, opts.fast);
}
