import http from 'node:http';
import { BackendError } from '../backend.js';
import { deadlineSignal, transportError } from './remote.js';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpPoolOptions {
  /** e.g. `Triton at http://127.0.0.1:8000`, for error messages. */
  label: string;
  connections: number;
  keepAliveMs: number;
  timeoutMs: number;
  /** Answers larger than this are BAD_BACKEND_RESPONSE (a runaway or garbage body never fills memory). */
  maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY = 256 * 1024 * 1024;

/**
 * HTTP/1.1 to one model server through a keep-alive agent of `connections` sockets. Every call has
 * a deadline; refusals, resets, timeouts and cancellations become BackendErrors, so a stopped or
 * stuck model server gives 503/504 and never a hang.
 */
export class HttpPool {
  readonly base: URL;
  private readonly agent: http.Agent;
  private readonly o: Readonly<HttpPoolOptions>;

  constructor(base: URL, o: HttpPoolOptions) {
    if (base.protocol !== 'http:')
      throw new BackendError('BACKEND_CONFIG', `${o.label}: only http:// URLs are supported, got ${base.href}`);
    this.base = base;
    this.o = Object.freeze({ ...o });
    this.agent = new http.Agent({
      keepAlive: o.keepAliveMs > 0,
      keepAliveMsecs: Math.max(1000, o.keepAliveMs),
      maxSockets: o.connections,
      maxFreeSockets: o.connections,
      scheduling: 'fifo',
    });
  }

  /** One request; retried once if a reused keep-alive socket was closed by the server just before. */
  async request(
    method: 'GET' | 'POST',
    path: string,
    body?: Buffer | Buffer[],
    headers: http.OutgoingHttpHeaders = {},
    signal?: AbortSignal,
  ): Promise<HttpReply> {
    const deadline = deadlineSignal(this.o.timeoutMs, signal);
    try {
      try {
        return await this.once(method, path, body, headers, deadline);
      } catch (e) {
        if (!(e as { reusedSocket?: boolean }).reusedSocket || deadline.aborted) throw e;
        return await this.once(method, path, body, headers, deadline);
      }
    } catch (e) {
      throw transportError(this.o.label, e, this.o.timeoutMs, signal?.aborted === true);
    }
  }

  private once(
    method: string,
    path: string,
    body: Buffer | Buffer[] | undefined,
    headers: http.OutgoingHttpHeaders,
    signal: AbortSignal,
  ): Promise<HttpReply> {
    const parts = body === undefined ? [] : Array.isArray(body) ? body : [body];
    const length = parts.reduce((n, p) => n + p.byteLength, 0);
    const max = this.o.maxBodyBytes ?? DEFAULT_MAX_BODY;
    return new Promise<HttpReply>((resolve, reject) => {
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port || 80,
          method,
          path,
          agent: this.agent,
          signal,
          headers: body === undefined ? headers : { ...headers, 'content-length': length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.byteLength;
            if (size > max) {
              req.destroy(new BackendError('BAD_BACKEND_RESPONSE', `${this.o.label} sent more than ${max} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', (e) => {
        (e as { reusedSocket?: boolean }).reusedSocket =
          req.reusedSocket && (e as NodeJS.ErrnoException).code === 'ECONNRESET';
        reject(e);
      });
      for (const p of parts) req.write(p);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The `error` field of a model server's JSON error body, or the start of the body. */
export function errorText(body: Buffer): string {
  const text = body.subarray(0, 2000).toString('utf8');
  try {
    const j = JSON.parse(text) as { error?: unknown };
    if (typeof j.error === 'string') return j.error;
  } catch {
    // not JSON
  }
  return text.trim().slice(0, 300) || '(empty body)';
}

/** Maps a model server's non-2xx status to a BackendError. */
export function statusError(label: string, r: HttpReply): BackendError {
  const msg = `${label} answered ${r.status}: ${errorText(r.body)}`;
  if (r.status === 503 || r.status === 502) return new BackendError('BACKEND_UNAVAILABLE', msg);
  if (r.status === 504 || r.status === 408) return new BackendError('BACKEND_TIMEOUT', msg);
  return new BackendError('BAD_BACKEND_RESPONSE', msg);
}

/** Parses a JSON body or throws BAD_BACKEND_RESPONSE. */
export function jsonBody<T>(label: string, body: Buffer): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch (e) {
    throw new BackendError(
      'BAD_BACKEND_RESPONSE',
      `${label} sent a body that is not JSON: ${JSON.stringify(body.subarray(0, 80).toString('latin1'))}`,
      { cause: e },
    );
  }
}

/** MODEL_SERVER_URL as the base of an HTTP model server (`fallback` when unset); BACKEND_CONFIG when it is not a URL. */
export function httpBase(url: string, fallback: string): URL {
  try {
    return new URL(url || fallback);
  } catch {
    throw new BackendError('BACKEND_CONFIG', `MODEL_SERVER_URL=${url} is not a URL; expected http://host:port`);
  }
}
