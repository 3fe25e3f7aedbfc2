import assert from 'node:assert/strict';
import { request } from 'node:http';
import fc from 'fast-check';
import { allowHeader, canonicalPath } from '../edge.js';
import { isErrorCode, type ErrorCode } from '../errors.js';
import { ROUTES } from '../routes.js';
import type { Check } from './checks.js';
import { call } from './http.js';
import { LEAK, checkTokenIds, expectedOutcome } from './oracle.js';

/** A raw request and what the contract allows as an answer. Findings of the fuzz suite land here. */
export interface AbuseCase {
  name: string;
  method?: string;
  path?: string;
  contentType?: string | null;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** Allowed statuses; anything 5xx always fails. */
  status: number[];
  /** Allowed error codes when the status is 4xx (any contract code when omitted). */
  codes?: ErrorCode[];
}

/** What a case got: status, content type, body text and the Allow header. */
export interface CaseReply {
  status: number;
  contentType: string;
  text: string;
  allow: string | undefined;
}

const enc = (s: string) => new TextEncoder().encode(s);
const BAD_SHAPE: ErrorCode[] = ['INVALID_REQUEST', 'INVALID_JSON'];

export function abuseCases(limits: { max_body_bytes: number; max_texts: number }): AbuseCase[] {
  const p = ROUTES.predict;
  const huge = JSON.stringify({ text: 'a'.repeat(10 * 1024 * 1024) });
  return [
    { name: 'empty body', body: '', status: [400], codes: ['INVALID_JSON'] },
    { name: 'JSON null', body: 'null', status: [400], codes: ['INVALID_REQUEST'] },
    { name: 'JSON number', body: '42', status: [400], codes: ['INVALID_REQUEST'] },
    { name: 'NaN literal', body: '{"text": NaN}', status: [400], codes: BAD_SHAPE },
    { name: 'trailing garbage', body: '{"text":"a"} x', status: [400], codes: ['INVALID_JSON'] },
    { name: 'UTF-8 BOM before JSON', body: '\ufeff{"text":"a"}', status: [200, 400], codes: ['INVALID_JSON'] },
    { name: 'extra field', body: '{"text":"a","extra":1}', status: [400], codes: ['INVALID_REQUEST'] },
    { name: 'both text and texts', body: '{"text":"a","texts":["b"]}', status: [400], codes: ['INVALID_REQUEST'] },
    { name: 'texts holds objects', body: '{"texts":[{"text":"a"}]}', status: [400], codes: ['INVALID_REQUEST'] },
    { name: 'text is an array', body: '{"text":["a"]}', status: [400], codes: ['INVALID_REQUEST'] },
    {
      name: 'deeply nested JSON',
      body: `{"text":${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
      status: [400],
      codes: BAD_SHAPE,
    },
    {
      name: 'deeply nested objects',
      body: `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`,
      status: [400],
      codes: BAD_SHAPE,
    },
    {
      name: 'overlong UTF-8 encoding',
      body: new Uint8Array([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]),
      status: [400],
      codes: ['INVALID_UTF8'],
    },
    {
      name: 'truncated UTF-8 sequence',
      body: new Uint8Array([...enc('{"text":"'), 0xe6, 0x97, ...enc('"}')]),
      status: [400],
      codes: ['INVALID_UTF8'],
    },
    {
      name: 'NUL and control characters are text',
      body: JSON.stringify({ text: 'a\u0000b\u0007c\u001b[31m\u007f' }),
      status: [200],
    },
    { name: 'escaped lone surrogate is text', body: '{"text":"x\\ud800y"}', status: [200] },
    { name: 'empty string', body: '{"text":""}', status: [200] },
    { name: 'list of empty strings', body: '{"texts":["",""]}', status: [200] },
    // Sent 5 times: a server that answers 413 before reading the body and then closes makes the
    // kernel reset the connection, and the client often never sees the answer (fastify did, 1 in 5).
    ...Array.from({ length: 5 }, (_, i) => ({
      name: `10 MB single string (${i + 1} of 5)`,
      body: huge,
      status: [413],
      codes: ['BODY_TOO_LARGE'] as ErrorCode[],
    })),
    {
      name: 'huge texts array',
      body: JSON.stringify({
        texts: Array.from({ length: Math.min(200_000, Math.floor(limits.max_body_bytes / 5)) }, () => 'a'),
      }),
      status: [400, 413],
      codes: ['TOO_MANY_TEXTS', 'BODY_TOO_LARGE'],
    },
    {
      name: 'missing content type',
      contentType: null,
      body: '{"text":"a"}',
      status: [415],
      codes: ['UNSUPPORTED_MEDIA_TYPE'],
    },
    {
      name: 'form content type',
      contentType: 'application/x-www-form-urlencoded',
      body: 'text=a',
      status: [415],
      codes: ['UNSUPPORTED_MEDIA_TYPE'],
    },
    {
      name: 'multipart content type',
      contentType: 'multipart/form-data; boundary=x',
      body: '--x--',
      status: [415],
      codes: ['UNSUPPORTED_MEDIA_TYPE'],
    },
    { name: 'PUT on predict', method: 'PUT', body: '{"text":"a"}', status: [405], codes: ['METHOD_NOT_ALLOWED'] },
    {
      name: 'DELETE on tokenize',
      method: 'DELETE',
      path: ROUTES.tokenize,
      status: [405],
      codes: ['METHOD_NOT_ALLOWED'],
    },
    { name: 'path traversal', method: 'GET', path: '/../../etc/passwd', status: [404], codes: ['NOT_FOUND'] },
    {
      name: 'long unknown path',
      method: 'GET',
      path: `/${'x'.repeat(6000)}`,
      status: [404, 414],
      codes: ['NOT_FOUND'],
    },
    { name: 'query string is ignored', path: `${p}?debug=1`, body: '{"text":"a"}', status: [200] },
    {
      name: 'oversized header',
      headers: { 'x-pad': 'a'.repeat(64 * 1024) },
      body: '{"text":"a"}',
      status: [400, 413, 431],
    },
  ];
}

/** What the bad-input suite saw, for reports: every request counts, answered or not. */
export interface AbuseTally {
  cases: number;
  /** No HTTP answer at all (reset, timeout): a crash or a hang. */
  noAnswer: number;
  /** 5xx answers: every request here is the client's mistake or valid. */
  serverErrors: number;
  /** Answers that leaked a stack trace or a path. */
  leaks: number;
}

export const newAbuseTally = (): AbuseTally => ({ cases: 0, noAnswer: 0, serverErrors: 0, leaks: 0 });

/** send(), counted into the context's tally when there is one. */
async function send(ctx: { baseUrl: string; tally?: AbuseTally }, c: AbuseCase): Promise<CaseReply> {
  const t = ctx.tally;
  if (t) t.cases++;
  try {
    const r = await sendCase(ctx.baseUrl, c);
    if (t && r.status >= 500) t.serverErrors++;
    if (t && LEAK.test(r.text)) t.leaks++;
    return r;
  } catch (e) {
    if (t) t.noAnswer++;
    throw e;
  }
}

/**
 * Sends one case over node:http (fetch would reject some of these requests before sending them), with
 * its path exactly as written: no URL parsing, so `//x` and `/./x` reach the server as they are.
 */
export function sendCase(baseUrl: string, c: AbuseCase): Promise<CaseReply> {
  const url = new URL(baseUrl);
  const body =
    c.body === undefined ? undefined : typeof c.body === 'string' ? Buffer.from(c.body) : Buffer.from(c.body);
  const headers: Record<string, string> = { ...c.headers };
  if (c.contentType !== null && body !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    // A fresh connection each: reusing an idle keep-alive socket races the server closing it.
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: c.path ?? ROUTES.predict,
        method: c.method ?? 'POST',
        headers,
        timeout: 30_000,
        agent: false,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(parts).toString(),
            allow: res.headers.allow,
          }),
        );
      },
    );
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (e) => (answered ? undefined : reject(e)));
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.end(body);
  });
}

/** The contract code in an error answer's body; undefined when there is no JSON error body. */
export function errorCodeOf(r: CaseReply): string | undefined {
  try {
    const code = (JSON.parse(r.text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

export function judge(c: AbuseCase, r: CaseReply): void {
  assert.ok(r.status < 500, `${c.name}: got ${r.status} ${r.text.slice(0, 200)}`);
  assert.ok(
    c.status.includes(r.status),
    `${c.name}: expected ${c.status.join(' or ')}, got ${r.status} ${r.text.slice(0, 200)}`,
  );
  assert.ok(!LEAK.test(r.text), `${c.name}: the answer leaks internals: ${r.text.slice(0, 200)}`);
  // 405 and OPTIONS' 204 name the route's methods (packages/contract/src/edge.ts).
  if (r.status === 405 || r.status === 204) {
    const allow = allowHeader(canonicalPath(c.path ?? ROUTES.predict));
    assert.equal(r.allow, allow, `${c.name}: Allow is ${String(r.allow)}, the contract says ${String(allow)}`);
  }
  // HEAD answers and 204 carry no body.
  if ((c.method ?? 'POST') === 'HEAD' || r.status === 204) {
    assert.equal(r.text, '', `${c.name}: a ${c.method ?? 'POST'} answer with status ${r.status} has a body`);
    return;
  }
  // 431/414 may come from the HTTP parser itself, before any route code runs.
  if (r.status >= 400 && r.status !== 431 && r.status !== 414) {
    const body = JSON.parse(r.text) as { error?: { code?: unknown } };
    assert.ok(isErrorCode(body.error?.code), `${c.name}: error body without a contract code: ${r.text.slice(0, 200)}`);
    if (c.codes)
      assert.ok(
        c.codes.includes(body.error!.code as ErrorCode),
        `${c.name}: code ${String(body.error!.code)} not in ${c.codes.join(', ')}`,
      );
  }
}

async function alive(baseUrl: string, after: string): Promise<void> {
  const r = await call(baseUrl, ROUTES.healthz, { timeoutMs: 5000 });
  assert.equal(r.status, 200, `healthz after ${after}`);
}

/** Seeded so a CI failure reproduces; the seed is in the failure message. */
const FUZZ = { seed: 20261121, numRuns: 120, endOnFailure: true } as const;

export const ABUSE_CHECKS: readonly Check[] = [
  {
    id: 'bad-input matrix: every case gets its 4xx (never 5xx, never a crash, never internals)',
    fast: false,
    async run(ctx) {
      const { baseUrl, ready } = ctx;
      const failures: string[] = [];
      for (const c of abuseCases(ready.limits)) {
        try {
          judge(c, await send(ctx, c));
        } catch (e) {
          const m = (e as Error).message;
          failures.push(m.startsWith(`${c.name}:`) ? m : `${c.name}: no answer: ${m}`);
        }
        await alive(baseUrl, c.name);
      }
      assert.deepEqual(failures, [], failures.join('\n'));
    },
  },
  {
    id: 'fuzz: arbitrary JSON bodies get 200 exactly when the schema accepts them, else a coded 400',
    fast: false,
    async run(ctx) {
      const { baseUrl, ready } = ctx;
      const body = fc.oneof(
        fc.jsonValue(),
        fc.record({ text: fc.jsonValue() }),
        fc.record({ texts: fc.array(fc.jsonValue(), { maxLength: ready.limits.max_texts + 2 }) }),
      );
      await fc.assert(
        fc.asyncProperty(body, fc.constantFrom(ROUTES.tokenize, ROUTES.predict), async (value, path) => {
          const text = JSON.stringify(value) ?? 'null';
          const valid = expectedOutcome(JSON.parse(text), ready.limits).ok;
          const r = await send(ctx, { name: 'json', path, body: text, status: [] });
          judge({ name: `fuzz ${path} ${text.slice(0, 120)}`, status: [valid ? 200 : 400] }, r);
        }),
        FUZZ,
      );
      await alive(baseUrl, 'JSON fuzzing');
    },
  },
  {
    id: 'fuzz: arbitrary bytes get 200 or a coded 400',
    fast: false,
    async run(ctx) {
      const { baseUrl } = ctx;
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
          judge(
            { name: `bytes ${Buffer.from(bytes).toString('hex').slice(0, 120)}`, status: [200, 400] },
            await send(ctx, { name: 'bytes', path: ROUTES.tokenize, body: bytes, status: [] }),
          );
        }),
        FUZZ,
      );
      await alive(baseUrl, 'byte fuzzing');
    },
  },
  {
    id: 'fuzz: any Unicode text tokenizes to [CLS] ... [SEP]',
    fast: false,
    async run(ctx) {
      const { ready } = ctx;
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), async (text) => {
          const r = await send(ctx, {
            name: 'text',
            path: ROUTES.tokenize,
            body: JSON.stringify({ text }),
            status: [],
          });
          assert.equal(r.status, 200, `text ${JSON.stringify(text)}: ${r.text.slice(0, 200)}`);
          await checkTokenIds(text, (JSON.parse(r.text) as { input_ids: number[] }).input_ids, ready.model.max_length);
        }),
        FUZZ,
      );
    },
  },
];
