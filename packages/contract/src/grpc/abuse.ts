import { gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import fc from 'fast-check';
import { ERRORS, isErrorCode, type ErrorCode } from '../errors.js';
import { tokenizeFixtures } from '../fixtures.js';
import { LEAK, checkTokenIds, expectedOutcome, outcomeOf, type Outcome } from '../conformance/oracle.js';
import type { ReadyResponse } from '../types.js';
import { ServingClient } from './client.js';
import { fetchGrpcReady } from './checks.js';
import {
  METADATA_KEYS,
  METHODS,
  SERVICE_NAME,
  loadServingDefinition,
  methodPath,
  type EncodingMessage,
  type Method,
} from './proto.js';
import { RawGrpcConnection, frame, grpcHeaders, type RawAnswer } from './raw.js';
import { decodeTextField, encodeTextField, forEachField } from './wire.js';

// The gRPC bad-input matrix and seeded fuzzing: the gRPC twin of conformance/abuse.ts. Every call
// goes over a raw HTTP/2 stream (raw.ts), so framing, headers and bytes are exactly what a case says.
// runGrpcAbuse() returns counts per part for reports; vitest.ts registers the parts as tests.

export interface GrpcAbuseContext {
  target: string;
  ready: ReadyResponse;
  /** Optional oracle: the reference tokenizer's input_ids for a text (else golden fixtures + shape). */
  tokenize?: (text: string) => Promise<number[]> | number[];
}

/** What the suite allows as an answer. */
export type Expect =
  /** An HTTP answer without a gRPC status (grpc-js refuses a non-gRPC content-type with 415). */
  | { http: number }
  /** A gRPC status, and the contract code in the trailers (null: none, e.g. UNIMPLEMENTED from grpc-js). */
  | { status: keyof typeof status; code: ErrorCode | null }
  /** The server's verdict on a text request (checked against the oracle, replies verified). */
  | { outcome: Outcome; method: Method };

export interface GrpcAbuseCase {
  name: string;
  path: string;
  /** The whole DATA payload, already framed. */
  body: Uint8Array;
  headers?: Record<string, string | null>;
  expect: Expect;
}

/** Counts for one part of the suite; `failures` holds the first few messages. */
export interface GrpcAbuseTally {
  id: string;
  cases: number;
  /** Calls that got no gRPC status (reset, dropped connection, timeout) plus failed liveness checks. */
  crashes: number;
  /** INTERNAL, UNKNOWN or DATA_LOSS answers (every input here is the client's mistake or valid). */
  serverErrors: number;
  /** Answers that leaked a stack trace or a path. */
  leaks: number;
  failures: string[];
  ms: number;
}

const SERVER_ERRORS = new Set<number>([status.INTERNAL, status.UNKNOWN, status.DATA_LOSS]);
const MAX_FAILURES = 20;
const TEXT_METHODS: readonly Method[] = ['Tokenize', 'TokenizeBatch', 'Predict', 'PredictBatch'];
const single = (m: Method) => m === 'Tokenize' || m === 'Predict';
const enc = (s: string) => Buffer.from(s, 'utf8');
const hex = (b: Uint8Array, n = 48) =>
  Buffer.from(b.subarray(0, n)).toString('hex') + (b.length > n ? `…(${b.length} bytes)` : '');

/** What the contract says about a message to one of the Serving methods, from the contract's own decoders. */
export function expectFor(method: Method | string, message: Uint8Array, ready: ReadyResponse): Expect {
  if (!(METHODS as readonly string[]).includes(method)) return { status: 'UNIMPLEMENTED', code: null };
  if (message.length > ready.limits.max_body_bytes) return { status: 'RESOURCE_EXHAUSTED', code: 'BODY_TOO_LARGE' };
  const m = method as Method;
  if (!TEXT_METHODS.includes(m)) {
    const o = outcomeOf(() => (forEachField(message, () => undefined), []));
    return o.ok ? { status: 'OK', code: null } : { status: 'INVALID_ARGUMENT', code: o.code };
  }
  const decoded = outcomeOf(() => decodeTextField(message));
  if (!decoded.ok) return { outcome: decoded, method: m };
  // proto3: an absent text is "", and the last occurrence of a singular field wins.
  return {
    outcome: expectedOutcome(single(m) ? { text: decoded.texts.at(-1) ?? '' } : { texts: decoded.texts }, ready.limits),
    method: m,
  };
}

/** The bad-input matrix. Expectations name what grpc-js itself answers where no server code runs. */
export function grpcAbuseCases(ready: ReadyResponse): GrpcAbuseCase[] {
  const { max_texts: maxTexts, max_text_chars: maxChars } = ready.limits;
  const out: GrpcAbuseCase[] = [];
  const msg = (name: string, m: Method | string, message: Uint8Array, extra: Partial<GrpcAbuseCase> = {}) =>
    out.push({
      name: `${m}: ${name}`,
      path: m.startsWith('/') ? m : methodPath(m as Method),
      body: frame(message),
      expect: expectFor(m, message, ready),
      ...extra,
    });
  const invalid = { status: 'INVALID_ARGUMENT', code: 'INVALID_REQUEST' } as const;
  const unknown = [`/${SERVICE_NAME}/NoSuchMethod`, '/no.such.Service/Call'];

  for (const m of [...METHODS, ...unknown]) {
    const known = !m.startsWith('/');
    const path = known ? methodPath(m as Method) : m;
    const valid = encodeTextField(['hello']);
    // Message-level: the bytes of one well-framed message.
    msg(
      'raw garbage bytes',
      m,
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x13, 0x37]),
    );
    msg('truncated protobuf (length 5, 1 byte follows)', m, Buffer.from([0x0a, 0x05, 0x61]));
    msg('truncated varint key', m, Buffer.from([0x80]));
    msg('field 1 as a varint', m, Buffer.from([0x08, 0x01]));
    msg('field 1 as fixed32', m, Buffer.from([0x0d, 0x61, 0x62, 0x63, 0x64]));
    msg('field 1 as fixed64', m, Buffer.from([0x09, 1, 2, 3, 4, 5, 6, 7, 8]));
    msg('field 1 as a group start', m, Buffer.from([0x0b, 0x0c]));
    msg('wire type 7', m, Buffer.from([0x0f]));
    msg('field number 0', m, Buffer.from([0x02, 0x00]));
    msg(
      'unknown fields of every valid wire type around a text',
      m,
      Buffer.concat([
        Buffer.from([0x10, 0x96, 0x01, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 0x1d, 1, 2, 3, 4, 0x22, 0x01, 0xff]),
        valid,
      ]),
    );
    msg('invalid UTF-8 (0xff) in the text', m, encodeTextField([new Uint8Array([0x61, 0xff, 0x62])]));
    msg('overlong UTF-8 (C0 AF) in the text', m, encodeTextField([new Uint8Array([0xc0, 0xaf])]));
    msg(
      'UTF-8 encoded lone surrogate (ED A0 80), as protobufjs writes one',
      m,
      encodeTextField([new Uint8Array([0x61, 0xed, 0xa0, 0x80])]),
    );
    msg('truncated UTF-8 sequence at the end', m, encodeTextField(['ok', new Uint8Array([0xe6, 0x97])]));
    msg('NUL and control characters are text', m, encodeTextField(['a\u0000b\u0007c\u001b[31m\u007f\u0085\u200b']));
    msg('empty message (no text: "", or no texts)', m, Buffer.alloc(0));
    msg('empty texts', m, encodeTextField(['', '']));
    msg('text at max_text_chars', m, encodeTextField(['a'.repeat(maxChars)]));
    msg('text over max_text_chars', m, encodeTextField(['a'.repeat(maxChars + 1)]));
    msg('one text over max_text_chars among short ones', m, encodeTextField(['a', 'b'.repeat(maxChars + 1)]));
    msg('max_texts texts', m, encodeTextField(Array.from({ length: maxTexts }, (_, i) => `t${i}`)));
    msg('more texts than max_texts', m, encodeTextField(Array.from({ length: maxTexts + 1 }, (_, i) => `t${i}`)));
    msg('a 10 MB single text (over max_body_bytes)', m, encodeTextField(['a'.repeat(10 * 1024 * 1024)]));
    // Wire-level: framing and headers.
    const body = frame(valid);
    const wire = (name: string, c: Omit<GrpcAbuseCase, 'name' | 'path'>) =>
      out.push({ name: `${m}: ${name}`, path, ...c });
    const asIs = expectFor(m, valid, ready);
    wire('compressed flag set without grpc-encoding (grpc-js reads it as identity)', {
      body: frame(valid, { compressed: true }),
      expect: asIs,
    });
    wire('gzip-compressed message', {
      body: frame(gzipSync(valid), { compressed: true }),
      headers: { 'grpc-encoding': 'gzip' },
      expect: asIs,
    });
    wire('grpc-encoding gzip, payload not gzip', {
      body: frame(valid, { compressed: true }),
      headers: { 'grpc-encoding': 'gzip' },
      expect: known ? invalid : asIs,
    });
    wire('unsupported grpc-encoding (grpc-js: UNIMPLEMENTED)', {
      body: frame(valid, { compressed: true }),
      headers: { 'grpc-encoding': 'snappy' },
      expect: known ? { status: 'UNIMPLEMENTED', code: null } : asIs,
    });
    wire('length prefix longer than the data', {
      body: frame(valid, { length: valid.length + 100 }),
      expect: known ? invalid : asIs,
    });
    wire('a partial 5-byte prefix', { body: body.subarray(0, 3), expect: known ? invalid : asIs });
    wire('no message at all', { body: new Uint8Array(0), expect: known ? invalid : asIs });
    wire('two messages on a unary call', { body: Buffer.concat([body, body]), expect: known ? invalid : asIs });
    wire('a prefix announcing 10 MB, then end of stream', {
      body: frame(valid, { length: 10 * 1024 * 1024 }),
      expect: known ? { status: 'RESOURCE_EXHAUSTED', code: 'BODY_TOO_LARGE' } : asIs,
    });
    wire('content-type text/plain (grpc-js: HTTP 415)', {
      body,
      headers: { 'content-type': 'text/plain' },
      expect: { http: 415 },
    });
    wire('content-type application/json (grpc-js: HTTP 415)', {
      body,
      headers: { 'content-type': 'application/json' },
      expect: { http: 415 },
    });
    wire('no content-type (grpc-js: HTTP 415)', { body, headers: { 'content-type': null }, expect: { http: 415 } });
    wire('no te: trailers (grpc-js does not require it)', { body, headers: { te: null }, expect: asIs });
    wire('unparsable grpc-timeout', { body, headers: { 'grpc-timeout': 'soon' }, expect: known ? invalid : asIs });
    wire('application/grpc+proto content-type', {
      body,
      headers: { 'content-type': 'application/grpc+proto' },
      expect: asIs,
    });
  }
  return out;
}

function newTally(id: string): GrpcAbuseTally {
  return { id, cases: 0, crashes: 0, serverErrors: 0, leaks: 0, failures: [], ms: 0 };
}

function fail(t: GrpcAbuseTally, message: string): void {
  if (t.failures.length < MAX_FAILURES) t.failures.push(message.slice(0, 400));
}

const statusName = (code: number | undefined) =>
  code === undefined ? 'no grpc-status' : (status[code] ?? String(code));

/** Decodes an OK reply payload (after the 5-byte prefix) as the method's reply message. */
interface Decoders {
  reply(method: Method, payload: Buffer): unknown;
}

/** Judges one answer; counts it; records a failure message when it is not what `expect` allows. */
async function judge(
  t: GrpcAbuseTally,
  ctx: GrpcAbuseContext,
  dec: Decoders,
  name: string,
  expect: Expect,
  r: RawAnswer & { payload: Buffer },
): Promise<void> {
  t.cases++;
  const where = `${name}: got ${r.httpStatus}/${statusName(r.grpcStatus)} ${JSON.stringify(r.message).slice(0, 160)}`;
  if (r.grpcStatus === undefined && !('http' in expect && r.httpStatus === expect.http)) {
    t.crashes++;
    return fail(t, `${where} ${r.transportError ?? ''}`);
  }
  if (r.grpcStatus !== undefined && SERVER_ERRORS.has(r.grpcStatus)) t.serverErrors++;
  if (LEAK.test(r.message)) {
    t.leaks++;
    fail(t, `${where}: the status message leaks internals`);
  }
  const code = r.headers[METADATA_KEYS.errorCode];
  if (code !== undefined && !isErrorCode(code))
    fail(t, `${where}: ${METADATA_KEYS.errorCode} "${code}" is not a contract code`);
  try {
    if ('http' in expect) {
      if (r.httpStatus !== expect.http || r.grpcStatus !== undefined)
        fail(t, `${where}: expected HTTP ${expect.http} without a gRPC status`);
      return;
    }
    if ('status' in expect) {
      if (r.grpcStatus !== status[expect.status])
        return fail(t, `${where}: expected ${expect.status}${expect.code ? ` (${expect.code})` : ''}`);
      if ((code ?? null) !== expect.code)
        fail(t, `${where}: expected ${METADATA_KEYS.errorCode} ${expect.code ?? 'absent'}, got ${code ?? 'none'}`);
      return;
    }
    const { outcome, method } = expect;
    if (!outcome.ok) {
      const want = ERRORS[outcome.code].grpc;
      if (statusName(r.grpcStatus) !== want || code !== outcome.code)
        fail(t, `${where} ${code ?? ''}: expected ${want} (${outcome.code})`);
      return;
    }
    if (r.grpcStatus !== status.OK) return fail(t, `${where} ${code ?? ''}: expected OK`);
    await verifyReply(ctx, method, outcome.texts, dec.reply(method, r.payload));
  } catch (e) {
    fail(t, `${name}: ${(e as Error).message}`);
  }
}

async function verifyReply(ctx: GrpcAbuseContext, method: Method, texts: string[], reply: unknown): Promise<void> {
  const { hidden_size: dim, max_length: maxLength } = ctx.ready.model;
  const encoding = async (text: string, e: EncodingMessage) => {
    if (
      e.attention_mask.length !== e.input_ids.length ||
      !e.attention_mask.every((x) => x === 1) ||
      !e.token_type_ids.every((x) => x === 0)
    ) {
      throw new Error('attention_mask must be all 1 and token_type_ids all 0, one per id');
    }
    await checkTokenIds(text, e.input_ids, maxLength, ctx.tokenize);
  };
  const vector = (v: number[]) => {
    if (v.length !== dim || !v.every(Number.isFinite))
      throw new Error(`embedding must be ${dim} finite values, got ${v.length}`);
  };
  if (method === 'Tokenize') return encoding(texts[0]!, reply as EncodingMessage);
  if (method === 'Predict') return vector((reply as { embedding: number[] }).embedding);
  const items: unknown[] =
    method === 'TokenizeBatch'
      ? (reply as { results: unknown[] }).results
      : (reply as { embeddings: unknown[] }).embeddings;
  if (items.length !== texts.length) throw new Error(`${texts.length} texts, ${items.length} results`);
  for (let i = 0; i < texts.length; i++) {
    if (method === 'TokenizeBatch') await encoding(texts[i]!, items[i] as EncodingMessage);
    else vector((items[i] as { values: number[] }).values);
  }
}

/** Sends one case over `conn` and keeps the first message of an OK answer. */
async function send(
  conn: RawGrpcConnection,
  c: Pick<GrpcAbuseCase, 'path' | 'body' | 'headers'>,
): Promise<RawAnswer & { payload: Buffer }> {
  const r = await conn.call(grpcHeaders(c.path, c.headers), c.body, 30_000);
  const data = r.data;
  return { ...r, payload: data.length >= 5 ? data.subarray(5, 5 + data.readUInt32BE(1)) : Buffer.alloc(0) };
}

// --- fuzzing ---------------------------------------------------------------------------------

/** Seeded so a CI failure reproduces; a failure names the case's index in the sample. */
export const GRPC_FUZZ = { seed: 20261121, numRuns: 150 } as const;

/** A string's code points as UTF-8, lone surrogates included (3 bytes each, as protobufjs writes them). */
function wtf8(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (cp >= 0xd800 && cp < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
      cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return Uint8Array.from(out);
}

/** Texts of every kind: any Unicode (lone surrogates too), fixtures, empty, around the length limit. */
function textArb(maxChars: number): fc.Arbitrary<Uint8Array> {
  const fixtures = tokenizeFixtures().cases.map((c) => c.text);
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map(enc) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map(wtf8) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 120 }).map(enc) },
    { weight: 2, arbitrary: fc.constantFrom(...fixtures).map(enc) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 24 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('a', 'é', '東', '😀 '), fc.integer({ min: -2, max: 1 }))
        .map(([ch, d]) => enc(ch.repeat(Math.max(0, Math.ceil((maxChars + d) / ch.length))))),
    },
  );
}

/** Random protobuf fields: any number (1 and small ones often), any wire type, fitting or not. */
function fieldSoupArb(): fc.Arbitrary<Uint8Array> {
  const varint = (n: bigint) => {
    const b: number[] = [];
    while (n >= 0x80n) {
      b.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    b.push(Number(n));
    return b;
  };
  const field = fc.record({
    number: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 2 ** 29 - 1 })),
    wireType: fc.integer({ min: 0, max: 7 }),
    value: fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.uint8Array({ maxLength: 16 }),
      fc.string({ maxLength: 16 }).map(enc),
    ),
    cut: fc.integer({ min: 0, max: 20 }),
  });
  return fc.array(field, { maxLength: 8 }).map((fields) => {
    const out: number[] = [];
    fields.forEach((f, i) => {
      out.push(...varint((BigInt(f.number) << 3n) | BigInt(f.wireType)));
      const bytes = typeof f.value === 'bigint' ? Uint8Array.from(varint(f.value)) : f.value;
      if (f.wireType === 0) out.push(...(typeof f.value === 'bigint' ? bytes : varint(BigInt(bytes.length))));
      else if (f.wireType === 1 || f.wireType === 5)
        out.push(...Array.from({ length: f.wireType === 1 ? 8 : 4 }, (_, k) => bytes[k] ?? k));
      else if (f.wireType === 2) out.push(...varint(BigInt(bytes.length)), ...bytes);
      // The last field is sometimes cut short.
      if (i === fields.length - 1 && f.cut === 0) out.pop();
    });
    return Uint8Array.from(out);
  });
}

const methodArb = fc.constantFrom<Method | string>(...METHODS, `/${SERVICE_NAME}/NoSuchMethod`);

// --- the parts -------------------------------------------------------------------------------

interface PartContext extends GrpcAbuseContext {
  conn: RawGrpcConnection;
  dec: Decoders;
}

export interface GrpcAbusePart {
  id: string;
  run(ctx: PartContext, t: GrpcAbuseTally): Promise<void>;
}

const pathOf = (m: Method | string) => (m.startsWith('/') ? m : methodPath(m as Method));

async function sample<T>(
  arb: fc.Arbitrary<T>,
  numRuns: number,
  t: GrpcAbuseTally,
  each: (v: T, i: number) => Promise<void>,
): Promise<void> {
  const values = fc.sample(arb, { seed: GRPC_FUZZ.seed, numRuns });
  for (let i = 0; i < values.length; i++) {
    try {
      await each(values[i]!, i);
    } catch (e) {
      fail(t, `sample ${i} (seed ${GRPC_FUZZ.seed}): ${(e as Error).message}`);
    }
  }
}

export const GRPC_ABUSE_PARTS: readonly GrpcAbusePart[] = [
  {
    id: 'bad-input matrix: every method gets its status and contract code (never INTERNAL/UNKNOWN, never a crash, never internals)',
    async run(ctx, t) {
      for (const c of grpcAbuseCases(ctx.ready))
        await judge(t, ctx, ctx.dec, c.name, c.expect, await send(ctx.conn, c));
    },
  },
  {
    id: 'fuzz (schema): random TokenizeBatch/PredictBatch/Tokenize/Predict texts get OK with verified replies, or the predicted contract error',
    async run(ctx, t) {
      const { max_texts: maxTexts, max_text_chars: maxChars } = ctx.ready.limits;
      const arb = fc.record({
        method: fc.constantFrom<Method>(...TEXT_METHODS),
        texts: fc.oneof(
          { weight: 6, arbitrary: fc.array(textArb(maxChars), { minLength: 0, maxLength: 6 }) },
          {
            weight: 1,
            arbitrary: fc.array(fc.string({ maxLength: 3 }).map(enc), {
              minLength: maxTexts - 1,
              maxLength: maxTexts + 2,
            }),
          },
        ),
      });
      await sample(arb, GRPC_FUZZ.numRuns, t, async ({ method, texts }, i) => {
        const message = encodeTextField(texts);
        await judge(
          t,
          ctx,
          ctx.dec,
          `schema ${i} ${method} ${hex(message)}`,
          expectFor(method, message, ctx.ready),
          await send(ctx.conn, { path: methodPath(method), body: frame(message) }),
        );
      });
    },
  },
  {
    id: 'fuzz (bytes): arbitrary bytes as the message of every method get the decoder-predicted status',
    async run(ctx, t) {
      await sample(
        fc.tuple(methodArb, fc.uint8Array({ maxLength: 256 })),
        GRPC_FUZZ.numRuns,
        t,
        async ([m, bytes], i) => {
          await judge(
            t,
            ctx,
            ctx.dec,
            `bytes ${i} ${m} ${hex(bytes)}`,
            expectFor(m, bytes, ctx.ready),
            await send(ctx.conn, { path: pathOf(m), body: frame(bytes) }),
          );
        },
      );
    },
  },
  {
    id: 'fuzz (field soup): random field numbers and wire types get the decoder-predicted status',
    async run(ctx, t) {
      await sample(fc.tuple(methodArb, fieldSoupArb()), GRPC_FUZZ.numRuns, t, async ([m, bytes], i) => {
        await judge(
          t,
          ctx,
          ctx.dec,
          `soup ${i} ${m} ${hex(bytes)}`,
          expectFor(m, bytes, ctx.ready),
          await send(ctx.conn, { path: pathOf(m), body: frame(bytes) }),
        );
      });
    },
  },
  {
    id: 'after the abuse: grpc.health.v1 says SERVING and a normal Predict succeeds',
    async run(ctx, t) {
      const client = new ServingClient(ctx.target);
      try {
        t.cases += 2;
        const health = await client.health('').catch((e: Error) => e.message);
        if (health !== 'SERVING') {
          t.crashes++;
          fail(t, `health after fuzzing: ${health}`);
        }
        const r = await client.call<{ embedding: number[] }>(
          'Predict',
          { text: 'still alive after the fuzzing' },
          { timeoutMs: 10_000 },
        );
        if (r.code !== status.OK || r.value?.embedding.length !== ctx.ready.model.hidden_size) {
          t.crashes++;
          fail(t, `Predict after fuzzing: ${statusName(r.code)} ${r.details}`);
        }
      } finally {
        client.close();
      }
    },
  },
];

let codecs: Record<string, { responseDeserialize(b: Buffer): unknown }> | undefined;
const replyCodecs = () => (codecs ??= loadServingDefinition()[SERVICE_NAME] as unknown as NonNullable<typeof codecs>);

/** Runs one part; never throws (a thrown error is a failure in the tally). */
export async function runGrpcAbusePart(part: GrpcAbusePart, ctx: GrpcAbuseContext): Promise<GrpcAbuseTally> {
  const t = newTally(part.id);
  const t0 = performance.now();
  const conn = new RawGrpcConnection(ctx.target);
  const dec: Decoders = { reply: (m, payload) => replyCodecs()[m]!.responseDeserialize(payload) };
  try {
    await part.run({ ...ctx, conn, dec }, t);
  } catch (e) {
    fail(t, `${part.id}: ${(e as Error).message}`);
  } finally {
    conn.close();
    t.ms = Math.round(performance.now() - t0);
  }
  return t;
}

/** The whole gRPC abuse suite outside any test framework: one tally per part, for reports. Never throws. */
export async function runGrpcAbuse(
  target: string,
  opts: { ready?: ReadyResponse; tokenize?: GrpcAbuseContext['tokenize'] } = {},
): Promise<GrpcAbuseTally[]> {
  let ready = opts.ready;
  if (!ready) {
    const client = new ServingClient(target);
    try {
      ready = await fetchGrpcReady(client);
    } catch (e) {
      return [{ ...newTally('Ready'), crashes: 1, failures: [(e as Error).message] }];
    } finally {
      client.close();
    }
  }
  const out: GrpcAbuseTally[] = [];
  for (const part of GRPC_ABUSE_PARTS)
    out.push(await runGrpcAbusePart(part, { target, ready, tokenize: opts.tokenize }));
  return out;
}

/**
 * The contract's reference tokenizer (Hugging Face `tokenizers`, scripts/reference.ts) as a fuzz
 * oracle, or undefined when its native binding is missing (the suite then checks golden fixtures
 * and the [CLS] ... [SEP] shape). Loaded at run time: scripts/ is outside the compiled package.
 */
export async function referenceTokenizer(): Promise<GrpcAbuseContext['tokenize']> {
  try {
    const ref = (await import(/* @vite-ignore */ new URL('../../scripts/reference.ts', import.meta.url).href)) as {
      createReferenceTokenizer(): { encode(text: string): Promise<number[]> };
    };
    const tok = ref.createReferenceTokenizer();
    return (text) => tok.encode(text);
  } catch {
    return undefined;
  }
}
