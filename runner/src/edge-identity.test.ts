import { abuseCases, edgeCases, errorCodeOf, sendCase, type AbuseCase } from '@servebench/contract';
import { describe, expect, it } from 'vitest';
import { discoverServers, repoRoot, stacksOf } from './discover.js';
import { rawExchange, statusOf } from './reliability/clients.js';
import type { Launched } from './launch/process.js';
import { launchStacksForFile } from './testing/launch-stacks.js';

// Cross-stack error identity: every HTTP server (on ort, or its first backend when it has no ort),
// started as the runner starts it, gives every bad-input and routing-edge request the same status,
// contract error code and Allow header. A difference fails with a request x stack table.
const stacks = stacksOf(discoverServers(repoRoot())).filter(
  (s) =>
    s.server.protocol === 'http' && s.backend === (s.server.backends.includes('ort') ? 'ort' : s.server.backends[0]),
);
const servers = launchStacksForFile(stacks, 'servebench-edge-identity-');

/** `405 METHOD_NOT_ALLOWED Allow: OPTIONS, POST`, or what went wrong. */
async function answer(baseUrl: string, c: AbuseCase): Promise<string> {
  try {
    const r = await sendCase(baseUrl, c);
    // 414 and 431 may come from the HTTP parser before any route code runs: the status alone is the contract.
    const code = r.status === 414 || r.status === 431 ? '' : (errorCodeOf(r) ?? '-');
    return [String(r.status), code, r.allow === undefined ? '' : `Allow: ${r.allow}`].join(' ').trim();
  } catch (e) {
    return `no answer (${(e as Error).message})`;
  }
}

function table(rows: Map<string, Map<string, string>>, ids: string[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(['request', ...ids]),
    line(['---', ...ids.map(() => '---')]),
    ...[...rows].map(([name, byStack]) => line([name, ...ids.map((id) => byStack.get(id) ?? '')])),
  ].join('\n');
}

/** Malformed chunked bodies (RFC 9112 section 7.1) for POST /predict: every stack answers 400 and closes. */
const BAD_CHUNKED: Record<string, string> = {
  'bare LF after the chunk size': 'c\n{"text":"a"}\r\n0\r\n\r\n',
  'a space inside the chunk size': '0 c\r\n{"text":"a"}\r\n0\r\n\r\n',
  'a chunk size that is not hex': 'zz\r\n{"text":"a"}\r\n0\r\n\r\n',
  'no CRLF after the chunk data': 'c\r\n{"text":"a"}0\r\n\r\n',
  'Content-Length in the trailers': 'c\r\n{"text":"a"}\r\n0\r\ncontent-length: 12\r\n\r\n',
};

const CHUNKED_HEAD =
  'POST /predict HTTP/1.1\r\nhost: probe\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n';

/** Malformed request lines and headers: every stack answers 400 and closes. */
const BAD_HEAD: Record<string, string> = {
  'a request line that is not HTTP': 'GARBAGE\r\n\r\n',
  'a header line without a colon': 'GET /hello_world HTTP/1.1\r\nhost: probe\r\nno colon here\r\n\r\n',
  'a space before the header colon': 'GET /hello_world HTTP/1.1\r\nhost : probe\r\n\r\n',
};

/** `400 INVALID_REQUEST, closed`, or what came back instead. */
async function rawAnswer(server: Launched, request: string): Promise<string> {
  const x = await rawExchange(server, request, 10_000);
  const payload = x.text.slice(x.text.indexOf('\r\n\r\n') + 4);
  let code = '-';
  try {
    code = (JSON.parse(payload) as { error?: { code?: string } }).error?.code ?? '-';
  } catch {
    // no JSON error body
  }
  return `${statusOf(x.text) ?? 'no answer'} ${code}${x.closed ? ', closed' : ', left open'}`;
}

describe('cross-stack error identity', () => {
  it('covers every HTTP server (express, fastify, hono, tfjs at least)', () => {
    expect(stacks.map((s) => s.server.id)).toEqual(expect.arrayContaining(['express', 'fastify', 'hono', 'tfjs']));
  });

  it('answers every bad-input and routing-edge request identically on every stack', async () => {
    const limits = { max_body_bytes: 1024 * 1024, max_texts: 64 };
    const cases = [...abuseCases(limits), ...edgeCases()];
    const ids = [...servers.keys()];
    const all = new Map<string, Map<string, string>>();
    for (const c of cases) {
      const byStack = new Map<string, string>();
      for (const [id, s] of servers) byStack.set(id, await answer(s.baseUrl, c));
      const request = `${c.method ?? 'POST'} ${c.path ?? '/predict'}`;
      all.set(c.name === request ? request : `${request}: ${c.name}`, byStack);
    }
    const differing = new Map([...all].filter(([, byStack]) => new Set(byStack.values()).size > 1));
    expect(differing.size, `requests answered differently across stacks:\n${table(differing, ids)}`).toBe(0);
    // The edge table, one answer per row (printed for the record).
    const edge = new Set(edgeCases().map((c) => c.name));
    console.log(table(new Map([...all].filter(([k]) => edge.has(k))), ids));
  }, 300_000);

  it('answers every malformed chunked body with 400 INVALID_REQUEST and closes the connection', async () => {
    const ids = [...servers.keys()];
    const all = new Map<string, Map<string, string>>();
    for (const [name, body] of Object.entries(BAD_CHUNKED)) {
      const byStack = new Map<string, string>();
      for (const [id, s] of servers) byStack.set(id, await rawAnswer(s, CHUNKED_HEAD + body));
      all.set(name, byStack);
    }
    const wrong = new Map(
      [...all].filter(([, byStack]) => [...byStack.values()].some((a) => a !== '400 INVALID_REQUEST, closed')),
    );
    expect(wrong.size, `malformed chunked bodies not answered 400 INVALID_REQUEST, closed:\n${table(all, ids)}`).toBe(
      0,
    );
  }, 300_000);

  it('answers a malformed request line or header with 400 INVALID_REQUEST and closes the connection', async () => {
    const ids = [...servers.keys()];
    const all = new Map<string, Map<string, string>>();
    for (const [name, request] of Object.entries(BAD_HEAD)) {
      const byStack = new Map<string, string>();
      for (const [id, s] of servers) byStack.set(id, await rawAnswer(s, request));
      all.set(name, byStack);
    }
    const wrong = [...all.values()].filter((byStack) =>
      [...byStack.values()].some((a) => a !== '400 INVALID_REQUEST, closed'),
    );
    expect(wrong.length, `malformed requests not answered 400 INVALID_REQUEST, closed:\n${table(all, ids)}`).toBe(0);
  }, 300_000);
});
