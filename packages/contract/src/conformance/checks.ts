import assert from 'node:assert/strict';
import { isErrorCode, type ErrorCode } from '../errors.js';
import { tokenizeFixtures } from '../fixtures.js';
import { HELLO_BODY, ROUTES } from '../routes.js';
import type { ReadyResponse } from '../types.js';
import { ABUSE_CHECKS, type AbuseTally } from './abuse.js';
import { call, postJson, postLarge, type HttpReply } from './http.js';

export interface ConformanceContext {
  baseUrl: string;
  ready: ReadyResponse;
  /** Optional oracle: the expected embeddings for texts, e.g. from an in-process ORT run of the same model. */
  embed?: (texts: string[]) => Promise<number[][]>;
  /** Max abs difference allowed against the oracle. */
  tolerance: number;
  /** Where the bad-input checks count what they sent and saw (reports). */
  tally?: AbuseTally;
}

export interface Check {
  id: string;
  /** Part of the fast subset the runner runs before measuring a stack. */
  fast: boolean;
  run(ctx: ConformanceContext): Promise<void>;
}

const EMBED_SAMPLE = ['hello world', 'The quick brown fox jumps over the lazy dog.', '', 'naïve café [MASK] 東京'];

export function expectError(reply: HttpReply, status: number, code: ErrorCode): void {
  assert.equal(reply.status, status, `expected HTTP ${status} (${code}), got ${reply.status}: ${reply.text.slice(0, 200)}`);
  const body = reply.json() as { error?: { code?: unknown; message?: unknown } };
  assert.ok(body.error && isErrorCode(body.error.code), `error body must be {"error":{"code","message"}}: ${reply.text.slice(0, 200)}`);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(!/\bat .+:\d+:\d+|node_modules|\/src\/|\/dist\//.test(reply.text), 'error body must not leak stack traces or paths');
  assert.match(reply.headers.get('content-type') ?? '', /application\/json/);
}

function ids(reply: HttpReply): number[] {
  assert.equal(reply.status, 200, reply.text.slice(0, 200));
  const body = reply.json() as { input_ids: number[]; attention_mask: number[]; token_type_ids: number[] };
  assert.equal(body.attention_mask.length, body.input_ids.length);
  assert.ok(body.attention_mask.every((m) => m === 1), 'unpadded attention_mask is all 1');
  assert.ok(body.token_type_ids.every((t) => t === 0), 'single-segment token_type_ids are all 0');
  return body.input_ids;
}

function checkVector(v: unknown, dim: number): number[] {
  assert.ok(Array.isArray(v), 'embedding must be an array');
  assert.equal(v.length, dim, `embedding length must be hidden_size ${dim}`);
  assert.ok(v.every((x) => typeof x === 'number' && Number.isFinite(x)), 'embedding values must be finite numbers');
  return v as number[];
}

export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length, 'vector lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function embeddings(ctx: ConformanceContext, texts: string[]): Promise<number[][]> {
  const reply = await postJson(ctx.baseUrl, ROUTES.predict, { texts });
  assert.equal(reply.status, 200, reply.text.slice(0, 200));
  const body = reply.json() as { embeddings: unknown[] };
  assert.ok(Array.isArray(body.embeddings) && body.embeddings.length === texts.length, 'one embedding per text');
  return body.embeddings.map((v) => checkVector(v, ctx.ready.model.hidden_size));
}

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
  {
    id: 'tokenize matches a few golden fixtures',
    fast: true,
    async run({ baseUrl }) {
      const picks = tokenizeFixtures().cases.filter((_, i) => i % 9 === 0);
      for (const c of picks) {
        assert.deepEqual(ids(await postJson(baseUrl, ROUTES.tokenize, { text: c.text })), c.input_ids, `fixture "${c.name}"`);
      }
    },
  },
  {
    id: 'tokenize matches every golden fixture, one by one and batched',
    fast: false,
    async run({ baseUrl, ready }) {
      const cases = tokenizeFixtures().cases;
      const mismatches: string[] = [];
      for (const c of cases) {
        const got = ids(await postJson(baseUrl, ROUTES.tokenize, { text: c.text }));
        if (JSON.stringify(got) !== JSON.stringify(c.input_ids)) mismatches.push(c.name);
      }
      assert.deepEqual(mismatches, [], `fixtures with wrong ids: ${mismatches.join(', ')}`);
      for (let i = 0; i < cases.length; i += ready.limits.max_texts) {
        const chunk = cases.slice(i, i + ready.limits.max_texts);
        const r = await postJson(baseUrl, ROUTES.tokenize, { texts: chunk.map((c) => c.text) });
        assert.equal(r.status, 200, r.text.slice(0, 200));
        const results = (r.json() as { results: { input_ids: number[] }[] }).results;
        assert.deepEqual(results.map((x) => x.input_ids), chunk.map((c) => c.input_ids));
      }
    },
  },
  {
    id: 'predict returns one finite embedding of hidden_size per text',
    fast: true,
    async run(ctx) {
      const single = await postJson(ctx.baseUrl, ROUTES.predict, { text: 'hello world' });
      assert.equal(single.status, 200, single.text.slice(0, 200));
      checkVector((single.json() as { embedding: unknown }).embedding, ctx.ready.model.hidden_size);
      assert.equal((await embeddings(ctx, EMBED_SAMPLE)).length, EMBED_SAMPLE.length);
    },
  },
  {
    id: 'predict matches the reference embeddings',
    fast: true,
    async run(ctx) {
      if (!ctx.embed) return;
      const got = await embeddings(ctx, EMBED_SAMPLE);
      const want = await ctx.embed(EMBED_SAMPLE);
      got.forEach((v, i) => {
        const d = maxAbsDiff(v, want[i]!);
        assert.ok(d <= ctx.tolerance, `text ${i}: max abs diff ${d} > ${ctx.tolerance}`);
      });
    },
  },
  {
    id: 'predict in a batch equals predict alone (padding does not leak)',
    fast: false,
    async run(ctx) {
      const batch = await embeddings(ctx, EMBED_SAMPLE);
      for (let i = 0; i < EMBED_SAMPLE.length; i++) {
        const r = await postJson(ctx.baseUrl, ROUTES.predict, { text: EMBED_SAMPLE[i] });
        const alone = checkVector((r.json() as { embedding: unknown }).embedding, ctx.ready.model.hidden_size);
        assert.ok(maxAbsDiff(alone, batch[i]!) <= 1e-5, `text ${i} differs alone vs batched`);
      }
    },
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
      expectError(await call(baseUrl, p, { body: '{"text":"x"}', contentType: 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectError(await call(baseUrl, p, { body: new Uint8Array([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]) }), 400, 'INVALID_UTF8');
    },
  },
  {
    id: 'oversized input gets 413 or 400 with a code',
    fast: false,
    async run({ baseUrl, ready }) {
      const limit = ready.limits.max_body_bytes;
      for (const chunked of [false, true]) {
        expectError(await postLarge(baseUrl, ROUTES.predict, '{"text":"', limit + 256 * 1024, { chunked }), 413, 'BODY_TOO_LARGE');
      }
      if (ready.limits.max_text_chars + 16 < limit) {
        expectError(await call(baseUrl, ROUTES.tokenize, { body: bodyOf(ready.limits.max_text_chars + 1) }), 400, 'TEXT_TOO_LONG');
      }
    },
  },
  {
    id: 'unknown routes and methods get JSON 404 / 405',
    fast: false,
    async run({ baseUrl }) {
      expectError(await call(baseUrl, '/no_such_route'), 404, 'NOT_FOUND');
      const r = await call(baseUrl, ROUTES.predict);
      assert.ok(r.status === 404 || r.status === 405, `GET /predict gave ${r.status}`);
      expectError(r, r.status, r.status === 404 ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED');
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

/** Contract checks, then the abuse matrix and fuzzing (full suite only). */
export const CHECKS: readonly Check[] = [...CONTRACT_CHECKS, ...ABUSE_CHECKS];

export async function fetchReady(baseUrl: string): Promise<ReadyResponse> {
  const r = await call(baseUrl, ROUTES.readyz);
  assert.equal(r.status, 200, `readyz answered ${r.status}: ${r.text.slice(0, 200)}`);
  return r.json() as ReadyResponse;
}

export interface CheckOutcome {
  id: string;
  ok: boolean;
  error?: string;
}

/** Runs the checks outside any test framework (the runner's verify phase). Never throws. */
export async function runConformance(
  baseUrl: string,
  opts: { fast?: boolean; embed?: ConformanceContext['embed']; tolerance?: number; checks?: readonly Check[]; tally?: AbuseTally } = {},
): Promise<CheckOutcome[]> {
  let ready: ReadyResponse;
  try {
    ready = await fetchReady(baseUrl);
  } catch (e) {
    return [{ id: 'readyz', ok: false, error: (e as Error).message }];
  }
  const ctx: ConformanceContext = { baseUrl, ready, embed: opts.embed, tolerance: opts.tolerance ?? 1e-4, tally: opts.tally };
  const out: CheckOutcome[] = [];
  for (const check of (opts.checks ?? CHECKS).filter((c) => !opts.fast || c.fast)) {
    try {
      await check.run(ctx);
      out.push({ id: check.id, ok: true });
    } catch (e) {
      out.push({ id: check.id, ok: false, error: (e as Error).message.slice(0, 500) });
    }
  }
  return out;
}
