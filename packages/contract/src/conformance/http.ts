import { request } from 'node:http';

/** A tiny fetch wrapper for conformance checks: every call is bounded by a timeout. */
export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

export async function call(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: string | Uint8Array; contentType?: string | null; timeoutMs?: number } = {},
): Promise<HttpReply> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined && init.contentType !== null)
    headers['content-type'] = init.contentType ?? 'application/json';
  const res = await fetch(new URL(path, baseUrl), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body,
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: () => JSON.parse(text) as unknown,
  };
}

export const postJson = (baseUrl: string, path: string, body: unknown) =>
  call(baseUrl, path, { body: JSON.stringify(body) });

/**
 * Uploads a large body, either chunked (no Content-Length) or with a Content-Length, and returns the
 * server's answer. Uses node:http rather than fetch because a server may answer 413 and close before
 * the upload ends, which is correct HTTP but makes fetch fail instead of returning the response.
 */
export function postLarge(
  baseUrl: string,
  path: string,
  prefix: string,
  totalBytes: number,
  opts: { chunked: boolean; timeoutMs?: number },
): Promise<HttpReply> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const chunks = Math.ceil((totalBytes - prefix.length) / chunk.length);
  const length = prefix.length + chunks * chunk.length;
  const headers = {
    'content-type': 'application/json',
    // Asks to keep the connection, so a `connection: close` in the answer is the server's own decision.
    connection: 'keep-alive',
    ...(opts.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(length) }),
  };
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, baseUrl), { method: 'POST', headers, timeout: timeoutMs, agent: false });
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers: h, text, json: () => JSON.parse(text) as unknown });
      });
    });
    // A write error after the server has answered (it closed early) is expected.
    req.on('error', (e) => (answered ? undefined : reject(e)));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.write(prefix);
    const pump = () => {
      while (!answered && !req.destroyed && sent < chunks) {
        sent++;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered && !req.destroyed) req.end();
    };
    pump();
  });
}
